// Saved commands in the editor: the store of definitions, the Saved Commands view, the run
// commands and the reports, registered together and disposed together.
import * as vscode from 'vscode';
import type { ClusterSet } from '../../kube/clusterSet.ts';
import { describeError } from '../../kube/errors.ts';
import { FILE_KEY } from '../../kube/savedCommands/definitions.ts';
import { ReportViews } from './report.ts';
import { SavedCommandRunner } from './runner.ts';
import { SavedCommandStore, WORKSPACE_FILE } from './store.ts';
import { SavedCommandsView } from './view.ts';

export interface SavedCommandsDeps {
  /** The clusters of the current kubeconfig (it changes when the kubeconfig does). */
  clusters: () => ClusterSet;
}

const STARTER_FILE = `${JSON.stringify(
  {
    [FILE_KEY]: [
      { name: 'Print environment', command: 'env | sort', description: 'Environment variables of the container' },
      { name: 'OS release', command: ['cat', '/etc/os-release'] },
    ],
  },
  null,
  2,
)}\n`;

export function registerSavedCommands(deps: SavedCommandsDeps): vscode.Disposable {
  const store = new SavedCommandStore();
  const reports = new ReportViews();
  const runner = new SavedCommandRunner({ store, clusters: deps.clusters, reports });
  const view = new SavedCommandsView(store);
  const treeView = vscode.window.createTreeView('kubeExec.savedCommands', { treeDataProvider: view });

  const guarded =
    (handler: (...args: unknown[]) => Promise<void>) =>
    async (...args: unknown[]): Promise<void> => {
      try {
        await handler(...args);
      } catch (err) {
        void vscode.window.showErrorMessage(`Kube Exec: ${describeError(err)}`);
      }
    };

  return vscode.Disposable.from(
    store,
    reports,
    runner,
    view,
    treeView,
    vscode.commands.registerCommand('kubeExec.runSavedCommand', guarded((node, selected) => runner.run(node, selected))),
    vscode.commands.registerCommand('kubeExec.savedCommands.run', guarded((item) => runner.run(item, undefined))),
    vscode.commands.registerCommand('kubeExec.savedCommands.edit', guarded(() => editSavedCommands())),
  );
}

/** Opens `.vscode/kube-exec.json` (made with two examples if missing), or the user setting. */
async function editSavedCommands(): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  let where: 'file' | 'settings' = 'settings';
  if (folder) {
    const picked = await vscode.window.showQuickPick(
      [
        { label: WORKSPACE_FILE, description: 'shared with everyone who opens this workspace', where: 'file' as const },
        { label: 'User settings', description: 'kubeExec.savedCommands, for you in every workspace', where: 'settings' as const },
      ],
      { title: 'Where should the saved commands live?' },
    );
    if (!picked) return;
    where = picked.where;
  }
  if (where === 'settings' || !folder) {
    await vscode.commands.executeCommand('workbench.action.openSettingsJson', { revealSetting: { key: 'kubeExec.savedCommands', edit: true } });
    return;
  }
  const uri = vscode.Uri.joinPath(folder.uri, WORKSPACE_FILE);
  const exists = await vscode.workspace.fs.stat(uri).then(
    () => true,
    () => false,
  );
  if (!exists) {
    await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(uri, '..'));
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(STARTER_FILE));
  }
  await vscode.window.showTextDocument(uri);
}
