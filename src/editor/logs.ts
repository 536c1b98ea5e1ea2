// "Follow Logs": a container's log streamed into a terminal named `logs: pod/container`. The
// terminal is a small state machine (streaming -> ended -> closed): it shows reconnects as they
// happen, says why the log ended, and stops the stream when it is closed. Lines from the
// container pass through untouched (colours included); only our own messages are styled.
import * as vscode from 'vscode';
import type { ClusterSet } from '../kube/clusterSet.ts';
import { describeError } from '../kube/errors.ts';
import { streamLogs, type LogEvent, type LogOptions } from '../kube/logs.ts';
import { summarizeContainers, type ContainerSummary } from '../kube/podSummary.ts';
import type { ContainerTarget } from './shellLauncher.ts';
import type { TargetPicker } from './targetPicker.ts';
import { readSettings } from './settings.ts';
import { DIM, RED, RESET, TerminalIo, YELLOW } from './terminalIo.ts';
import { ContainerNode, PodNode } from './tree/nodes.ts';

/** Lines are written in batches of at most this many characters, so a long backlog shows fast. */
const MAX_BATCH = 64 * 1024;

/** The part of the engine the terminal uses; tests can hand in a fake. */
export type LogSource = (signal: AbortSignal) => AsyncIterable<LogEvent>;

export class LogTerminal implements vscode.Pseudoterminal {
  private readonly io = new TerminalIo();
  readonly onDidWrite = this.io.onDidWrite;
  readonly onDidClose = this.io.onDidClose;

  private readonly source: LogSource;
  private readonly description: string;
  private readonly controller = new AbortController();
  private state: 'idle' | 'streaming' | 'ended' | 'closed' = 'idle';
  private batch = '';
  private flushScheduled = false;

  constructor(description: string, source: LogSource) {
    this.description = description;
    this.source = source;
  }

  open(): void {
    if (this.state !== 'idle') return;
    this.state = 'streaming';
    this.message(`${DIM}Logs of ${this.description}. Ctrl+C stops, closing the terminal too.${RESET}`);
    void this.run();
  }

  private async run(): Promise<void> {
    try {
      for await (const event of this.source(this.controller.signal)) {
        if (this.state === 'closed') return;
        switch (event.kind) {
          case 'line':
            this.write(`${event.text}\r\n`);
            break;
          case 'reconnecting':
            this.message(`${YELLOW}${event.message} Reconnecting in ${Math.max(1, Math.round(event.delayMs / 1000))} s (attempt ${event.attempt})...${RESET}`);
            break;
          case 'reconnected':
            this.message(`${DIM}Reconnected; the log goes on after the last line shown.${RESET}`);
            break;
          case 'end':
            this.end(`${DIM}${event.reason} Press any key to close.${RESET}`);
            return;
        }
      }
      if (this.state === 'streaming') this.end(`${DIM}Stopped. Press any key to close.${RESET}`);
    } catch (err) {
      if (this.state === 'closed') return;
      this.end(`${RED}${describeError(err)}${RESET}\n${DIM}Press any key to close.${RESET}`);
    }
  }

  private end(text: string): void {
    this.state = 'ended';
    this.message(text);
  }

  handleInput(data: string): void {
    if (this.state === 'streaming' && data === '\x03') {
      this.controller.abort();
      return;
    }
    if (this.state === 'ended') this.close();
  }

  /** VS Code calls this when the user closes the terminal: the stream stops with it. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.controller.abort();
    this.io.close();
  }

  private write(text: string): void {
    this.batch += text;
    if (this.batch.length >= MAX_BATCH) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (!this.batch || this.state === 'closed') return;
    this.io.write(this.batch);
    this.batch = '';
  }

  /** The extension's own lines: `\n` becomes `\r\n`, as a terminal needs. */
  private message(text: string): void {
    this.write(`${text.replace(/\r?\n/g, '\r\n')}\r\n`);
  }
}

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
