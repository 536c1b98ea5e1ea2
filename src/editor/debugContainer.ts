// "Debug Container..." and "Attach": a debug container is started in a pod with progress in a
// notification, then a terminal is attached to it; one left running can be attached again from
// the tree. The engine (src/kube/debugContainer.ts) does the API work; this is the editor's part:
// choosing the target, the image setting, progress and cancel, and the terminal.
import * as vscode from 'vscode';
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterSet } from '../kube/clusterSet.ts';
import { attachContainer, DebugContainerError, startDebugContainer, type DebugProgress } from '../kube/debugContainer.ts';
import { describeError } from '../kube/errors.ts';
import type { ExecSession } from '../kube/exec/session.ts';
import { summarizeContainers } from '../kube/podSummary.ts';
import { readSettings } from './settings.ts';
import type { ContainerTarget } from './shellLauncher.ts';
import { ShellTerminal, type ShellConnector } from './shellTerminal.ts';
import { DIM, RESET } from './terminalIo.ts';
import type { TargetPicker } from './targetPicker.ts';
import { ContainerNode, PodNode } from './tree/nodes.ts';

const IMAGE_PULL_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);

interface DebugTarget {
  context: string;
  namespace: string;
  pod: string;
  /** The container whose processes and files the debug container shares; none for a pod without one running. */
  container?: string;
}

/**
 * The command: from a pod or container in the tree, from the "no shell" offer (a
 * ContainerTarget), or from the palette (the picker walks context, namespace, pod, container).
 */
export async function debugContainerCommand(clusters: () => ClusterSet, picker: TargetPicker, arg: unknown): Promise<void> {
  const target = await debugTargetOf(picker, arg);
  if (!target) return;
  const image = readSettings().debugImage;
  const client = clusters().client(target.context);
  const where = `${target.namespace}/${target.pod}`;
  const controller = new AbortController();
  let started: { name: string };
  try {
    started = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Debug container in ${where}`, cancellable: true },
      (progress, token) => {
        token.onCancellationRequested(() => controller.abort(new vscode.CancellationError()));
        return startDebugContainer(
          client,
          { namespace: target.namespace, pod: target.pod, image, targetContainer: target.container },
          { signal: controller.signal, onProgress: (p) => progress.report({ message: progressText(p, image) }) },
        );
      },
    );
  } catch (err) {
    if (err instanceof vscode.CancellationError || controller.signal.aborted) {
      void vscode.window.showInformationMessage(`Kube Exec: stopped waiting for the debug container in ${where}. If it starts later it shows under the pod, and Attach connects to it.`);
      return;
    }
    if (err instanceof DebugContainerError && err.reason && IMAGE_PULL_FAILURES.has(err.reason)) {
      const change = 'Change Debug Image';
      const choice = await vscode.window.showErrorMessage(`Kube Exec: ${err.message} The image comes from the kubeExec.debugImage setting ("${image}").`, change);
      if (choice === change) await vscode.commands.executeCommand('workbench.action.openSettings', 'kubeExec.debugImage');
      return;
    }
    throw err;
  }
  openAttachTerminal(clusters, { ...target, container: started.name }, true);
}

/** "Attach" on a debug container in the tree (or any running container, from the palette). */
export async function attachContainerCommand(clusters: () => ClusterSet, picker: TargetPicker, arg: unknown): Promise<void> {
  let target: ContainerTarget | undefined;
  if (arg instanceof ContainerNode) {
    const pod = arg.parent;
    if (arg.container.state !== 'running') {
      throw new Error(`Container ${arg.container.name} of ${pod.name} is not running (${arg.container.reason ?? arg.container.state}); a debug container that has ended cannot be started again.`);
    }
    target = { context: pod.context, namespace: pod.namespace, pod: pod.name, container: arg.container.name };
  } else if (isContainerTarget(arg)) {
    target = arg;
  } else {
    target = await picker.pickContainer();
  }
  if (target) openAttachTerminal(clusters, target, false);
}

async function debugTargetOf(picker: TargetPicker, arg: unknown): Promise<DebugTarget | undefined> {
  if (arg instanceof ContainerNode) {
    const pod = arg.parent;
    if (arg.container.kind === 'container') return { context: pod.context, namespace: pod.namespace, pod: pod.name, container: arg.container.name };
    return targetOfPod(pod);
  }
  if (arg instanceof PodNode) return targetOfPod(arg);
  if (isContainerTarget(arg)) return { context: arg.context, namespace: arg.namespace, pod: arg.pod, container: arg.container };
  return picker.pickContainer();
}

/** The app container to share processes with: the only one, the running one, or the user's pick. */
async function targetOfPod(node: PodNode): Promise<DebugTarget | undefined> {
  const base = { context: node.context, namespace: node.namespace, pod: node.name };
  const apps = summarizeContainers(node.pod).filter((c) => c.kind === 'container');
  const running = apps.filter((c) => c.state === 'running');
  const candidates = running.length > 0 ? running : apps;
  if (candidates.length <= 1) return { ...base, container: candidates[0]?.name };
  const preferred = defaultContainer(node.pod);
  const items = candidates.map((c) => ({ label: c.name, description: `${c.image} · ${c.state}`, name: c.name }));
  items.sort((a, b) => Number(b.name === preferred) - Number(a.name === preferred));
  const chosen = await vscode.window.showQuickPick(items, {
    title: `Debug container in ${node.name}: whose processes and files should it see?`,
    placeHolder: 'The debug container shares this container\'s process namespace; its files are at /proc/<pid>/root',
  });
  return chosen ? { ...base, container: chosen.name } : undefined;
}

function defaultContainer(pod: V1Pod): string | undefined {
  return pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
}

function progressText(p: DebugProgress, image: string): string {
  if (p.stage === 'adding') return `Adding a container with ${image}...`;
  const reason = p.reason ?? 'Pending';
  return p.message ? `${reason}: ${p.message}` : `${reason}...`;
}

function isContainerTarget(value: unknown): value is ContainerTarget {
  const t = value as ContainerTarget | undefined;
  return typeof t?.context === 'string' && typeof t.namespace === 'string' && typeof t.pod === 'string' && typeof t.container === 'string';
}

/**
 * A terminal on the container's main process, through ShellTerminal. `fresh`: we just started
 * it, so its shell is at an empty prompt that was printed before we attached (attach does not
 * replay output); Enter makes it print one again. On a re-attach the shell may hold a half-typed
 * line, so nothing is sent and a hint says what kubectl says.
 */
function openAttachTerminal(clusters: () => ClusterSet, target: ContainerTarget, fresh: boolean): vscode.Terminal {
  let nudge = fresh;
  const connector: ShellConnector = {
    description: `container ${target.container} of ${target.namespace}/${target.pod} in context ${target.context}`,
    async open(size) {
      const settings = readSettings();
      const session = attachContainer(clusters().kubeConfig(target.context), {
        namespace: target.namespace,
        pod: target.pod,
        container: target.container,
        size,
        keepaliveIntervalMs: settings.keepaliveIntervalMs,
        keepaliveTimeoutMs: settings.keepaliveTimeoutMs,
      });
      try {
        await session.protocol;
      } catch (err) {
        throw new Error(`Cannot attach to ${target.container} in ${target.namespace}/${target.pod}: ${describeError(err)}`);
      }
      if (nudge) session.stdin.write('\r');
      else hint(session, `Attached to ${target.container}. If you see no prompt, press Enter.`);
      // Reconnecting after a lost connection finds the same shell, mid-line perhaps.
      nudge = false;
      return { session, shell: target.container };
    },
    debugContainer() {
      // Attaching never looks for a shell.
    },
  };
  const terminal = vscode.window.createTerminal({
    name: `${target.pod}/${target.container}`,
    pty: new ShellTerminal(connector),
    iconPath: new vscode.ThemeIcon('debug'),
  });
  terminal.show();
  return terminal;
}

/** A dim line shown before the container's output. */
function hint(session: ExecSession, text: string): void {
  try {
    session.stdout.unshift(Buffer.from(`${DIM}${text}${RESET}\r\n`));
  } catch {
    // The session already ended; its outcome says more than the hint would.
  }
}
