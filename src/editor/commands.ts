// Every command of the extension, registered from one table through one wrapper that turns
// failures into a readable message instead of an unhandled rejection.
import * as vscode from 'vscode';
import { describeError } from '../kube/errors.ts';
import { parsePodFilter } from '../kube/podFilter.ts';
import { podNodeOS } from '../kube/podSummary.ts';
import { ContainerNode, ContextNode, NamespaceNode, PodNode, type TreeNode } from './tree/nodes.ts';
import type { ClusterTreeProvider } from './tree/clusterTreeProvider.ts';
import { openShellTerminal, type ContainerTarget } from './shellLauncher.ts';
import type { TargetPicker } from './targetPicker.ts';
import { addKubeconfigFile } from './settings.ts';
import { attachContainerCommand, debugContainerCommand } from './debugContainer.ts';

export interface CommandDeps {
  tree: ClusterTreeProvider;
  view: vscode.TreeView<TreeNode>;
  picker: TargetPicker;
  /** Reloads the kubeconfig files and rebuilds the tree. */
  reload(): void;
}

type Handler = (...args: unknown[]) => unknown;

export function registerCommands(deps: CommandDeps): vscode.Disposable {
  const { tree, picker } = deps;
  const clusters = () => tree.clusters;

  const table: Record<string, Handler> = {
    'kubeExec.refresh': (node) => {
      if (node instanceof NamespaceNode) {
        node.stop();
        tree.changed(node);
      } else if (node instanceof ContextNode) {
        tree.changed(node);
      } else {
        deps.reload();
      }
    },

    'kubeExec.openShell': async (node, selected) => {
      // A multi-selection invokes the command once with every selected node.
      const nodes = Array.isArray(selected) && selected.length > 1 ? selected : [node];
      for (const n of nodes) {
        const target = await targetOf(n);
        if (!target) return;
        picker.remember(target);
        openShellTerminal(clusters, target);
      }
    },

    'kubeExec.filterPods': async (node) => {
      if (!(node instanceof NamespaceNode)) return;
      const text = await vscode.window.showInputBox({
        title: `Filter pods in ${node.name}`,
        prompt: 'A part of the pod name, or a label selector such as app=web or tier in (api,db). Empty clears the filter.',
        value: node.filter?.text ?? '',
      });
      if (text === undefined) return;
      node.setFilter(parsePodFilter(text));
      await deps.view.reveal(node, { expand: true }).then(undefined, () => undefined);
    },

    'kubeExec.clearFilter': (node) => {
      if (node instanceof NamespaceNode) node.setFilter(undefined);
    },

    'kubeExec.showMore': (node) => {
      if (node instanceof NamespaceNode) node.showMore();
    },

    'kubeExec.debugContainer': (node) => debugContainerCommand(clusters, picker, node),

    'kubeExec.attachContainer': (node) => attachContainerCommand(clusters, picker, node),

    'kubeExec.addKubeconfig': async () => {
      const uris = await vscode.window.showOpenDialog({ title: 'Add a kubeconfig file', canSelectMany: true, openLabel: 'Add' });
      for (const uri of uris ?? []) await addKubeconfigFile(uri.fsPath);
    },

    'kubeExec.copyName': async (node) => {
      const name =
        node instanceof ContextNode ? node.info.name : node instanceof NamespaceNode ? node.name : node instanceof PodNode ? node.name : node instanceof ContainerNode ? node.container.name : undefined;
      if (name) await vscode.env.clipboard.writeText(name);
    },
  };

  async function targetOf(node: unknown): Promise<ContainerTarget | undefined> {
    if (node instanceof ContainerNode) {
      const pod = node.parent;
      if (node.container.state !== 'running') throw new Error(`Container ${node.container.name} of ${pod.name} is not running (${node.container.reason ?? node.container.state}).`);
      return { context: pod.context, namespace: pod.namespace, pod: pod.name, container: node.container.name, nodeOS: podNodeOS(pod.pod) };
    }
    if (node instanceof PodNode) return picker.pickContainerOf(node.context, node.pod);
    if (isContainerTarget(node)) return node;
    return picker.pickContainer();
  }

  return vscode.Disposable.from(
    ...Object.entries(table).map(([id, handler]) =>
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          await handler(...args);
        } catch (err) {
          void vscode.window.showErrorMessage(`Kube Exec: ${describeError(err)}`);
        }
      }),
    ),
  );
}

function isContainerTarget(value: unknown): value is ContainerTarget {
  const t = value as ContainerTarget | undefined;
  return typeof t?.context === 'string' && typeof t.namespace === 'string' && typeof t.pod === 'string' && typeof t.container === 'string';
}
