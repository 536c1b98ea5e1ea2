// A container's files in ordinary editor tabs and in the Explorer: a FileSystemProvider for
// `kube-exec://<context>/<namespace>/<pod>/<container>/<path>` over the engine's ContainerFs,
// and the commands that open a container folder or file.
import * as vscode from 'vscode';
import type { ClusterSet } from '../kube/clusterSet.ts';
import { ContainerFs, ContainerFsError, copyBetween, type ContainerFileStat, type EntryKind } from '../kube/containerFs/containerFs.ts';
import { formatLocation, normalizeContainerPath, parseLocation, type ContainerLocation } from '../kube/containerFs/location.ts';
import { describeError } from '../kube/errors.ts';
import { podNodeOS } from '../kube/podSummary.ts';
import { readSettings } from './settings.ts';
import type { ContainerTarget } from './shellLauncher.ts';
import type { TargetPicker } from './targetPicker.ts';
import { ContainerNode, PodNode } from './tree/nodes.ts';

export const SCHEME = 'kube-exec';

type Target = Pick<ContainerTarget, 'context' | 'namespace' | 'pod' | 'container'>;

export function containerUri(target: Target, path = '/'): vscode.Uri {
  const { authority, path: uriPath } = formatLocation({ ...target, path });
  return vscode.Uri.from({ scheme: SCHEME, authority, path: uriPath });
}

function kindToType(kind: EntryKind, symlink: boolean): vscode.FileType {
  const base =
    kind === 'directory' ? vscode.FileType.Directory
    : kind === 'file' ? vscode.FileType.File
    // Devices, FIFOs, sockets and dangling links: shown, but not opened as files (a FIFO would block).
    : vscode.FileType.Unknown;
  return symlink ? base | vscode.FileType.SymbolicLink : base;
}

/** The editor's kind of error for an engine failure, keeping the engine's sentence. */
export function toFileSystemError(err: unknown): vscode.FileSystemError {
  if (err instanceof vscode.FileSystemError) return err;
  if (!(err instanceof ContainerFsError)) return new vscode.FileSystemError(describeError(err));
  switch (err.code) {
    case 'FileNotFound':
      return vscode.FileSystemError.FileNotFound(err.message);
    case 'FileExists':
      return vscode.FileSystemError.FileExists(err.message);
    case 'FileNotADirectory':
      return vscode.FileSystemError.FileNotADirectory(err.message);
    case 'FileIsADirectory':
      return vscode.FileSystemError.FileIsADirectory(err.message);
    case 'NoPermissions':
    case 'ReadOnlyFileSystem':
      return vscode.FileSystemError.NoPermissions(err.message);
    case 'Unavailable':
    case 'ToolMissing':
      return vscode.FileSystemError.Unavailable(err.message);
    default:
      return new vscode.FileSystemError(err.message);
  }
}

export class ContainerFileSystemProvider implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly changes = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changes.event;
  private readonly clusters: () => ClusterSet;
  /** One per container, so its limit on parallel execs holds across calls. */
  private readonly containers = new Map<string, ContainerFs>();

  constructor(clusters: () => ClusterSet) {
    this.clusters = clusters;
  }

  /** The engine for the container a URI points into, and the path inside it. */
  locate(uri: vscode.Uri): { fs: ContainerFs; location: ContainerLocation } {
    let location: ContainerLocation;
    try {
      location = parseLocation(uri.authority, uri.path);
    } catch (err) {
      throw vscode.FileSystemError.FileNotFound(describeError(err));
    }
    const key = JSON.stringify([location.context, location.namespace, location.pod, location.container]);
    let fs = this.containers.get(key);
    if (!fs) {
      const settings = readSettings();
      const context = location.context;
      fs = new ContainerFs({
        // Looked up on every exec: the kubeconfig may have been reloaded since.
        kubeConfig: () => this.clusters().kubeConfig(context),
        target: { namespace: location.namespace, pod: location.pod, container: location.container },
        keepaliveIntervalMs: settings.keepaliveIntervalMs,
        keepaliveTimeoutMs: settings.keepaliveTimeoutMs,
      });
      this.containers.set(key, fs);
    }
    return { fs, location };
  }

  // Changes made in the container by others are not watched: polling over exec would cost a
  // process per folder every few seconds. The Explorer's Refresh reads folders again.
  watch(): vscode.Disposable {
    return new vscode.Disposable(() => {});
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const { fs, location } = this.locate(uri);
    const stat = await guard(fs.stat(location.path));
    return toFileStat(stat);
  }

  async readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    const { fs, location } = this.locate(uri);
    const entries = await guard(fs.readDirectory(location.path));
    return entries.map((e) => [e.name, kindToType(e.kind, e.symlink)]);
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const { fs, location } = this.locate(uri);
    return guard(fs.readFile(location.path));
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array, options: { create: boolean; overwrite: boolean }): Promise<void> {
    const { fs, location } = this.locate(uri);
    await guard(fs.writeFile(location.path, content, options));
    this.fire({ type: vscode.FileChangeType.Changed, uri });
  }

  async createDirectory(uri: vscode.Uri): Promise<void> {
    const { fs, location } = this.locate(uri);
    await guard(fs.createDirectory(location.path));
    this.fire({ type: vscode.FileChangeType.Created, uri });
  }

  async delete(uri: vscode.Uri, options: { recursive: boolean }): Promise<void> {
    const { fs, location } = this.locate(uri);
    await guard(fs.delete(location.path, options));
    this.fire({ type: vscode.FileChangeType.Deleted, uri });
  }

  async rename(oldUri: vscode.Uri, newUri: vscode.Uri, options: { overwrite: boolean }): Promise<void> {
    const from = this.locate(oldUri);
    const to = this.locate(newUri);
    if (from.fs === to.fs) {
      await guard(from.fs.rename(from.location.path, to.location.path, options));
    } else {
      // Across containers a move is a streamed copy, then the source goes.
      await guard(copyBetween(from.fs, from.location.path, to.fs, to.location.path, options));
      await guard(from.fs.delete(from.location.path, { recursive: true }));
    }
    this.fire({ type: vscode.FileChangeType.Deleted, uri: oldUri }, { type: vscode.FileChangeType.Created, uri: newUri });
  }

  async copy(source: vscode.Uri, destination: vscode.Uri, options: { overwrite: boolean }): Promise<void> {
    const from = this.locate(source);
    const to = this.locate(destination);
    if (from.fs === to.fs) await guard(from.fs.copy(from.location.path, to.location.path, options));
    else await guard(copyBetween(from.fs, from.location.path, to.fs, to.location.path, options));
    this.fire({ type: vscode.FileChangeType.Created, uri: destination });
  }

  private fire(...events: vscode.FileChangeEvent[]): void {
    this.changes.fire(events);
  }

  dispose(): void {
    this.changes.dispose();
    this.containers.clear();
  }
}

function toFileStat(stat: ContainerFileStat): vscode.FileStat {
  const result: vscode.FileStat = {
    type: kindToType(stat.kind, stat.symlink),
    size: stat.size,
    mtime: stat.mtimeMs,
    ctime: stat.ctimeMs,
  };
  // The Explorer and editors then show the file read-only instead of failing on save.
  if (!stat.writable) result.permissions = vscode.FilePermission.Readonly;
  return result;
}

async function guard<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw toFileSystemError(err);
  }
}

// --- commands ---------------------------------------------------------------------------------

export interface ContainerFilesDeps {
  clusters: () => ClusterSet;
  picker: TargetPicker;
}

/** Registers the provider and the "Open Container Folder" / "Open File in Container..." commands. */
export function registerContainerFiles(deps: ContainerFilesDeps): vscode.Disposable {
  const provider = new ContainerFileSystemProvider(deps.clusters);
  let lastFile = '/';

  const openFolder = async (target: ContainerTarget): Promise<void> => {
    const path = await askPath(`Open Container Folder: ${target.pod}/${target.container}`, 'Folder in the container to open in the Explorer', '/');
    if (path === undefined) return;
    const uri = containerUri(target, path);
    const stat = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Opening ${path} in ${target.pod}/${target.container}` },
      () => provider.stat(uri),
    );
    if ((stat.type & vscode.FileType.Directory) === 0) throw new Error(`${path} in ${target.pod}/${target.container} is not a folder. Use "Open File in Container..." for files.`);
    // The Explorer is shown first: adding a folder to a window with one folder (or none) turns
    // it into a workspace and reloads it, and a command run after that races the reload. Lost,
    // the window came back with the Kube Exec view, nothing asked for the folder, and so nothing
    // activated the provider either (seen in CI as an Explorer that never showed the folder).
    await vscode.commands.executeCommand('workbench.view.explorer');
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (!folders.some((f) => f.uri.toString() === uri.toString())) {
      const name = `${target.pod}/${target.container}${path === '/' ? '' : `:${path}`}`;
      // After a reload the provider comes back through the onFileSystem activation event.
      if (!vscode.workspace.updateWorkspaceFolders(folders.length, 0, { uri, name })) {
        throw new Error(`VS Code did not add ${name} to the workspace.`);
      }
    }
  };

  const openFile = async (target: ContainerTarget): Promise<void> => {
    const path = await askPath(`Open File in Container: ${target.pod}/${target.container}`, 'Absolute path of the file in the container', lastFile);
    if (path === undefined) return;
    lastFile = path;
    const uri = containerUri(target, path);
    // Fails early with the engine's message (no shell, permission denied...) rather than an editor error tab.
    await provider.stat(uri);
    await vscode.commands.executeCommand('vscode.open', uri, { preview: false });
  };

  const guarded =
    (handler: (target: ContainerTarget) => Promise<void>) =>
    async (node: unknown): Promise<void> => {
      let target: ContainerTarget | undefined;
      try {
        target = await targetOf(node, deps.picker);
        if (target) await handler(target);
      } catch (err) {
        await reportError(err, target);
      }
    };

  return vscode.Disposable.from(
    provider,
    vscode.workspace.registerFileSystemProvider(SCHEME, provider, { isCaseSensitive: true }),
    vscode.commands.registerCommand('kubeExec.openContainerFolder', guarded(openFolder)),
    vscode.commands.registerCommand('kubeExec.openContainerFile', guarded(openFile)),
  );
}

async function reportError(err: unknown, target: ContainerTarget | undefined): Promise<void> {
  const message = `Kube Exec: ${err instanceof Error ? err.message : describeError(err)}`;
  // A shell-less image: a debug container is the way in, so offer it right away.
  const toolMissing = err instanceof vscode.FileSystemError ? /Debug Container/.test(err.message) : err instanceof ContainerFsError && err.code === 'ToolMissing';
  if (!toolMissing || !target) {
    void vscode.window.showErrorMessage(message);
    return;
  }
  const choice = await vscode.window.showErrorMessage(message, 'Debug Container...');
  if (choice) await vscode.commands.executeCommand('kubeExec.debugContainer', target);
}

async function askPath(title: string, prompt: string, value: string): Promise<string | undefined> {
  const answer = await vscode.window.showInputBox({
    title,
    prompt,
    value,
    validateInput: (text) => {
      try {
        normalizeContainerPath(text.trim());
        return undefined;
      } catch (err) {
        return describeError(err);
      }
    },
  });
  return answer === undefined ? undefined : normalizeContainerPath(answer.trim());
}

async function targetOf(node: unknown, picker: TargetPicker): Promise<ContainerTarget | undefined> {
  let target: ContainerTarget | undefined;
  if (node instanceof ContainerNode) {
    const pod = node.parent;
    if (node.container.state !== 'running') {
      throw new Error(`Container ${node.container.name} of ${pod.name} is not running (${node.container.reason ?? node.container.state}); its files are reachable only while it runs.`);
    }
    target = { context: pod.context, namespace: pod.namespace, pod: pod.name, container: node.container.name, nodeOS: podNodeOS(pod.pod) };
  } else if (node instanceof PodNode) {
    target = await picker.pickContainerOf(node.context, node.pod);
  } else if (isContainerTarget(node)) {
    target = node;
  } else {
    target = await picker.pickContainer();
  }
  if (target?.nodeOS === 'windows') {
    throw new Error(`${target.pod}/${target.container} runs on a Windows node; container files work with Linux containers only.`);
  }
  return target;
}

function isContainerTarget(value: unknown): value is ContainerTarget {
  const t = value as ContainerTarget | undefined;
  return typeof t?.context === 'string' && typeof t.namespace === 'string' && typeof t.pod === 'string' && typeof t.container === 'string';
}
