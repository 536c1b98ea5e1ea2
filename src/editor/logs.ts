// "Follow Logs": a container's log streamed into a terminal named `logs: pod/container`
// (logTerminal.ts), with the container and the options (follow, tail, since, timestamps,
// previous) picked first.
import * as vscode from 'vscode';
import type { ClusterSet } from '../kube/clusterSet.ts';
import { describeError } from '../kube/errors.ts';
import { streamLogs, type LogOptions } from '../kube/logs.ts';
import { summarizeContainers, type ContainerSummary } from '../kube/podSummary.ts';
import { LogTerminal } from './logTerminal.ts';
import type { ContainerTarget } from './shellLauncher.ts';
import type { TargetPicker } from './targetPicker.ts';
import { readSettings } from './settings.ts';
import { ContainerNode, PodNode } from './tree/nodes.ts';

interface LogTarget extends ContainerTarget {
  /** The container restarted before: its previous log can be asked for. */
  restarted: boolean;
}

interface OptionItem extends vscode.QuickPickItem {
  option: 'follow' | 'timestamps' | 'tail' | 'since' | 'previous';
}

/** Follow, tail and timestamps as the user picks them; undefined when cancelled. */
async function pickOptions(target: LogTarget): Promise<Partial<LogOptions> | undefined> {
  const tail = readSettings().logTailLines;
  const items: OptionItem[] = [
    { option: 'follow', label: '$(sync) Follow', description: 'keep showing new lines', picked: true },
    { option: 'tail', label: `$(fold-up) Last ${tail} lines only`, description: 'unchecked: the whole log', picked: true },
    { option: 'since', label: '$(history) Only the last hour' },
    { option: 'timestamps', label: '$(clock) Timestamps', description: 'the time each line was written' },
  ];
  if (target.restarted) items.push({ option: 'previous', label: '$(debug-restart) Previous container', description: 'the log from before the last restart' });
  const chosen = await vscode.window.showQuickPick(items, {
    title: `Logs of ${target.pod}/${target.container}`,
    placeHolder: 'Options (Enter to start)',
    canPickMany: true,
    ignoreFocusOut: true,
  });
  if (!chosen) return undefined;
  const on = new Set(chosen.map((c) => c.option));
  return {
    follow: on.has('follow') && !on.has('previous'),
    timestamps: on.has('timestamps'),
    tailLines: on.has('tail') ? tail : undefined,
    sinceSeconds: on.has('since') ? 3600 : undefined,
    previous: on.has('previous'),
  };
}

function fromSummary(context: string, namespace: string, pod: string, c: ContainerSummary): LogTarget {
  return { context, namespace, pod, container: c.name, restarted: c.restarts > 0 };
}

/** Any container has a log, running or not; init and debug containers too. */
async function targetOf(node: unknown, picker: TargetPicker): Promise<LogTarget | undefined> {
  if (node instanceof ContainerNode) {
    const pod = node.parent;
    return fromSummary(pod.context, pod.namespace, pod.name, node.container);
  }
  if (node instanceof PodNode) {
    const containers = summarizeContainers(node.pod);
    if (containers.length === 0) throw new Error(`Pod ${node.name} has no containers.`);
    if (containers.length === 1) return fromSummary(node.context, node.namespace, node.name, containers[0]!);
    const preferred = node.pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
    const items = containers.map((c) => ({ label: c.name, description: `${c.kind === 'container' ? '' : `${c.kind} · `}${c.state}${c.restarts ? ` · ${c.restarts} restarts` : ''}`, c }));
    items.sort((a, b) => Number(b.c.name === preferred) - Number(a.c.name === preferred));
    const chosen = await vscode.window.showQuickPick(items, { title: `Logs of which container of ${node.name}?` });
    return chosen ? fromSummary(node.context, node.namespace, node.name, chosen.c) : undefined;
  }
  const t = node as ContainerTarget | undefined;
  if (typeof t?.context === 'string' && typeof t.pod === 'string' && typeof t.container === 'string') return { ...t, restarted: true };
  const picked = await picker.pickContainer();
  return picked ? { ...picked, restarted: true } : undefined;
}

export function openLogTerminal(clusters: () => ClusterSet, target: ContainerTarget, options: Partial<LogOptions>): vscode.Terminal {
  const where = `${target.namespace}/${target.pod} (container ${target.container}) in context ${target.context}`;
  const pty = new LogTerminal(where, (signal) =>
    // The kubeconfig is resolved when the stream starts: it may have changed since the pick.
    streamLogs(clusters().kubeConfig(target.context), { ...options, namespace: target.namespace, pod: target.pod, container: target.container, signal }),
  );
  const terminal = vscode.window.createTerminal({ name: `logs: ${target.pod}/${target.container}`, pty, iconPath: new vscode.ThemeIcon('output') });
  terminal.show();
  return terminal;
}

export interface LogsDeps {
  clusters: () => ClusterSet;
  picker: TargetPicker;
}

export function registerLogs(deps: LogsDeps): vscode.Disposable {
  return vscode.commands.registerCommand('kubeExec.followLogs', async (node: unknown) => {
    try {
      const target = await targetOf(node, deps.picker);
      if (!target) return;
      const options = await pickOptions(target);
      if (!options) return;
      openLogTerminal(deps.clusters, target, options);
    } catch (err) {
      void vscode.window.showErrorMessage(`Kube Exec: ${describeError(err)}`);
    }
  });
}
