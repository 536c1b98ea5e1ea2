// The Clusters view: routes VS Code's calls to the node model, batches change events, and
// keeps watches running only while someone can see them.
import * as vscode from 'vscode';
import type { ClusterSet } from '../../kube/clusterSet.ts';
import { ContextNode, MessageNode, NamespaceNode, type TreeHost, type TreeNode } from './nodes.ts';

/** Pod events are frequent in busy namespaces; re-render at most this often. */
const REFRESH_DEBOUNCE_MS = 250;

export class ClusterTreeProvider implements vscode.TreeDataProvider<TreeNode>, TreeHost, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private set: ClusterSet;
  private roots: ContextNode[] = [];
  private pending = new Set<TreeNode | undefined>();
  private timer: NodeJS.Timeout | undefined;
  private patterns: string[];
  /** Namespaces whose watch was stopped because the view was hidden, to restart when shown. */
  private suspended = new Set<NamespaceNode>();
  private visible = true;

  constructor(set: ClusterSet, namespacePatterns: string[]) {
    this.set = set;
    this.patterns = namespacePatterns;
  }

  get clusters(): ClusterSet {
    return this.set;
  }

  namespacePatterns(): string[] {
    return this.patterns;
  }

  /** A new kubeconfig (file edited, setting changed): rebuild from the roots, stop old watches. */
  setClusters(set: ClusterSet): void {
    const old = this.set;
    this.set = set;
    this.disposeRoots();
    old.dispose();
    this.changed(undefined);
  }

  setNamespacePatterns(patterns: string[]): void {
    this.patterns = patterns;
    this.changed(undefined);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.render();
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.parent;
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (node) return node.children();
    this.disposeRoots();
    const nodes: TreeNode[] = this.set.loaded.problems.map(
      (p) => new MessageNode(undefined, `${p.file}: ${p.message}`, 'error', { command: 'vscode.open', title: 'Open File', arguments: [vscode.Uri.file(p.file)] }),
    );
    this.roots = this.set.contexts.map((info) => new ContextNode(this, info));
    return [...nodes, ...this.roots];
  }

  contextNode(name: string): ContextNode | undefined {
    return this.roots.find((r) => r.info.name === name);
  }

  changed(node: TreeNode | undefined): void {
    this.pending.add(node);
    this.timer ??= setTimeout(() => this.flush(), REFRESH_DEBOUNCE_MS);
  }

  /** Wire to the TreeView's events: collapsed or hidden namespaces stop watching. */
  attach(view: vscode.TreeView<TreeNode>): vscode.Disposable {
    return vscode.Disposable.from(
      view.onDidCollapseElement(({ element }) => {
        if (element instanceof NamespaceNode) element.stop();
        if (element instanceof ContextNode) for (const ns of element.allNamespaces()) ns.stop();
      }),
      view.onDidChangeVisibility(({ visible }) => this.setVisible(visible)),
    );
  }

  private setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    if (!visible) {
      for (const root of this.roots) {
        for (const ns of root.allNamespaces()) {
          if (ns.watching) {
            ns.stop();
            this.suspended.add(ns);
          }
        }
      }
      return;
    }
    // Re-rendering a suspended namespace makes VS Code ask for its children, which restarts its watch.
    for (const ns of this.suspended) this.changed(ns);
    this.suspended.clear();
  }

  private flush(): void {
    this.timer = undefined;
    const nodes = this.pending;
    this.pending = new Set();
    if (nodes.has(undefined)) {
      this.emitter.fire(undefined);
      return;
    }
    for (const node of nodes) this.emitter.fire(node);
  }

  private disposeRoots(): void {
    for (const root of this.roots) root.dispose();
    this.roots = [];
    this.suspended.clear();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.disposeRoots();
    this.emitter.dispose();
  }
}
