// Debug containers: an ephemeral container added to a running pod (pods/{pod}/ephemeralcontainers),
// waited for until it runs, and a terminal attached to it (pods/{pod}/attach). With
// `targetContainerName` it shares the target's process namespace, so the target's processes are
// visible and its files are reachable at /proc/<pid>/root, which is how a distroless container
// (no shell, no tools) can be looked into.
//
// What can go wrong, and what the user is told:
// - the feature is off: the subresource does not exist, a 404 whose Status names nothing
//   (a 404 for a missing pod names the pod); that is how kubectl tells the two apart too;
// - the user may not patch pods/ephemeralcontainers (403), or the API server refuses the spec
//   (422): the API server's own message;
// - the container never starts: its waiting reason and message (ErrImagePull with the registry's
//   answer, CreateContainerError...), or its exit, or a timeout with the last state seen.
// Ephemeral containers cannot be removed or restarted; one that ends stays in the pod as
// Terminated. Detaching (closing the terminal) leaves it running, so it can be re-attached.
import type { V1ContainerState, V1ContainerStatus, V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import type { ClusterClient, PodWatchListener } from './cluster.ts';
import { describeError, KubeApiError } from './errors.ts';
import { podPath } from './names.ts';
import { ExecSession, type KubeConfigLike, type TerminalSize } from './exec/session.ts';

/** A small image with a shell and the usual tools; the `kubeExec.debugImage` default. */
export const DEFAULT_DEBUG_IMAGE = 'busybox:1.36';
/** Long enough for a first pull of a small image on a slow node. */
export const DEFAULT_START_TIMEOUT_MS = 120_000;

/** The part of ClusterClient used here (tests hand in fakes). */
export type DebugClient = Pick<ClusterClient, 'getPod' | 'requestJson' | 'watchPods'>;

export interface DebugContainerRequest {
  namespace: string;
  pod: string;
  image: string;
  /** The container whose processes and files the debug container should see. */
  targetContainer?: string;
  /** Default: `debugger-` and five random characters, as kubectl debug names them. */
  name?: string;
  /** Default: the image's own entrypoint (a shell, for busybox). */
  command?: string[];
}

export type DebugFailure =
  | 'Disabled'
  | 'Forbidden'
  | 'Invalid'
  | 'PodNotRunning'
  | 'PodGone'
  | 'StartFailed'
  | 'Terminated'
  | 'Timeout'
  | 'WatchFailed'
  | 'Failed';

export class DebugContainerError extends Error {
  readonly failure: DebugFailure;
  /** The container's waiting or terminated reason when it did not start (ErrImagePull...). */
  readonly reason?: string;

  constructor(failure: DebugFailure, message: string, reason?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'DebugContainerError';
    this.failure = failure;
    this.reason = reason;
  }
}

export interface DebugProgress {
  /** `adding` while the API request is out, then `waiting` with what the kubelet reports. */
  stage: 'adding' | 'waiting';
  /** The container's waiting reason (ContainerCreating, PodInitializing...) once there is one. */
  reason?: string;
  message?: string;
}

export interface WaitOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?(progress: DebugProgress): void;
}

/** Waiting reasons after which the container will not start without someone fixing something. */
const START_FAILURES = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'RegistryUnavailable',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'PreCreateHookError',
  'PostStartHookError',
]);

// kubectl's utilrand alphabet: no vowels (no words), no look-alikes.
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function debugContainerName(taken: ReadonlySet<string> = new Set()): string {
  for (;;) {
    let suffix = '';
    for (const byte of globalThis.crypto.getRandomValues(new Uint8Array(5))) suffix += NAME_ALPHABET[byte % NAME_ALPHABET.length];
    const name = `debugger-${suffix}`;
    if (!taken.has(name)) return name;
  }
}

/** Every container name of the pod: app, init and ephemeral ones share one name space. */
export function containerNames(pod: V1Pod): Set<string> {
  const spec = pod.spec;
  return new Set([...(spec?.containers ?? []), ...(spec?.initContainers ?? []), ...(spec?.ephemeralContainers ?? [])].map((c) => c.name));
}

/** The ephemeral container we add: interactive, and reporting its logs when it fails. */
export function ephemeralContainerSpec(request: DebugContainerRequest, name: string): V1EphemeralContainer {
  const spec: V1EphemeralContainer = {
    name,
    image: request.image,
    stdin: true,
    tty: true,
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
  if (request.command?.length) spec.command = [...request.command];
  if (request.targetContainer) spec.targetContainerName = request.targetContainer;
  return spec;
}

function where(request: { namespace: string; pod: string }): string {
  return `pod ${request.namespace}/${request.pod}`;
}

/**
 * Adds the ephemeral container with a strategic merge patch (new entries are appended by name;
 * existing ones are left as they are). Resolves with its name and the pod as the server returned it.
 */
export async function addDebugContainer(client: DebugClient, request: DebugContainerRequest, signal?: AbortSignal): Promise<{ name: string; pod: V1Pod }> {
  let current: V1Pod;
  try {
    current = await client.getPod(request.namespace, request.pod, signal);
  } catch (err) {
    if (err instanceof KubeApiError && err.httpStatus === 404) {
      throw new DebugContainerError('PodGone', `Cannot add a debug container: ${where(request)} does not exist (any more). ${err.message}`, undefined, err);
    }
    throw new DebugContainerError('Failed', `Cannot add a debug container to ${where(request)}: ${describeError(err)}`, undefined, err);
  }
  const phase = current.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    throw new DebugContainerError('PodNotRunning', `Cannot add a debug container to ${where(request)}: the pod has finished (phase ${phase}), and containers never start in a finished pod.`);
  }
  if (current.metadata?.deletionTimestamp) {
    throw new DebugContainerError('PodNotRunning', `Cannot add a debug container to ${where(request)}: the pod is being deleted.`);
  }
  const name = request.name ?? debugContainerName(containerNames(current));
  const patch = { spec: { ephemeralContainers: [ephemeralContainerSpec(request, name)] } };
  const path = podPath(request.namespace, request.pod, 'ephemeralcontainers');
  try {
    const pod = await client.requestJson<V1Pod>('PATCH', path, patch, 'application/strategic-merge-patch+json', signal);
    return { name, pod };
  } catch (err) {
    throw addError(err, request);
  }
}

function addError(err: unknown, request: DebugContainerRequest): DebugContainerError {
  if (!(err instanceof KubeApiError)) {
    return new DebugContainerError('Failed', `Cannot add a debug container to ${where(request)}: ${describeError(err)}`, undefined, err);
  }
  switch (err.httpStatus) {
    case 404:
      // A missing pod's 404 names it; a missing subresource's names nothing.
      if (!err.status?.details?.name) {
        return new DebugContainerError(
          'Disabled',
          `Ephemeral containers are switched off on this cluster: the API server has no pods/ephemeralcontainers (${err.message}). They are on by default since Kubernetes 1.23; ask the cluster's administrator to enable the EphemeralContainers feature.`,
          undefined,
          err,
        );
      }
      return new DebugContainerError('PodGone', `Cannot add a debug container: ${where(request)} does not exist (any more). ${err.message}`, undefined, err);
    case 403:
      return new DebugContainerError(
        'Forbidden',
        `Not allowed to add a debug container to ${where(request)}. ${err.message}. Debug containers need the "patch" permission on pods/ephemeralcontainers (and "create" on pods/attach to connect).`,
        undefined,
        err,
      );
    case 422:
      return new DebugContainerError('Invalid', `The API server refused the debug container for ${where(request)}. ${err.message}`, undefined, err);
    default:
      return new DebugContainerError('Failed', `Cannot add a debug container to ${where(request)}: ${err.message}`, undefined, err);
  }
}

export function ephemeralStatus(pod: V1Pod, name: string): V1ContainerStatus | undefined {
  return pod.status?.ephemeralContainerStatuses?.find((s) => s.name === name);
}

function describeState(state: V1ContainerState | undefined): string {
  if (state?.running) return 'running';
  if (state?.terminated) return `terminated (${state.terminated.reason ?? 'exit code ' + state.terminated.exitCode})`;
  if (state?.waiting) return `waiting (${state.waiting.reason ?? 'no reason given'})`;
  return 'not reported by the kubelet yet';
}

/**
 * Follows the pod until the ephemeral container `name` runs; resolves with its status. Rejects
 * with a DebugContainerError when it will not start (the kubelet's reason and message), ends
 * before anyone could attach, the pod goes away, the watch fails for good, or `timeoutMs` passes.
 * Aborting `signal` rejects with its reason.
 */
export function waitForDebugContainer(
  client: DebugClient,
  target: { namespace: string; pod: string },
  name: string,
  options: WaitOptions = {},
): Promise<V1ContainerStatus> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const signal = options.signal;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let last: V1ContainerStatus | undefined;
    let lastProgress = '';
    let done = false;
    let watch: { dispose(): void } | undefined;
    const finish = (result: { ok: V1ContainerStatus } | { error: unknown }): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // The watch may not be assigned yet when the first sync settles it.
      queueMicrotask(() => watch?.dispose());
      if ('ok' in result) resolve(result.ok);
      else reject(result.error);
    };
    const onAbort = (): void => finish({ error: signal!.reason });
    const timer = setTimeout(() => {
      finish({
        error: new DebugContainerError(
          'Timeout',
          `Debug container ${name} in ${where(target)} did not start within ${Math.round(timeoutMs / 1000)} s; it is ${describeState(last?.state)}${last?.state?.waiting?.message ? `: ${last.state.waiting.message}` : ''}. It may still start later: it will show under the pod, ready to attach.`,
          last?.state?.waiting?.reason,
        ),
      });
    }, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });

    const check = (pod: V1Pod | undefined): void => {
      if (done) return;
      if (!pod) {
        finish({ error: new DebugContainerError('PodGone', `${where(target)} was deleted while debug container ${name} was starting.`) });
        return;
      }
      const status = ephemeralStatus(pod, name);
      if (status) last = status;
      const state = status?.state;
      if (state?.running) {
        finish({ ok: status! });
        return;
      }
      if (state?.terminated) {
        const t = state.terminated;
        const failure = t.reason === 'StartError' || t.reason === 'ContainerCannotRun' ? 'StartFailed' : 'Terminated';
        const why = `${t.reason ?? 'Terminated'}, exit code ${t.exitCode}${t.message ? `: ${t.message.trim()}` : ''}`;
        finish({ error: new DebugContainerError(failure, `Debug container ${name} in ${where(target)} ended before it could be attached (${why}).`, t.reason) });
        return;
      }
      const waiting = state?.waiting;
      if (waiting?.reason && START_FAILURES.has(waiting.reason)) {
        const image = status?.image ? ` from image "${status.image}"` : '';
        finish({
          error: new DebugContainerError(
            'StartFailed',
            `Debug container ${name}${image} in ${where(target)} did not start: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}. The kubelet keeps retrying; if the cause goes away it starts and shows under the pod, ready to attach.`,
            waiting.reason,
          ),
        });
        return;
      }
      const progress: DebugProgress = { stage: 'waiting' };
      if (waiting?.reason) progress.reason = waiting.reason;
      if (waiting?.message) progress.message = waiting.message;
      const key = JSON.stringify(progress);
      if (key !== lastProgress) {
        lastProgress = key;
        options.onProgress?.(progress);
      }
    };

    const listener: PodWatchListener = {
      onSync: (pods) => check(pods.find((p) => p.metadata?.name === target.pod)),
      onEvent: (type, pod) => check(type === 'DELETED' ? undefined : pod),
      onError: (message, willRetry) => {
        if (!willRetry) finish({ error: new DebugContainerError('WatchFailed', `Lost track of debug container ${name} in ${where(target)}: ${message}`) });
      },
    };
    try {
      watch = client.watchPods(target.namespace, listener, { fieldSelector: `metadata.name=${target.pod}` });
    } catch (err) {
      finish({ error: err });
    }
    if (done) watch?.dispose();
  });
}

export interface StartDebugOptions extends WaitOptions {}

/** Adds the debug container and waits until it runs; resolves with its name. */
export async function startDebugContainer(client: DebugClient, request: DebugContainerRequest, options: StartDebugOptions = {}): Promise<{ name: string; status: V1ContainerStatus }> {
  options.onProgress?.({ stage: 'adding' });
  const { name } = await addDebugContainer(client, request, options.signal);
  const status = await waitForDebugContainer(client, request, name, options);
  return { name, status };
}

export interface AttachOptions {
  namespace: string;
  pod: string;
  container: string;
  size?: TerminalSize;
  keepaliveIntervalMs?: number;
  keepaliveTimeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Attaches a terminal (TTY, stdin) to the container's main process. Output starts from now:
 * what the process printed before is not replayed. close() detaches at once and leaves the
 * process running; the session ends by itself when the process exits.
 */
export function attachContainer(kubeConfig: KubeConfigLike, options: AttachOptions): ExecSession {
  return ExecSession.start(kubeConfig, {
    namespace: options.namespace,
    pod: options.pod,
    container: options.container,
    command: [],
    subresource: 'attach',
    stdin: true,
    tty: true,
    size: options.size,
    keepaliveIntervalMs: options.keepaliveIntervalMs,
    keepaliveTimeoutMs: options.keepaliveTimeoutMs,
    signal: options.signal,
    // Detaching must not send stdin EOF: the debug container's shell would take it as `exit`.
    closeGraceMs: 0,
  });
}
