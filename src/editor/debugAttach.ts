// "Attach Debugger": pick the runtime (Node.js inspector, Python debugpy, Go Delve, Java JDWP),
// the port it listens on in the container, forward it, and start a VS Code debug session
// attached to the local end, with the container's source root mapped to the workspace folder.
// For Node.js, a process started without --inspect can be switched into inspector mode first
// (SIGUSR1 over exec). The forward lives as long as the debug session.
import * as vscode from 'vscode';
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterSet } from '../kube/clusterSet.ts';
import { enableInspector, listNodeProcesses, type NodeProcess } from '../kube/nodeInspector.ts';
import { askPort, declaredPorts, guarded, PortForwards, registerPortForwardCommands } from './portForward.ts';
import { readSettings } from './settings.ts';
import type { ContainerTarget } from './shellLauncher.ts';
import type { TargetPicker } from './targetPicker.ts';
import { ContainerNode, PodNode } from './tree/nodes.ts';

type RuntimeId = 'node' | 'python' | 'go' | 'java';

interface Runtime {
  id: RuntimeId;
  label: string;
  detail: string;
  port: number;
  /** Names a container port of this kind usually has. */
  portNames: string[];
  /** The extension that provides the debugger, when VS Code does not have it built in. */
  extension?: { id: string; name: string };
  /** Whether sources map between the container and the workspace. */
  mapsSources: boolean;
}

export const RUNTIMES: readonly Runtime[] = [
  { id: 'node', label: 'Node.js', detail: 'inspector protocol (node --inspect), port 9229', port: 9229, portNames: ['inspector', 'inspect', 'debug'], mapsSources: true },
  { id: 'python', label: 'Python', detail: 'debugpy (python -m debugpy --listen 0.0.0.0:5678), port 5678', port: 5678, portNames: ['debugpy', 'debug'], extension: { id: 'ms-python.debugpy', name: 'Python Debugger' }, mapsSources: true },
  { id: 'go', label: 'Go', detail: 'Delve headless server (dlv --headless --listen=:2345), port 2345', port: 2345, portNames: ['delve', 'dlv', 'debug'], extension: { id: 'golang.go', name: 'Go' }, mapsSources: true },
  { id: 'java', label: 'Java', detail: 'JDWP (-agentlib:jdwp=transport=dt_socket,server=y,address=*:5005), port 5005', port: 5005, portNames: ['jdwp', 'debug'], extension: { id: 'vscjava.vscode-java-debug', name: 'Debugger for Java' }, mapsSources: false },
];

/** Marks our debug configurations, so the forward can end with the session. */
const FORWARD_KEY = 'kubeExecPortForward';
const LAST_ROOT_KEY = 'kubeExec.debug.lastRemoteRoot';

/** The attach configuration for a runtime listening on 127.0.0.1:`port`. */
export function attachConfiguration(runtime: RuntimeId, name: string, port: number, localRoot: string | undefined, remoteRoot: string | undefined): vscode.DebugConfiguration {
  const host = '127.0.0.1';
  const mapped = localRoot !== undefined && remoteRoot !== undefined;
  switch (runtime) {
    case 'node':
      return {
        type: 'node', request: 'attach', name, address: host, port,
        ...(mapped ? { localRoot, remoteRoot } : {}),
        skipFiles: ['<node_internals>/**'],
      };
    case 'python':
      return {
        type: 'debugpy', request: 'attach', name, connect: { host, port },
        ...(mapped ? { pathMappings: [{ localRoot, remoteRoot }] } : {}),
        justMyCode: true,
      };
    case 'go':
      return {
        type: 'go', request: 'attach', name, mode: 'remote', host, port,
        ...(mapped ? { substitutePath: [{ from: localRoot, to: remoteRoot }] } : {}),
      };
    case 'java':
      return { type: 'java', request: 'attach', name, hostName: host, port };
  }
}

interface DebugTarget extends ContainerTarget {
  /** The pod object when the command came from the tree (its declared ports help). */
  podObject: V1Pod | undefined;
}

async function targetOf(node: unknown, picker: TargetPicker): Promise<DebugTarget | undefined> {
  if (node instanceof ContainerNode) {
    const p = node.parent;
    if (node.container.state !== 'running') throw new Error(`Container ${node.container.name} of ${p.name} is not running (${node.container.reason ?? node.container.state}); there is no process to debug.`);
    return { context: p.context, namespace: p.namespace, pod: p.name, container: node.container.name, podObject: p.pod };
  }
  if (node instanceof PodNode) {
    const t = await picker.pickContainerOf(node.context, node.pod);
    return t ? { ...t, podObject: node.pod } : undefined;
  }
  const t = node as ContainerTarget | undefined;
  if (typeof t?.context === 'string' && typeof t.pod === 'string' && typeof t.container === 'string') return { ...t, podObject: undefined };
  const picked = await picker.pickContainer();
  return picked ? { ...picked, podObject: undefined } : undefined;
}

/** The runtimes, the one the container's declared ports suggest first. */
async function pickRuntime(target: DebugTarget): Promise<{ runtime: Runtime; port: number } | undefined> {
  const ports = target.podObject ? declaredPorts(target.podObject, target.container) : [];
  const suggested = new Map<RuntimeId, number>();
  for (const r of RUNTIMES) {
    const hit = ports.find((p) => p.containerPort === r.port) ?? ports.find((p) => p.name && r.portNames.includes(p.name));
    if (hit) suggested.set(r.id, hit.containerPort);
  }
  type Item = vscode.QuickPickItem & { runtime: Runtime };
  const items: Item[] = RUNTIMES.map((r) => ({
    label: r.label,
    description: suggested.has(r.id) ? `port ${suggested.get(r.id)} is declared by the container` : undefined,
    detail: r.detail,
    runtime: r,
  }));
  items.sort((a, b) => Number(suggested.has(b.runtime.id)) - Number(suggested.has(a.runtime.id)));
  const chosen = await vscode.window.showQuickPick(items, { title: `Attach Debugger: ${target.pod}/${target.container}`, placeHolder: 'What runs in the container?', matchOnDetail: true });
  if (!chosen) return undefined;
  const port = await askPort(`Attach Debugger: ${chosen.runtime.label} debug port in ${target.pod}/${target.container}`, suggested.get(chosen.runtime.id) ?? chosen.runtime.port);
  return port === undefined ? undefined : { runtime: chosen.runtime, port };
}

/** For Node.js: is the inspector on already, or shall a running process be switched on? */
async function prepareNode(clusters: () => ClusterSet, target: DebugTarget, port: number): Promise<boolean> {
  type Item = vscode.QuickPickItem & { usr1: boolean };
  const chosen = await vscode.window.showQuickPick<Item>([
    { label: '$(debug-alt) The process listens already', detail: `It was started with --inspect (or --inspect=0.0.0.0:${port}).`, usr1: false },
    { label: '$(zap) Switch a running process into inspector mode', detail: 'Sends it SIGUSR1 (kill -USR1 PID) through a shell in the container; Node.js then listens on 127.0.0.1:9229, or on its --inspect-port.', usr1: true },
  ], { title: `Attach Debugger: Node.js in ${target.pod}/${target.container}` });
  if (!chosen) return false;
  if (!chosen.usr1) return true;
  const kubeConfig = clusters().kubeConfig(target.context);
  const ref = { namespace: target.namespace, pod: target.pod, container: target.container };
  const processes = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Looking for Node.js processes in ${target.pod}` }, () => listNodeProcesses(kubeConfig, ref));
  if (processes.length === 0) throw new Error(`No Node.js process runs in ${target.pod}/${target.container}.`);
  let process: NodeProcess | undefined = processes[0];
  if (processes.length > 1) {
    const pick = await vscode.window.showQuickPick(
      processes.map((p) => ({ label: `PID ${p.pid}`, description: p.pid === 1 ? 'the container\'s main process' : undefined, detail: p.command, p })),
      { title: 'Which Node.js process?', matchOnDetail: true },
    );
    process = pick?.p;
  }
  if (!process) return false;
  await enableInspector(kubeConfig, ref, process.pid);
  // Node opens the port right after the signal; give it a moment on a busy node.
  await new Promise((resolve) => setTimeout(resolve, 500));
  return true;
}

async function askRemoteRoot(memento: vscode.Memento, target: DebugTarget): Promise<string | undefined> {
  const setting = readSettings().debugRemoteRoot;
  if (setting) return setting;
  const last = memento.get<string>(LAST_ROOT_KEY) ?? '/app';
  const root = await vscode.window.showInputBox({
    title: `Attach Debugger: sources in ${target.pod}/${target.container}`,
    prompt: 'Folder of the program\'s sources inside the container; it maps to your workspace folder. (Setting: kubeExec.debug.remoteRoot)',
    value: last,
    validateInput: (v) => (v.trim().startsWith('/') || /^[A-Za-z]:[\\/]/.test(v.trim()) ? undefined : 'An absolute path, such as /app'),
  });
  if (root === undefined) return undefined;
  await memento.update(LAST_ROOT_KEY, root.trim());
  return root.trim();
}

export interface DebugAttachDeps {
  clusters: () => ClusterSet;
  picker: TargetPicker;
  forwards: PortForwards;
  memento: vscode.Memento;
}

/** Port forwards (with their status bar item) and the debugger attach that uses them. */
export function registerPortForwardsAndDebugger(deps: Omit<DebugAttachDeps, 'forwards'>): vscode.Disposable {
  const forwards = new PortForwards(deps.clusters);
  return vscode.Disposable.from(
    registerPortForwardCommands({ ...deps, forwards }),
    registerDebugAttach({ ...deps, forwards }),
    forwards,
  );
}

export function registerDebugAttach(deps: DebugAttachDeps): vscode.Disposable {
  const { forwards } = deps;

  const attach = async (node: unknown): Promise<void> => {
    const target = await targetOf(node, deps.picker);
    if (!target) return;
    const picked = await pickRuntime(target);
    if (!picked) return;
    const { runtime, port } = picked;
    if (runtime.extension && !vscode.extensions.getExtension(runtime.extension.id)) {
      const show = await vscode.window.showErrorMessage(`Kube Exec: debugging ${runtime.label} needs the ${runtime.extension.name} extension (${runtime.extension.id}).`, 'Show Extension');
      if (show) await vscode.commands.executeCommand('workbench.extensions.search', runtime.extension.id);
      return;
    }
    if (runtime.id === 'node' && !(await prepareNode(deps.clusters, target, port))) return;
    const folder = vscode.workspace.workspaceFolders?.[0];
    let remoteRoot: string | undefined;
    if (runtime.mapsSources && folder) {
      remoteRoot = await askRemoteRoot(deps.memento, target);
      if (remoteRoot === undefined) return;
    }

    const active = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Forwarding ${target.pod}:${port} for the debugger` },
      () => forwards.start(target, port, `${runtime.label} debugger`),
    );
    const name = `${runtime.label}: ${target.pod}/${target.container}`;
    const config = { ...attachConfiguration(runtime.id, name, active.forward.localPort, folder?.uri.fsPath, remoteRoot), [FORWARD_KEY]: active.id };
    let started = false;
    try {
      started = await vscode.debug.startDebugging(folder, config);
    } finally {
      if (!started) await forwards.stop(active);
    }
    if (!started) throw new Error(`VS Code did not start the ${runtime.label} debug session for ${target.pod}/${target.container}. Is the debugger listening on port ${port} in the container?`);
  };

  return vscode.Disposable.from(
    vscode.commands.registerCommand('kubeExec.attachDebugger', guarded(attach)),
    // The forward was made for the session: it ends with it.
    vscode.debug.onDidTerminateDebugSession((session) => {
      const id = session.configuration[FORWARD_KEY] as unknown;
      if (typeof id !== 'number') return;
      const active = forwards.list().find((a) => a.id === id);
      // Stopping is idempotent: a child session ending with its parent is harmless.
      if (active) void forwards.stop(active);
    }),
  );
}
