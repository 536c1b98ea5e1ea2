// Every saved command the user can see: from user settings, workspace settings and each
// workspace folder's `.vscode/kube-exec.json`, reloaded when any of them changes. Commands from
// the workspace are listed in Restricted Mode but not run, and say why.
import * as vscode from 'vscode';
import { parseCommandsFile, parseDefinitions, type DefinitionProblem, type SavedCommand } from '../../kube/savedCommands/definitions.ts';
import { affectsSavedCommands, savedCommandValues } from './settings.ts';

export const WORKSPACE_FILE = '.vscode/kube-exec.json';
const RELOAD_DEBOUNCE_MS = 200;

export const RESTRICTED_REASON =
  'This command comes from the workspace, and workspace commands run only in a trusted workspace. This window is in Restricted Mode: trust the workspace to run it.';

export class SavedCommandStore implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<void> | undefined;
  private generation = 0;
  commands: SavedCommand[] = [];
  problems: DefinitionProblem[] = [];

  constructor() {
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${WORKSPACE_FILE}`);
    this.disposables.push(
      watcher,
      watcher.onDidCreate(() => this.scheduleReload()),
      watcher.onDidChange(() => this.scheduleReload()),
      watcher.onDidDelete(() => this.scheduleReload()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsSavedCommands(e)) this.scheduleReload();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.scheduleReload()),
      // Nothing to reload, but what may run has changed.
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.emitter.fire()),
      this.emitter,
    );
    this.loading = this.reload();
  }

  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  /** Resolves once the definitions as of now are loaded. */
  ready(): Promise<void> {
    return this.loading ?? Promise.resolve();
  }

  /** Why the command may not run now, or undefined when it may. */
  blockedReason(cmd: SavedCommand): string | undefined {
    return cmd.origin.fromWorkspace && !this.trusted ? RESTRICTED_REASON : undefined;
  }

  runnable(): SavedCommand[] {
    return this.commands.filter((c) => !this.blockedReason(c));
  }

  scheduleReload(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.loading = this.reload();
    }, RELOAD_DEBOUNCE_MS);
  }

  private async reload(): Promise<void> {
    const generation = ++this.generation;
    const commands: SavedCommand[] = [];
    const problems: DefinitionProblem[] = [];
    for (const { label, fromWorkspace, value } of savedCommandValues()) {
      const loaded = parseDefinitions(value, { label, fromWorkspace });
      commands.push(...loaded.commands);
      problems.push(...loaded.problems);
    }
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const uri = vscode.Uri.joinPath(folder.uri, WORKSPACE_FILE);
      let bytes: Uint8Array;
      try {
        bytes = await vscode.workspace.fs.readFile(uri);
      } catch (err) {
        if (err instanceof vscode.FileSystemError && err.code === 'FileNotFound') continue;
        problems.push({ origin: { label: vscode.workspace.asRelativePath(uri), fromWorkspace: true, file: uri.toString() }, message: `could not be read: ${err instanceof Error ? err.message : String(err)}` });
        continue;
      }
      const origin = { label: vscode.workspace.asRelativePath(uri), fromWorkspace: true, file: uri.toString() };
      const loaded = parseCommandsFile(new TextDecoder().decode(bytes), origin);
      commands.push(...loaded.commands);
      problems.push(...loaded.problems);
    }
    // A slower, older reload must not overwrite a newer one.
    if (generation !== this.generation) return;
    this.commands = commands;
    this.problems = problems;
    this.emitter.fire();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.generation += 1;
    for (const d of this.disposables) d.dispose();
  }
}
