// Where the kubeconfig comes from (KUBECONFIG or ~/.kube/config, plus the extra files of the
// settings) and the watch that reloads it when one of those files changes.
import * as path from 'node:path';
import { watch, type FSWatcher } from 'node:fs';
import { homedir } from 'node:os';
import * as vscode from 'vscode';
import { kubeconfigPaths, loadKubeconfig, type LoadedKubeconfig } from '../kube/kubeconfig.ts';

/** Editors save in bursts (write, rename, chmod): reload once things settle. */
const RELOAD_DEBOUNCE_MS = 300;

export class KubeconfigSource implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<LoadedKubeconfig>();
  /** Fires with the newly loaded kubeconfig after a watched file changed. */
  readonly onDidChange = this.emitter.event;
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private extraFiles: string[];

  constructor(extraFiles: string[]) {
    this.extraFiles = extraFiles;
  }

  files(): string[] {
    return [...kubeconfigPaths(), ...this.extraFiles.map(expandHome)];
  }

  async load(): Promise<LoadedKubeconfig> {
    const loaded = await loadKubeconfig({ extraFiles: this.extraFiles.map(expandHome) });
    this.watchFiles();
    return loaded;
  }

  setExtraFiles(files: string[]): void {
    this.extraFiles = files;
    this.scheduleReload();
  }

  scheduleReload(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.load().then(
        (loaded) => this.emitter.fire(loaded),
        () => undefined, // loadKubeconfig reports file problems in its result; nothing else can fail
      );
    }, RELOAD_DEBOUNCE_MS);
  }

  /**
   * Watches the folders, not the files: editors and `kubectl config` replace a file by
   * renaming a new one over it, which a watch on the old file would miss.
   */
  private watchFiles(): void {
    this.closeWatchers();
    const byDir = new Map<string, Set<string>>();
    for (const file of this.files()) {
      const dir = path.dirname(file);
      if (!byDir.has(dir)) byDir.set(dir, new Set());
      byDir.get(dir)!.add(path.basename(file));
    }
    for (const [dir, names] of byDir) {
      try {
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          if (!name || names.has(name.toString())) this.scheduleReload();
        });
        watcher.on('error', () => watcher.close());
        this.watchers.push(watcher);
      } catch {
        // A folder that does not exist yet cannot be watched; the file problem is shown in the tree.
      }
    }
  }

  private closeWatchers(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.closeWatchers();
    this.emitter.dispose();
  }
}

function expandHome(file: string): string {
  return file.startsWith('~/') ? path.join(homedir(), file.slice(2)) : file;
}
