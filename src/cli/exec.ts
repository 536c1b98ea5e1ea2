// `kube-exec exec [flags] POD -- CMD [ARG...]`: kubectl exec's flags, bytes and exit codes.
//
// The common case is one WebSocket and nothing else: no pod lookup first (kubectl does one),
// since the API server itself picks the container of a single-container pod. Only when the
// exec fails do we look the pod up, to report what kubectl would have reported (a missing pod,
// a completed pod), or to pick the default container of a multi-container pod and try again,
// with kubectl's "Defaulted container" note. (A one-container pod with init containers gets no
// such note from us; kubectl prints one.)
import { fstat, read } from 'node:fs';
import type { Writable } from 'node:stream';
import type { V1Pod } from '@kubernetes/client-node';
import { ExecSession, type ExecResult, type TerminalSize } from '../kube/exec/session.ts';
import { isExitStatus } from '../kube/exec/status.ts';
import { checkTarget, InvalidNameError, podPath } from '../kube/names.ts';
import { boolFlag, CONNECTION_FLAGS, parseArgs, stringFlag, UsageError, type FlagSpec } from './args.ts';
import { connectionLine, getJson, KubectlError, statusLine } from './http.ts';
import { KubeconfigError, loadCliKubeConfig, type CliKubeConfig } from './kubeconfig.ts';

const FLAGS: readonly FlagSpec[] = [
  ...CONNECTION_FLAGS,
  { long: 'container', short: 'c', value: true },
  { long: 'stdin', short: 'i', value: false },
  { long: 'tty', short: 't', value: false },
  { long: 'quiet', short: 'q', value: false },
];

export const EXEC_USAGE = `Usage: kube-exec exec [--kubeconfig FILE] [--context NAME] [-n NAMESPACE] [-c CONTAINER] [-i] [-t] [-q] POD -- COMMAND [ARG...]
Runs COMMAND in a container of POD, like kubectl exec: same output bytes, the command's exit code.
  -c, --container  container name (default: the pod's only or default container)
  -i, --stdin      pass stdin to the container (EOF is forwarded)
  -t, --tty        stdin is a TTY (with -i and a terminal: raw mode, window size follows)
  -q, --quiet      no informational messages
`;

interface Io {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export async function runExec(argv: readonly string[], io: Io = process): Promise<number> {
  const fail = (line: string): number => {
    io.stderr.write(line.endsWith('\n') ? line : `${line}\n`);
    return 1;
  };
  let parsed;
  try {
    parsed = parseArgs(argv, FLAGS);
  } catch (err) {
    if (err instanceof UsageError) return fail(`error: ${err.message}\nSee 'kube-exec exec --help' for usage.`);
    throw err;
  }
  if (parsed.positionals.length === 0) {
    return fail("error: expected 'exec POD_NAME COMMAND [ARG1] [ARG2] ... [ARGN]'.\nPOD_NAME and COMMAND are required arguments for the exec command\nSee 'kube-exec exec --help' for usage.");
  }
  if (parsed.positionals.length > 1) {
    return fail("error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead\nSee 'kube-exec exec --help' for usage.");
  }
  const command = parsed.rest ?? [];
  if (command.length === 0) return fail('error: you must specify at least one command for the container');
  let pod = parsed.positionals[0];
  const slash = pod.indexOf('/');
  if (slash >= 0) {
    const kind = pod.slice(0, slash).toLowerCase();
    if (kind !== 'pod' && kind !== 'pods' && kind !== 'po') return fail(`error: kube-exec exec takes a pod name (or pod/NAME), not ${pod}`);
    pod = pod.slice(slash + 1);
  }

  let kubeConfig: CliKubeConfig;
  try {
    kubeConfig = await loadCliKubeConfig({ kubeconfig: stringFlag(parsed, 'kubeconfig'), context: stringFlag(parsed, 'context') });
  } catch (err) {
    if (err instanceof KubeconfigError) return fail(`error: ${err.message}`);
    throw err;
  }
  const namespace = stringFlag(parsed, 'namespace') || kubeConfig.namespace;
  const quiet = boolFlag(parsed, 'quiet');
  const stdin = boolFlag(parsed, 'stdin');
  let tty = boolFlag(parsed, 'tty') && stdin;
  if (tty && !io.stdin.isTTY) {
    if (!quiet) io.stderr.write('Unable to use a TTY - input is not a terminal or the right kind of file\n');
    tty = false;
  }

  let container = stringFlag(parsed, 'container');
  // Names that would change the request's path are refused before anything is sent, as kubectl does.
  try {
    checkTarget({ namespace, pod, container });
  } catch (err) {
    if (err instanceof InvalidNameError) return fail(`error: ${err.message}`);
    throw err;
  }
  for (let attempt = 0; ; attempt++) {
    const { result, opened } = await runSession(kubeConfig, { namespace, pod, container, command, stdin, tty }, io);
    if (result.kind === 'exit') {
      // The shell would see 256 as 0: a failure must not become success, nor another code.
      if (!isExitStatus(result.code)) {
        return fail(`command terminated with exit code ${result.code}, which is outside 0-255 and cannot be this program's exit status, so it exits with 1`);
      }
      if (result.code !== 0) io.stderr.write(`command terminated with exit code ${result.code}\n`);
      return result.code;
    }
    // A server that never answered will not answer a lookup either; say why at once.
    if (result.kind === 'error' && result.noResponse) {
      return fail(result.errorCode === 'ECONNREFUSED' ? connectionLine(kubeConfig.getCurrentCluster()?.server ?? '', { code: 'ECONNREFUSED' }) : `error: ${result.message}`);
    }
    // A missing pod (or namespace, which the session has checked then) is all a lookup would find.
    if (result.kind === 'error' && result.httpStatus === 404 && result.reason === 'NotFound') {
      return fail(statusLine({ message: result.message, reason: result.reason }));
    }
    // kubectl looks the pod up before it execs: what fails there is what it reports.
    let found: V1Pod;
    try {
      found = await getJson<V1Pod>(kubeConfig, podPath(namespace, pod));
    } catch (err) {
      if (err instanceof KubectlError) return fail(err.line);
      throw err;
    }
    const phase = found.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      return fail(`error: cannot exec into a container in a completed pod; current phase is ${phase}`);
    }
    if (result.kind === 'error' && !opened && !container && attempt === 0 && /container name must be specified/.test(result.message)) {
      container = defaultContainer(found, quiet ? undefined : io.stderr);
      if (container) continue;
    }
    if (result.kind === 'error' && !opened && result.httpStatus) return fail(statusLine({ message: result.message, reason: result.reason }));
    return fail(`error: ${result.message}`);
  }
}

interface Request {
  namespace: string;
  pod: string;
  container: string | undefined;
  command: string[];
  stdin: boolean;
  tty: boolean;
}

async function runSession(kubeConfig: CliKubeConfig, req: Request, io: Io): Promise<{ result: ExecResult; opened: boolean }> {
  const terminalSize = (): TerminalSize | undefined =>
    io.stdout.isTTY && io.stdout.columns > 0 ? { columns: io.stdout.columns, rows: io.stdout.rows } : undefined;
  const session = ExecSession.start(kubeConfig, {
    namespace: req.namespace,
    pod: req.pod,
    container: req.container,
    command: req.command,
    stdin: req.stdin,
    stdout: true,
    stderr: !req.tty,
    tty: req.tty,
    size: req.tty ? terminalSize() : undefined,
  });
  const input = req.stdin ? await stdinSource(io) : undefined;
  // pipe() is the backpressure: a slow reader of our stdout pauses the session's socket.
  session.stdout.pipe(io.stdout, { end: false });
  session.stderr.pipe(io.stderr, { end: false });
  // A reader that went away (`| head -1`): kubectl dies of SIGPIPE, quietly. Node ignores
  // SIGPIPE, so end the session and leave with the shell's code for it (128 + 13).
  const onBrokenPipe = (err: NodeJS.ErrnoException): void => {
    if (err.code !== 'EPIPE') return;
    session.close();
    process.exit(141);
  };
  io.stdout.on('error', onBrokenPipe);
  io.stderr.on('error', onBrokenPipe);

  let opened = false;
  let restore = (): void => {};
  const onResize = (): void => {
    const size = terminalSize();
    if (size) session.resize(size);
  };
  void session.protocol.then(
    () => {
      opened = true;
      if (req.tty) {
        io.stdin.setRawMode(true);
        outputRaw(io.stdin);
        io.stdout.on('resize', onResize);
        const onExit = (): void => {
          io.stdin.setRawMode(false);
        };
        process.once('exit', onExit);
        restore = () => {
          io.stdout.off('resize', onResize);
          io.stdin.setRawMode(false);
          process.off('exit', onExit);
        };
      }
      // Only once open: a refused first attempt must not swallow input meant for the retry.
      input?.start(session.stdin);
    },
    () => undefined,
  );
  const result = await session.result;
  io.stdout.off('error', onBrokenPipe);
  io.stderr.off('error', onBrokenPipe);
  input?.stop();
  restore();
  return { result, opened };
}

/**
 * libuv's raw mode keeps ONLCR, so the container's "\r\n" would reach the screen as "\r\r\n";
 * kubectl's raw mode (cfmakeraw) turns output processing off, and so do we. Node has no termios
 * call, hence stty on the same terminal; setRawMode(false) later restores the saved settings.
 */
function outputRaw(tty: NodeJS.ReadStream): void {
  if (process.platform === 'win32' || (tty as { fd?: number }).fd !== 0) return;
  try {
    // Looked up here rather than imported: a one-shot exec should not pay for loading it.
    const { spawnSync } = process.getBuiltinModule('node:child_process');
    spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'], timeout: 2000 });
  } catch {
    // Without stty the output is still right, just with an extra \r per line.
  }
}

/** kubectl's FindOrDefaultContainerByName: the annotated default, else the first container. */
function defaultContainer(pod: V1Pod, warn: NodeJS.WriteStream | undefined): string | undefined {
  const containers = pod.spec?.containers ?? [];
  const annotated = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
  if (annotated && containers.some((c) => c.name === annotated)) return annotated;
  const first = containers[0]?.name;
  if (!first) return undefined;
  const init = pod.spec?.initContainers ?? [];
  const ephemeral = pod.spec?.ephemeralContainers ?? [];
  if (warn && (containers.length > 1 || init.length > 0 || ephemeral.length > 0)) {
    const names = [
      ...containers.map((c) => c.name),
      ...init.map((c) => `${c.name} (init)`),
      ...ephemeral.map((c) => `${c.name} (ephem)`),
    ];
    warn.write(`Defaulted container "${first}" out of: ${names.join(', ')}\n`);
  }
  return first;
}

/** Where the session's stdin comes from: started once the session is open, stopped at its end. */
interface StdinSource {
  start(sink: Writable): void;
  stop(): void;
}

/**
 * A file given as stdin (`< file`) is copied 1 MiB at a time through two buffers used in turn:
 * Node's own stream would read 64 KiB at a time, each read a hand-off to its thread pool, into
 * a fresh buffer each time, and for an upload of many megabytes that memory churn (page faults
 * on fresh memory) was a large part of the cost. Terminals and pipes are piped as they are.
 */
async function stdinSource(io: Io): Promise<StdinSource> {
  const isFile = io === process && !io.stdin.isTTY && (await new Promise<boolean>((resolve) => fstat(0, (err, stats) => resolve(!err && stats.isFile()))));
  if (!isFile) {
    let piped: Writable | undefined;
    return {
      start: (sink) => io.stdin.pipe((piped = sink)),
      stop: () => {
        if (piped) io.stdin.unpipe(piped);
        io.stdin.pause();
      },
    };
  }
  let stopped = false;
  return {
    start: (sink) => void copyFile(0, sink, () => stopped).catch((err: unknown) => sink.destroy(err as Error)),
    stop: () => (stopped = true),
  };
}

const FILE_CHUNK = 1024 * 1024;

async function copyFile(fd: number, sink: Writable, stopped: () => boolean): Promise<void> {
  const buffers = [Buffer.allocUnsafe(FILE_CHUNK), Buffer.allocUnsafe(FILE_CHUNK)];
  // A buffer is read into again only once the sink has taken what was written from it.
  const released: Array<Promise<void>> = [Promise.resolve(), Promise.resolve()];
  for (let i = 0; !stopped(); i ^= 1) {
    await released[i];
    const buffer = buffers[i]!;
    const bytesRead = await new Promise<number>((resolve, reject) => read(fd, buffer, 0, FILE_CHUNK, null, (err, n) => (err ? reject(err) : resolve(n))));
    if (bytesRead === 0 || stopped()) break;
    released[i] = new Promise((resolve) => sink.write(buffer.subarray(0, bytesRead), () => resolve()));
  }
  await Promise.all(released);
  if (!stopped()) sink.end();
}
