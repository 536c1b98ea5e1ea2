// Entry point: builds the parts and wires them together. Behaviour lives in src/editor and src/kube.
import * as vscode from 'vscode';
import { ClusterSet } from './kube/clusterSet.ts';
import { registerCommands } from './editor/commands.ts';
import { registerContainerFiles } from './editor/containerFileSystem.ts';
import { registerPortForwardsAndDebugger } from './editor/debugAttach.ts';
import { KubeconfigSource } from './editor/kubeconfigSource.ts';
import { registerLogs } from './editor/logs.ts';
import { affectsSettings, readSettings } from './editor/settings.ts';
import { shellTerminalOptions } from './editor/shellLauncher.ts';
import { TargetPicker } from './editor/targetPicker.ts';
import { registerSavedCommands } from './editor/savedCommands/register.ts';
import { ClusterTreeProvider } from './editor/tree/clusterTreeProvider.ts';

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const settings = readSettings();
  const source = new KubeconfigSource(settings.kubeconfigFiles);
  const tree = new ClusterTreeProvider(new ClusterSet(await source.load()), settings.namespaceFilter);
  const view = vscode.window.createTreeView('kubeExec.clusters', { treeDataProvider: tree, showCollapseAll: true, canSelectMany: true });
  const clusters = () => tree.clusters;
  const picker = new TargetPicker(context.globalState, clusters);

  context.subscriptions.push(
    source,
    tree,
    view,
    tree.attach(view),
    source.onDidChange((loaded) => tree.setClusters(new ClusterSet(loaded))),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (affectsSettings(e, 'kubeconfigFiles')) source.setExtraFiles(readSettings().kubeconfigFiles);
      if (affectsSettings(e, 'namespaceFilter')) tree.setNamespacePatterns(readSettings().namespaceFilter);
    }),
    registerCommands({ tree, view, picker, reload: () => source.scheduleReload() }),
    registerSavedCommands({ clusters }),
    registerContainerFiles({ clusters, picker }),
    registerLogs({ clusters, picker }),
    registerPortForwardsAndDebugger({ clusters, picker, memento: context.globalState }),
    vscode.window.registerTerminalProfileProvider('kubeExec.shell', {
      async provideTerminalProfile() {
        const target = await picker.pickContainer();
        return target ? new vscode.TerminalProfile(shellTerminalOptions(clusters, target)) : undefined;
      },
    }),
  );
}

export function deactivate(): void {}
