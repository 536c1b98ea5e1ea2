// Choosing the shell to open in a container, with one exec in the common case.
//
// Each candidate is its own TTY exec of the shell itself (no `sh -c` wrapper, no probe exec):
// when it exists, that session is the user's shell and its prompt is the first thing they see.
// A missing executable fails fast with the runtime's "executable file not found" (a 500
// InternalError on channel 3 before any output), and we move on to the next candidate. The
// shell found is remembered per context/namespace/pod/container, so the next open goes straight
// to it.
//
// Errors: all candidates missing -> NoShellError (the UI offers a debug container). Anything
// else that ends the first attempt before the shell started (forbidden, pod or container gone,
// unreachable cluster, connection lost) is thrown as ShellOpenError, whose message is the API's
// own and whose `result` is the session's ExecResult. Once the shell started, everything that
// happens later arrives through `session.result` as usual.
import { ExecSession, type ExecOptions, type ExecResult, type ExecSessionLike, type ExecTarget, type KubeConfigLike, type TerminalSize } from './session.ts';

export const DEFAULT_SHELLS: readonly string[] = Object.freeze(['bash', 'ash', 'sh']);
/** For pods on Windows nodes (`kubernetes.io/os=windows`). */
export const WINDOWS_SHELLS: readonly string[] = Object.freeze(['powershell.exe', 'cmd.exe']);

export class NoShellError extends Error {
  readonly target: ExecTarget;
  readonly shells: readonly string[];

  constructor(target: ExecTarget, shells: readonly string[]) {
    const where = `${target.container ? `container "${target.container}" of ` : ''}pod ${target.namespace}/${target.pod}`;
    super(
      `No shell found in ${where}: tried ${shells.join(', ')}. ` +
        'The image may have no shell at all (distroless); a debug container can bring one.',
    );
    this.name = 'NoShellError';
    this.target = target;
    this.shells = shells;
  }
}

/** The shell session ended before the shell started, for a reason other than a missing shell. */
export class ShellOpenError extends Error {
  readonly result: Exclude<ExecResult, { kind: 'exit' }>;

  constructor(result: Exclude<ExecResult, { kind: 'exit' }>) {
    super(result.message);
    this.name = 'ShellOpenError';
    this.result = result;
  }
}

export interface ShellOptions {
  /** Candidates in order; default DEFAULT_SHELLS, or WINDOWS_SHELLS on Windows nodes. */
  shells?: readonly string[];
  /** The pod's node `kubernetes.io/os`; 'windows' -> powershell.exe, cmd.exe. */
  nodeOS?: string;
  size?: TerminalSize;
  keepaliveIntervalMs?: number;
  keepaliveTimeoutMs?: number;
  /**
   * A shell that has printed nothing after this long is taken as started (a missing executable
   * fails much faster). Default 2000.
   */
  quietStartMs?: number;
}

export interface OpenedShell<S extends ExecSessionLike = ExecSession> {
  session: S;
  shell: string;
}

/** Opens an interactive shell (TTY, stdin) in the container, on the current context of `kubeConfig`. */
export function openShell(kubeConfig: KubeConfigLike, target: ExecTarget, options: ShellOptions = {}): Promise<OpenedShell> {
  const context = kubeConfig.getCurrentContext();
  const server = kubeConfig.getCurrentCluster()?.server ?? '';
  const key = [context, server, target.namespace, target.pod, target.container ?? ''].join('\u0000');
  return openShellWith((execOptions) => ExecSession.start(kubeConfig, execOptions), key, target, options);
}

/** The selection logic, with the session factory passed in (tests use fakes). */
export async function openShellWith<S extends ExecSessionLike>(
  start: (options: ExecOptions) => S,
  cacheKey: string,
  target: ExecTarget,
  options: ShellOptions = {},
): Promise<OpenedShell<S>> {
  const candidates = shellCandidates(options);
  const known = shellCache.get(cacheKey);
  const order = known !== undefined && candidates.includes(known) ? [known, ...candidates.filter((s) => s !== known)] : candidates;
  const tried: string[] = [];
  for (const shell of order) {
    const session = start({
      namespace: target.namespace,
      pod: target.pod,
      container: target.container,
      command: [shell],
      stdin: true,
      tty: true,
      size: options.size,
      keepaliveIntervalMs: options.keepaliveIntervalMs,
      keepaliveTimeoutMs: options.keepaliveTimeoutMs,
    });
    const started = await shellStarted(session, options.quietStartMs ?? 2000);
    if (started) {
      rememberShell(cacheKey, shell);
      return { session, shell };
    }
    const result = await session.result;
    if (isMissingShell(result)) {
      tried.push(shell);
      if (known === shell) shellCache.delete(cacheKey);
      continue;
    }
    if (result.kind === 'exit') {
      // It ran and exited at once, without a word: that is the shell's doing, not a lookup failure.
      rememberShell(cacheKey, shell);
      return { session, shell };
    }
    throw new ShellOpenError(result);
  }
  throw new NoShellError(target, tried);
}

export function shellCandidates(options: Pick<ShellOptions, 'shells' | 'nodeOS'>): readonly string[] {
  const windows = options.nodeOS?.toLowerCase() === 'windows';
  const given = options.shells?.filter((s) => s.trim() !== '') ?? [];
  if (given.length === 0) return windows ? WINDOWS_SHELLS : DEFAULT_SHELLS;
  return given;
}

// containerd/CRI-O: `exec: "bash": executable file not found in $PATH`; absolute paths:
// `stat /bin/bash: no such file or directory`; Windows: `The system cannot find the file specified`.
const MISSING_EXECUTABLE = /executable file not found|no such file or directory|cannot find the file specified/i;

/** The result of an attempt whose shell does not exist in the image. */
export function isMissingShell(result: ExecResult): boolean {
  if (result.kind === 'error') return MISSING_EXECUTABLE.test(result.message);
  // Runtimes that report it as the process's own failure use the shell's codes for
  // "not executable" and "not found"; a shell that exists would have printed a prompt first.
  return result.kind === 'exit' && (result.code === 126 || result.code === 127);
}

/** True once the shell printed something or stayed up quietly; false if the session ended first. */
function shellStarted(session: ExecSessionLike, quietStartMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(true), quietStartMs);
    void session.firstOutput.then((seen) => {
      clearTimeout(timer);
      resolve(seen);
    });
  });
}

const MAX_CACHED = 1000;
const shellCache = new Map<string, string>();

function rememberShell(key: string, shell: string): void {
  shellCache.delete(key);
  shellCache.set(key, shell);
  if (shellCache.size > MAX_CACHED) shellCache.delete(shellCache.keys().next().value as string);
}

/** Forgets every remembered shell (tests; a context whose images changed wholesale). */
export function clearShellCache(): void {
  shellCache.clear();
}
