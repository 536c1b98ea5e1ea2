// "Port Forward...": a local port forwarded to a port of a pod, listed in a status bar item
// (click: pick one to stop). A forward whose pod goes away is noticed by the engine and removed
// with a warning that says why; errors of single connections (nothing listening on the port, a
// refused upgrade) are shown without ending the forward.
import * as vscode from 'vscode';
import type { V1ContainerPort, V1Pod } from '@kubernetes/client-node';
import type { ClusterSet } from '../kube/clusterSet.ts';
import { describeError } from '../kube/errors.ts';
import { PortForward } from '../kube/portForward.ts';
import type { ContainerTarget } from './shellLauncher.ts';
import type { TargetPicker } from './targetPicker.ts';
import { ContainerNode, PodNode } from './tree/nodes.ts';

/** Connection errors of one forward are shown at most this often. */
const ERROR_NOTICE_INTERVAL_MS = 10_000;

export interface ForwardTarget {
  context: string;
  namespace: string;
  pod: string;
}

export interface ActiveForward {
  readonly id: number;
  readonly target: ForwardTarget;
  readonly forward: PortForward;
  /** What it is for, shown next to it ("debugger", say). */
  readonly purpose?: string;
}

export class PortForwards implements vscode.Disposable {
  private readonly clusters: () => ClusterSet;
  private readonly active = new Map<number, ActiveForward>();
  private readonly statusBar: vscode.StatusBarItem;
  private nextId = 1;
  private disposed = false;

  constructor(clusters: () => ClusterSet) {
    this.clusters = clusters;
    this.statusBar = vscode.window.createStatusBarItem('kubeExec.portForwards', vscode.StatusBarAlignment.Left, 50);
    this.statusBar.name = 'Kube Exec Port Forwards';
    this.statusBar.command = 'kubeExec.showPortForwards';
  }

  list(): ActiveForward[] {
    return [...this.active.values()];
  }

  /** Starts forwarding a free local port to `remotePort` of the pod. */
  async start(target: ForwardTarget, remotePort: number, purpose?: string): Promise<ActiveForward> {
    if (this.disposed) throw new Error('Kube Exec is shutting down.');
    let lastNotice = 0;
    const forward = await PortForward.start(
      this.clusters().kubeConfig(target.context),
      { namespace: target.namespace, pod: target.pod, remotePort },
      {
        onConnectionError: (message) => {
          const now = Date.now();
          if (now - lastNotice < ERROR_NOTICE_INTERVAL_MS) return;
          lastNotice = now;
          void vscode.window.showWarningMessage(`Kube Exec: ${message}`);
        },
      },
    );
    if (this.disposed) {
      // Kube Exec was shut down while the forward started: nothing would stop it later.
      await forward.stop();
      throw new Error('Kube Exec is shutting down.');
    }
    const active: ActiveForward = { id: this.nextId++, target, forward, purpose };
    this.active.set(active.id, active);
    this.render();
    void forward.ended.then((end) => {
      this.active.delete(active.id);
      this.render();
      if (end.reason === 'broken' && !this.disposed) {
        void vscode.window.showWarningMessage(`Kube Exec: port forward ${forward.description} stopped. ${end.message}`);
      }
    });
    return active;
  }

  async stop(active: ActiveForward): Promise<void> {
    await active.forward.stop();
  }

  /** The status bar's click: pick a forward to stop (or all of them). */
  async showPicker(): Promise<void> {
    const all = this.list();
    if (all.length === 0) {
      void vscode.window.showInformationMessage('Kube Exec: no port forwards are running. Start one with "Port Forward..." on a pod.');
      return;
    }
    type Item = vscode.QuickPickItem & { stop: ActiveForward[] };
    const items: Item[] = all.map((a) => ({
      label: `$(plug) ${a.forward.localAddress}:${a.forward.localPort}`,
      description: `→ ${a.target.namespace}/${a.target.pod}:${a.forward.remotePort}${a.purpose ? ` · ${a.purpose}` : ''}`,
      detail: `context ${a.target.context} · ${a.forward.connections} open connection${a.forward.connections === 1 ? '' : 's'} · select to stop`,
      stop: [a],
    }));
    if (all.length > 1) items.push({ label: '$(debug-stop) Stop all port forwards', stop: all });
    const chosen = await vscode.window.showQuickPick(items, { title: 'Kube Exec: port forwards', placeHolder: 'Select a forward to stop it' });
    if (chosen) await Promise.all(chosen.stop.map((a) => this.stop(a)));
  }

  private render(): void {
    if (this.disposed) return;
    const all = this.list();
    if (all.length === 0) {
      this.statusBar.hide();
      return;
    }
    this.statusBar.text = `$(plug) ${all.length === 1 ? `${all[0]!.forward.localPort} → ${all[0]!.target.pod}:${all[0]!.forward.remotePort}` : `${all.length} port forwards`}`;
    const tooltip = new vscode.MarkdownString('**Kube Exec port forwards** (click to stop one)\n\n');
    for (const a of all) tooltip.appendMarkdown(`- \`${a.forward.localAddress}:${a.forward.localPort}\` → ${a.target.namespace}/${a.target.pod}:${a.forward.remotePort}${a.purpose ? ` (${a.purpose})` : ''}\n`);
    this.statusBar.tooltip = tooltip;
    this.statusBar.show();
  }

  dispose(): void {
    this.disposed = true;
    for (const a of this.active.values()) void a.forward.stop();
    this.active.clear();
    this.statusBar.dispose();
  }
}

/** Ports the pod's containers (or one of them) declare. */
export function declaredPorts(pod: V1Pod, container?: string): Array<V1ContainerPort & { container: string }> {
  const out: Array<V1ContainerPort & { container: string }> = [];
  for (const c of pod.spec?.containers ?? []) {
    if (container && c.name !== container) continue;
    for (const p of c.ports ?? []) if ((p.protocol ?? 'TCP') === 'TCP') out.push({ ...p, container: c.name });
  }
  return out;
}

/** Asks for a port number; `value` prefills it. */
export async function askPort(title: string, value?: number): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({
    title,
    prompt: 'Port number in the pod (1 to 65535)',
    value: value ? String(value) : '',
    validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 65535 ? undefined : 'A port number from 1 to 65535'),
  });
  return text === undefined ? undefined : Number(text.trim());
}

/** A declared port from a quick pick, or one typed in. */
async function pickPort(pod: V1Pod, container: string | undefined, title: string): Promise<number | undefined> {
  const ports = declaredPorts(pod, container);
  if (ports.length === 0) return askPort(title);
  type Item = vscode.QuickPickItem & { port?: number };
  const items: Item[] = ports.map((p) => ({
    label: String(p.containerPort),
    description: [p.name, p.protocol ?? 'TCP', `container ${p.container}`].filter(Boolean).join(' · '),
    port: p.containerPort,
  }));
  items.push({ label: '$(edit) Another port...', description: 'type a port number' });
  const chosen = await vscode.window.showQuickPick(items, { title, placeHolder: 'Port in the pod to forward to' });
  if (!chosen) return undefined;
  return chosen.port ?? askPort(title);
}

interface PodAndContainer {
  target: ForwardTarget;
  pod: V1Pod;
  container?: string;
}

async function podOf(node: unknown, picker: TargetPicker, clusters: () => ClusterSet): Promise<PodAndContainer | undefined> {
  if (node instanceof ContainerNode) {
    const p = node.parent;
    return { target: { context: p.context, namespace: p.namespace, pod: p.name }, pod: p.pod, container: node.container.name };
  }
  if (node instanceof PodNode) return { target: { context: node.context, namespace: node.namespace, pod: node.name }, pod: node.pod };
  const t = (node as ContainerTarget | undefined) ?? (await picker.pickContainer());
  if (!t || typeof t.pod !== 'string') return undefined;
  const pod = await clusters().client(t.context).getPod(t.namespace, t.pod, AbortSignal.timeout(20_000));
  return { target: { context: t.context, namespace: t.namespace, pod: t.pod }, pod, container: t.container };
}

export interface PortForwardDeps {
  clusters: () => ClusterSet;
  picker: TargetPicker;
  forwards: PortForwards;
}

export function registerPortForwardCommands(deps: PortForwardDeps): vscode.Disposable {
  const { forwards } = deps;
  const forwardCommand = async (node: unknown): Promise<void> => {
    const chosen = await podOf(node, deps.picker, deps.clusters);
    if (!chosen) return;
    const port = await pickPort(chosen.pod, chosen.container, `Port Forward: ${chosen.target.pod}`);
    if (port === undefined) return;
    const active = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Forwarding to ${chosen.target.pod}:${port}` },
      () => forwards.start(chosen.target, port),
    );
    const address = `${active.forward.localAddress}:${active.forward.localPort}`;
    const choice = await vscode.window.showInformationMessage(
      `Kube Exec: forwarding ${address} → ${chosen.target.pod}:${port}.`,
      'Open in Browser',
      'Copy Address',
      'Stop',
    );
    if (choice === 'Open in Browser') await vscode.env.openExternal(vscode.Uri.parse(`http://${address}/`));
    else if (choice === 'Copy Address') await vscode.env.clipboard.writeText(address);
    else if (choice === 'Stop') await forwards.stop(active);
  };
  return vscode.Disposable.from(
    vscode.commands.registerCommand('kubeExec.portForward', guarded(forwardCommand)),
    vscode.commands.registerCommand('kubeExec.showPortForwards', guarded(() => forwards.showPicker())),
  );
}

export function guarded(handler: (...args: unknown[]) => Promise<void>): (...args: unknown[]) => Promise<void> {
  return async (...args) => {
    try {
      await handler(...args);
    } catch (err) {
      void vscode.window.showErrorMessage(`Kube Exec: ${describeError(err)}`);
    }
  };
}
