// Choosing a container without the tree: context -> namespace -> pod -> container, each a
// quick pick, with the last choice offered first. Also the container choice for a pod node.
import * as vscode from 'vscode';
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterSet } from '../kube/clusterSet.ts';
import { describeError } from '../kube/errors.ts';
import { podNodeOS, summarizeContainers, summarizePod } from '../kube/podSummary.ts';
import type { ContainerTarget } from './shellLauncher.ts';

const LAST_TARGET_KEY = 'kubeExec.lastTarget';
/** The palette lists one page of pods; a namespace larger than this is better browsed in the tree. */
const PICK_POD_LIMIT = 500;

interface Item<T> extends vscode.QuickPickItem {
  value: T;
}

export class TargetPicker {
  private readonly memento: vscode.Memento;
  private readonly clusters: () => ClusterSet;

  constructor(memento: vscode.Memento, clusters: () => ClusterSet) {
    this.memento = memento;
    this.clusters = clusters;
  }

  private get last(): Partial<ContainerTarget> {
    return this.memento.get<Partial<ContainerTarget>>(LAST_TARGET_KEY) ?? {};
  }

  remember(target: ContainerTarget): void {
    void this.memento.update(LAST_TARGET_KEY, target);
  }

  /** The whole walk from the palette or the terminal profile. Undefined when the user cancels. */
  async pickContainer(): Promise<ContainerTarget | undefined> {
    const set = this.clusters();
    const last = this.last;
    const context = await pick(
      'Kube Exec: pick a context',
      set.contexts.map((c) => ({ label: c.name, description: c.current ? 'current' : undefined, detail: c.server, value: c.name })),
      last.context,
    );
    if (!context) return undefined;
    const client = set.client(context);

    const namespaces = await withProgress(`Listing namespaces of ${context}`, () => client.listNamespaces(AbortSignal.timeout(20_000)));
    const namespace = await pick(
      `Kube Exec: pick a namespace in ${context}`,
      namespaces.names.map((n) => ({ label: n, value: n })),
      last.context === context ? last.namespace : set.context(context).namespace,
    );
    if (!namespace) return undefined;

    const { pods } = await withProgress(`Listing pods in ${namespace}`, () => client.listPods(namespace, { limit: PICK_POD_LIMIT, signal: AbortSignal.timeout(20_000) }));
    const runnable = pods.filter((p) => summarizeContainers(p).some((c) => c.kind !== 'init' && c.state === 'running') && !p.metadata?.deletionTimestamp);
    if (runnable.length === 0) throw new Error(`No running pod in ${namespace} (context ${context}).`);
    const pod = await pick(
      `Kube Exec: pick a pod in ${namespace}`,
      runnable.map((p) => {
        const s = summarizePod(p);
        return { label: p.metadata!.name!, description: `${s.reason} · ${s.ready}/${s.total} ready`, value: p };
      }),
      last.namespace === namespace ? last.pod : undefined,
      (p) => p.metadata?.name,
    );
    if (!pod) return undefined;
    const target = await this.pickContainerOf(context, pod);
    if (target) this.remember(target);
    return target;
  }

  /** A pod's running app containers: the only one directly, several as a quick pick. */
  async pickContainerOf(context: string, pod: V1Pod): Promise<ContainerTarget | undefined> {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? '';
    const containers = summarizeContainers(pod).filter((c) => c.kind !== 'init' && c.state === 'running');
    if (containers.length === 0) throw new Error(`No container of pod ${name} is running, so no shell can open there.`);
    const preferred = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
    let container = containers[0].name;
    if (containers.length > 1) {
      const chosen = await pick(
        `Kube Exec: pick a container of ${name}`,
        containers.map((c) => ({ label: c.name, description: `${c.image}${c.kind === 'ephemeral' ? ' · debug container' : ''}`, value: c.name })),
        preferred ?? (this.last.pod === name ? this.last.container : undefined),
      );
      if (!chosen) return undefined;
      container = chosen;
    }
    return { context, namespace, pod: name, container, nodeOS: podNodeOS(pod) };
  }
}

async function pick<T>(title: string, items: Item<T>[], preferred: string | undefined, key: (v: T) => unknown = (v) => v): Promise<T | undefined> {
  // The remembered choice goes first, so Enter repeats it.
  const index = items.findIndex((i) => preferred !== undefined && key(i.value) === preferred);
  if (index > 0) items.unshift(...items.splice(index, 1));
  if (index >= 0) items[0].description = [items[0].description, 'last used'].filter(Boolean).join(' · ');
  const chosen = await vscode.window.showQuickPick(items, { title, matchOnDescription: true, ignoreFocusOut: false });
  return chosen?.value;
}

async function withProgress<T>(title: string, task: () => Promise<T>): Promise<T> {
  try {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title }, task);
  } catch (err) {
    throw new Error(`${title} failed: ${describeError(err)}`);
  }
}
