// The model behind the Clusters view: contexts -> namespaces -> pods -> containers.
// Nodes are long-lived objects (ids are stable, identity survives refreshes) and render
// themselves; the provider only routes calls and batches change events.
import * as vscode from 'vscode';
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterSet } from '../../kube/clusterSet.ts';
import type { ContextInfo } from '../../kube/kubeconfig.ts';
import type { PodWatch } from '../../kube/cluster.ts';
import { describeError } from '../../kube/errors.ts';
import { globMatcher } from '../../kube/patterns.ts';
import { formatAge, summarizeContainers, summarizePod, type ContainerSummary, type PodState } from '../../kube/podSummary.ts';
import { parsePodFilter, type PodFilter } from '../../kube/podFilter.ts';

/** What nodes need from the provider that owns them. */
export interface TreeHost {
  readonly clusters: ClusterSet;
  namespacePatterns(): string[];
  /** Re-render a node (debounced); undefined re-renders the whole tree. */
  changed(node: TreeNode | undefined): void;
}

/** A namespace shows this many pods at first; "Show more" adds as many again. */
export const PODS_PER_PAGE = 500;
/** A request for the tree that has not answered in this time shows an error instead of spinning. */
const REQUEST_TIMEOUT_MS = 20_000;

export abstract class TreeNode {
  abstract readonly id: string;
  abstract readonly parent: TreeNode | undefined;
  abstract render(): vscode.TreeItem;
  children(): TreeNode[] | Promise<TreeNode[]> {
    return [];
  }
  /** Stops whatever the node keeps running (watches); called when it leaves the tree. */
  dispose(): void {}
}

export class MessageNode extends TreeNode {
  readonly id: string;
  readonly parent: TreeNode | undefined;
  readonly message: string;
  readonly severity: 'error' | 'warning' | 'info';
  readonly command?: vscode.Command;

  constructor(parent: TreeNode | undefined, message: string, severity: 'error' | 'warning' | 'info', command?: vscode.Command) {
    super();
    this.parent = parent;
    this.message = message;
    this.severity = severity;
    this.command = command;
    this.id = `${parent?.id ?? ''}/!${severity}:${message}`;
  }

  render(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.message, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.tooltip = this.message;
    item.contextValue = `message:${this.severity}`;
    item.command = this.command;
    const color = this.severity === 'error' ? 'errorForeground' : this.severity === 'warning' ? 'editorWarning.foreground' : undefined;
    item.iconPath = new vscode.ThemeIcon(this.severity, color ? new vscode.ThemeColor(color) : undefined);
    return item;
  }
}

export class ContextNode extends TreeNode {
  readonly id: string;
  readonly parent = undefined;
  readonly info: ContextInfo;
  private readonly host: TreeHost;
  private readonly namespaces = new Map<string, NamespaceNode>();

  constructor(host: TreeHost, info: ContextInfo) {
    super();
    this.host = host;
    this.info = info;
    this.id = `ctx:${info.name}`;
  }

  render(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.info.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.contextValue = this.info.current ? 'context:current' : 'context';
    item.description = this.info.current ? 'current' : undefined;
    item.iconPath = new vscode.ThemeIcon(this.info.current ? 'vm-active' : 'vm');
    item.tooltip = markdownTable(`**${this.info.name}**${this.info.current ? ' (current context)' : ''}`, [
      ['Cluster', this.info.cluster],
      ['Server', this.info.server ?? 'unknown'],
      ['User', this.info.user],
      ['Namespace', this.info.namespace],
    ]);
    return item;
  }

  override async children(): Promise<TreeNode[]> {
    let result;
    try {
      result = await this.host.clusters.client(this.info.name).listNamespaces(AbortSignal.timeout(REQUEST_TIMEOUT_MS));
    } catch (err) {
      this.disposeNamespaces();
      return [new MessageNode(this, describeError(err, this.info.server), 'error', refreshCommand(this))];
    }
    const show = globMatcher(this.host.namespacePatterns());
    const names = result.names.filter(show).sort();
    const seen = new Set(names);
    for (const [name, node] of this.namespaces) {
      if (!seen.has(name)) {
        node.dispose();
        this.namespaces.delete(name);
      }
    }
    const nodes: TreeNode[] = [];
    if (result.fallbackReason) nodes.push(new MessageNode(this, result.fallbackReason, 'info'));
    for (const name of names) {
      let node = this.namespaces.get(name);
      if (!node) {
        node = new NamespaceNode(this.host, this, name);
        this.namespaces.set(name, node);
      }
      nodes.push(node);
    }
    if (names.length === 0 && result.names.length > 0) {
      nodes.push(new MessageNode(this, 'No namespace matches the kubeExec.namespaceFilter setting.', 'info'));
    }
    return nodes;
  }

  namespace(name: string): NamespaceNode | undefined {
    return this.namespaces.get(name);
  }

  allNamespaces(): NamespaceNode[] {
    return [...this.namespaces.values()];
  }

  private disposeNamespaces(): void {
    for (const node of this.namespaces.values()) node.dispose();
    this.namespaces.clear();
  }

  override dispose(): void {
    this.disposeNamespaces();
  }
}

/**
 * A namespace follows a watch while it is expanded and visible: the first expand lists the
 * pods (paginated by the client), later changes arrive as events and re-render the node.
 */
export class NamespaceNode extends TreeNode {
  readonly id: string;
  readonly parent: ContextNode;
  readonly name: string;
  private readonly host: TreeHost;
  private watch: PodWatch | undefined;
  private synced: Promise<void> | undefined;
  private readonly pods = new Map<string, PodNode>();
  private problem: string | undefined;
  private everSynced = false;
  private shown = PODS_PER_PAGE;
  filter: PodFilter | undefined;

  constructor(host: TreeHost, parent: ContextNode, name: string) {
    super();
    this.host = host;
    this.parent = parent;
    this.name = name;
    this.id = `${parent.id}/ns:${name}`;
  }

  get context(): string {
    return this.parent.info.name;
  }

  get watching(): boolean {
    return this.watch !== undefined;
  }

  render(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.contextValue = this.filter ? 'namespace:filtered' : 'namespace';
    item.iconPath = new vscode.ThemeIcon(this.filter ? 'filter' : 'symbol-namespace');
    const count = this.everSynced ? `${this.pods.size} pod${this.pods.size === 1 ? '' : 's'}` : undefined;
    item.description = [this.filter ? `filter: ${this.filter.text}` : undefined, count].filter(Boolean).join(' · ') || undefined;
    item.tooltip = `Namespace ${this.name} in ${this.context}${this.filter ? `\nFilter: ${this.filter.text}` : ''}`;
    return item;
  }

  override async children(): Promise<TreeNode[]> {
    if (!this.watch) this.start();
    await this.synced;
    const nodes: TreeNode[] = [];
    if (this.problem) nodes.push(new MessageNode(this, this.problem, this.everSynced ? 'warning' : 'error', refreshCommand(this)));
    if (!this.everSynced) return nodes;

    const matches = this.filter?.matches;
    const visible = [...this.pods.values()].filter((p) => !matches || matches(p.pod));
    visible.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    nodes.push(...visible.slice(0, this.shown));
    if (visible.length > this.shown) {
      const hidden = visible.length - this.shown;
      nodes.push(
        new MessageNode(this, `${hidden.toLocaleString('en-US')} more pods: show ${Math.min(hidden, PODS_PER_PAGE)} more, or filter`, 'info', {
          command: 'kubeExec.showMore',
          title: 'Show More Pods',
          arguments: [this],
        }),
      );
    }
    if (visible.length === 0 && !this.problem) {
      nodes.push(new MessageNode(this, this.filter ? `No pod matches "${this.filter.text}".` : 'No pods.', 'info'));
    }
    return nodes;
  }

  showMore(): void {
    this.shown += PODS_PER_PAGE;
    this.host.changed(this);
  }

  setFilter(filter: PodFilter | undefined): void {
    const selectorChanged = filter?.labelSelector !== this.filter?.labelSelector;
    this.filter = filter;
    this.shown = PODS_PER_PAGE;
    // A label selector narrows what the server sends; a name filter only what we show.
    if (selectorChanged) this.stop();
    this.host.changed(this);
  }

  pod(name: string): PodNode | undefined {
    return this.pods.get(name);
  }

  private start(): void {
    let settle!: () => void;
    this.synced = new Promise<void>((resolve) => (settle = resolve));
    this.problem = undefined;
    const client = this.host.clusters.client(this.context);
    this.watch = client.watchPods(
      this.name,
      {
        onSync: (pods) => {
          const seen = new Set<string>();
          for (const pod of pods) {
            const name = pod.metadata?.name;
            if (!name) continue;
            seen.add(name);
            this.upsert(pod);
          }
          for (const name of this.pods.keys()) if (!seen.has(name)) this.pods.delete(name);
          this.problem = undefined;
          this.everSynced = true;
          settle();
          this.host.changed(this);
        },
        onEvent: (type, pod) => {
          const name = pod.metadata?.name;
          if (!name) return;
          if (type === 'DELETED') {
            this.pods.delete(name);
            this.host.changed(this);
            return;
          }
          const existing = this.upsert(pod);
          // A pod that changed in place re-renders its own row only. Refreshing the namespace
          // would rebuild every row in it (a click on a row's inline button that lands during
          // that is lost) and resend the whole page of pods. A filter may take the pod in or out.
          this.host.changed(existing && !this.filter ? existing : this);
        },
        onError: (message, willRetry) => {
          this.problem = willRetry && this.everSynced ? `${message} (reconnecting...)` : message;
          settle();
          this.host.changed(this);
        },
      },
      { labelSelector: this.filter?.labelSelector },
    );
  }

  /** Records the pod; returns its node when it was known already, undefined when it is new. */
  private upsert(pod: V1Pod): PodNode | undefined {
    const name = pod.metadata!.name!;
    const node = this.pods.get(name);
    if (node) node.pod = pod;
    else this.pods.set(name, new PodNode(this, pod));
    return node;
  }

  /** Stops the watch; the next expand starts a fresh one (and lists again). */
  stop(): void {
    this.watch?.dispose();
    this.watch = undefined;
    this.synced = undefined;
  }

  override dispose(): void {
    this.stop();
    this.pods.clear();
  }
}

const POD_ICONS: Record<PodState, [icon: string, color: string]> = {
  running: ['pass-filled', 'testing.iconPassed'],
  notReady: ['warning', 'editorWarning.foreground'],
  pending: ['clock', 'editorInfo.foreground'],
  succeeded: ['check-all', 'disabledForeground'],
  failed: ['error', 'errorForeground'],
  crashLoop: ['debug-restart', 'errorForeground'],
  terminating: ['trash', 'disabledForeground'],
};

export class PodNode extends TreeNode {
  readonly parent: NamespaceNode;
  readonly name: string;
  pod: V1Pod;

  constructor(parent: NamespaceNode, pod: V1Pod) {
    super();
    this.parent = parent;
    this.pod = pod;
    this.name = pod.metadata?.name ?? '';
  }

  get id(): string {
    return `${this.parent.id}/pod:${this.name}`;
  }

  get context(): string {
    return this.parent.context;
  }

  get namespace(): string {
    return this.parent.name;
  }

  /** App containers that are running now: the ones a shell can open in. */
  runningContainers(): ContainerSummary[] {
    return summarizeContainers(this.pod).filter((c) => c.kind !== 'init' && c.state === 'running');
  }

  render(): vscode.TreeItem {
    const summary = summarizePod(this.pod);
    const item = new vscode.TreeItem(this.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    const running = this.runningContainers().length > 0 && summary.state !== 'terminating';
    const multi = (this.pod.spec?.containers?.length ?? 0) > 1;
    item.contextValue = `pod:${running ? 'running' : 'stopped'}:${summary.state}${multi ? ':multi' : ''}`;
    const [icon, color] = POD_ICONS[summary.state];
    item.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
    const restarts = `${summary.restarts} restart${summary.restarts === 1 ? '' : 's'}`;
    item.description = `${summary.reason} · ${summary.ready}/${summary.total} ready · ${restarts} · ${formatAge(summary.ageMs)}`;
    const containers = summarizeContainers(this.pod)
      .map((c) => `${c.name}${c.kind === 'container' ? '' : ` (${c.kind})`}: \`${c.image}\` ${c.state}${c.reason ? ` (${c.reason})` : ''}`)
      .join('  \n');
    item.tooltip = markdownTable(`**${this.name}** in ${this.namespace}`, [
      ['Status', `${summary.reason} (phase ${this.pod.status?.phase ?? 'Unknown'})`],
      ['Ready', `${summary.ready}/${summary.total}`],
      ['Restarts', String(summary.restarts)],
      ['Age', formatAge(summary.ageMs)],
      ['Node', this.pod.spec?.nodeName ?? 'not scheduled'],
      ['Pod IP', this.pod.status?.podIP ?? 'none'],
    ]);
    (item.tooltip as vscode.MarkdownString).appendMarkdown(`\n\n**Containers**  \n${containers}`);
    return item;
  }

  override children(): TreeNode[] {
    return summarizeContainers(this.pod).map((c) => new ContainerNode(this, c));
  }
}

const CONTAINER_ICONS: Record<ContainerSummary['state'], [icon: string, color: string | undefined]> = {
  running: ['circle-filled', 'testing.iconPassed'],
  waiting: ['clock', 'editorWarning.foreground'],
  terminated: ['circle-outline', 'disabledForeground'],
  unknown: ['question', undefined],
};

export class ContainerNode extends TreeNode {
  readonly id: string;
  readonly parent: PodNode;
  readonly container: ContainerSummary;

  constructor(parent: PodNode, container: ContainerSummary) {
    super();
    this.parent = parent;
    this.container = container;
    this.id = `${parent.id}/c:${container.name}`;
  }

  render(): vscode.TreeItem {
    const c = this.container;
    const item = new vscode.TreeItem(c.name, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    const running = c.state === 'running';
    item.contextValue = `container:${running ? 'running' : 'stopped'}:${c.kind}`;
    const [icon, color] = c.state === 'waiting' && c.reason === 'CrashLoopBackOff' ? ['debug-restart', 'errorForeground'] : CONTAINER_ICONS[c.state];
    item.iconPath = new vscode.ThemeIcon(c.kind === 'ephemeral' ? 'debug' : icon, color ? new vscode.ThemeColor(color) : undefined);
    const kind = c.kind === 'container' ? '' : `${c.kind} · `;
    item.description = `${kind}${c.state}${c.reason ? ` (${c.reason})` : ''}${c.restarts ? ` · ${c.restarts} restarts` : ''}`;
    item.tooltip = markdownTable(`**${c.name}** (${c.kind === 'container' ? 'container' : `${c.kind} container`})`, [
      ['Image', c.image],
      ['State', `${c.state}${c.reason ? ` (${c.reason})` : ''}${c.exitCode !== undefined ? `, exit code ${c.exitCode}` : ''}`],
      ['Ready', c.ready ? 'yes' : 'no'],
      ['Restarts', String(c.restarts)],
    ]);
    return item;
  }
}

function refreshCommand(node: TreeNode): vscode.Command {
  return { command: 'kubeExec.refresh', title: 'Retry', arguments: [node] };
}

function markdownTable(title: string, rows: Array<[string, string]>): vscode.MarkdownString {
  const md = new vscode.MarkdownString(`${title}\n\n| | |\n|---|---|\n`);
  for (const [k, v] of rows) md.appendMarkdown(`| ${k} | ${escapeCell(v)} |\n`);
  return md;
}

function escapeCell(text: string): string {
  return text.replace(/[|\\`*_<>[\]]/g, (ch) => `\\${ch}`);
}
