// Containers' main processes and pods/{pod}/attach, the kubelet + runtime half of debug containers.
//
// Exec (exec.ts) starts a new process per request; attach joins the one process a container was
// started with. A container whose spec has a command runs it from the start (mainProcess.ts), and
// attach joins that process. Other ordinary containers have no process until something needs one:
// the first attach to such a container, or a debug container that targets it, starts it (`sleep
// infinity` under the container's name). An ephemeral container's main process is its command
// (default: the image's shell), under a PTY when it asks for `tty`.
//
// Output, as containerd's ContainerIO handles it: everything the process writes goes to the
// container's log (a PTY's output as stdout), whether or not anyone is attached, and is copied to
// each client attached at that moment. Attaching adds a client to that copy and replays nothing,
// so what was printed before is only in the log; that is why kubectl says "If you don't see a
// command prompt, try pressing enter", and why `kubectl debug -i` falls back to the log when the
// container has already exited. Several clients may attach at once, and a client that goes away
// leaves the process running. When the process exits every attached client gets a Success status
// (the kubelet's ServeAttach reports no exit code) and the socket closes.
//
// How `/proc/<pid>/root` of a debug container shows the target's files. A real runtime gives each
// container its own PID and mount namespaces, and an ephemeral container with
// `targetContainerName` joins the target's PID namespace, so in the debug container
// `ls /proc/1/root/` lists the target's root file system (the kernel resolves that link to the
// root directory of the target's main process). kubesim builds the same with unprivileged Linux
// namespaces, no root needed:
// - the target's main process is started by `unshare --user --map-root-user --pid --fork --mount
//   --mount-proc` as PID 1 of a new PID namespace, with a /proc of its own, and then chroot()s
//   into the container's root directory (`<dir>/containers/<ns>/<pod>/<container>`), so its
//   /proc/<pid>/root *is* that directory;
// - the debug container's main process is started by `nsenter --target <that pid> --user --pid
//   --mount`: it runs in the target's PID namespace (so `ps` lists the target's processes and
//   the target's main process is PID 1) and sees that namespace's /proc, while its own files stay
//   kubesim's usual ones (host paths with PATH set to its image's tools);
// - without a target it gets a PID namespace of its own (its command is PID 1), as a real one does.
// Where user namespaces are not allowed (some hardened kernels), processes run without them:
// everything works except that /proc/<pid>/root then shows the host's root, not the container's.
import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants, readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import * as pty from 'node-pty';
import { WebSocketServer, type WebSocket } from 'ws';
import { CLOSE, ERROR, negotiateProtocol, RESIZE, STDERR, STDIN, STDOUT, V1_BASE64, V4, V4_BASE64, V5 } from './exec.ts';
import type { ContainerSpec, Pod } from './fixtures.ts';
import { containerRoot, imageBase } from './images.ts';
import { ContainerLog } from './mainProcess.ts';
import { parseTarget, queryBool } from './params.ts';
import { internalError, type Status } from './status.ts';

export interface AttachFaults {
  ignorePings: boolean;
}

/** Where an attach request goes, as rest.ts resolved it (authorised, pod and container exist). */
export interface AttachTarget {
  pod: Pod;
  container: string;
  image: string;
}

export interface ProcessExit {
  /** As the runtime reports it: the exit code, or 128 + signal. */
  exitCode: number;
  signal?: string;
}

const HOST_PATH = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];

/** Stop reading a process's output while this much is queued on one client's socket. */
const HIGH_WATER = 1 << 20;
const LOW_WATER = 256 << 10;
/** How long a regular container's main process may take to reach its chroot. */
const MAIN_START_TIMEOUT_MS = 10_000;
/**
 * After the process exits, how long its output may still take to drain into the log. A process it
 * left behind (outside a PID namespace nothing kills it) can hold the pipes open; the exit is
 * reported anyway then.
 */
const OUTPUT_DRAIN_MS = 1000;

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGPIPE: 13, SIGTERM: 15 };

async function hostBinary(name: string): Promise<string | undefined> {
  for (const dir of HOST_PATH) {
    try {
      await access(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // next
    }
  }
  return undefined;
}

interface Tools {
  unshare: string;
  nsenter: string;
  perl: string;
}

let toolsCheck: Promise<Tools | undefined> | undefined;

/** The namespace tools, if this machine lets an ordinary process create user namespaces. */
function namespaceTools(): Promise<Tools | undefined> {
  toolsCheck ??= (async () => {
    const [unshare, nsenter, perl] = await Promise.all([hostBinary('unshare'), hostBinary('nsenter'), hostBinary('perl')]);
    if (!unshare || !nsenter || !perl) return undefined;
    const ok = await new Promise<boolean>((resolve) => {
      const child = spawn(unshare, [...UNSHARE_FLAGS, 'true'], { stdio: 'ignore' });
      child.on('error', () => resolve(false));
      child.on('exit', (code) => resolve(code === 0));
    });
    return ok ? { unshare, nsenter, perl } : undefined;
  })();
  return toolsCheck;
}

const UNSHARE_FLAGS = ['--user', '--map-root-user', '--pid', '--fork', '--mount', '--mount-proc', '--kill-child'];

// PID 1 of a regular container: enters the container's root, says so, then sleeps for ever.
const PERL_MAIN = 'my ($root, $title) = @ARGV; chroot($root) or die "chroot $root: $!\\n"; chdir("/") or die "chdir: $!\\n"; $0 = $title; $| = 1; print "ready\\n"; close(STDOUT); sleep;';

// A terminal's session must live inside the container's PID namespace, as runc makes the
// container's process a session leader on its console: otherwise a shell's job control sees a
// process group it cannot name ("Cannot set tty process group"). node-pty makes its child the
// session leader, outside; so that child lets go of the terminal (TIOCNOTTY, ignoring the SIGHUP
// this sends its own group) and execs the namespace tool, whose child inside then starts a new
// session and takes the terminal (TIOCSCTTY) before exec'ing the command. Linux ioctl numbers.
const PERL_RELEASE_TTY = '$SIG{HUP} = "IGNORE"; ioctl(STDIN, 0x5422, 0); exec { $ARGV[0] } @ARGV or die "exec $ARGV[0]: $!\n";';
const PERL_TAKE_TTY = 'use POSIX (); $SIG{HUP} = "DEFAULT"; POSIX::setsid(); ioctl(STDIN, 0x540E, 0) or warn "TIOCSCTTY: $!\n"; exec { $ARGV[0] } @ARGV or die "exec $ARGV[0]: $!\n";';

/** The command an image runs when the container gives none (its ENTRYPOINT/CMD). */
export function defaultCommand(image: string): string[] {
  switch (imageBase(image)) {
    case 'kubesim/bash': return ['bash'];
    case 'kubesim/busybox': return ['sh'];
    case 'kubesim/windows': return ['cmd.exe'];
    default: return ['sleep', 'infinity'];
  }
}

/** The host pids of a process's children. */
async function childrenOf(pid: number): Promise<number[]> {
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // Kernels without CONFIG_PROC_CHILDREN: scan for the parent pid instead.
    const found: number[] = [];
    for (const name of await readdir('/proc').catch(() => [] as string[])) {
      if (!/^\d+$/.test(name)) continue;
      const stat = await readFile(`/proc/${name}/stat`, 'latin1').catch(() => '');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) found.push(Number(name));
    }
    return found;
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** One container's main process, and the clients attached to it. */
export class MainProcess {
  readonly podKey: string;
  readonly container: string;
  readonly tty: boolean;
  readonly stdin: boolean;
  readonly stdinOnce: boolean;
  /** Host pid of the container's PID 1 (what a debug container targeting it joins). */
  readonly pid: number;
  /** Resolves once the process has exited and its output has reached the log and the clients. */
  readonly exited: Promise<ProcessExit>;
  private readonly clients = new Set<AttachSession>();
  private readonly term: pty.IPty | undefined;
  private readonly child: ChildProcess | undefined;
  /** The container's log, when this process's output is the container's output. */
  private readonly log: ContainerLog | undefined;
  private paused = false;
  private done = false;

  constructor(init: {
    podKey: string; container: string; tty: boolean; stdin: boolean; stdinOnce: boolean;
    pid: number; exited: Promise<ProcessExit>; term?: pty.IPty; child?: ChildProcess; log?: ContainerLog;
  }) {
    this.podKey = init.podKey;
    this.container = init.container;
    this.tty = init.tty;
    this.stdin = init.stdin;
    this.stdinOnce = init.stdinOnce;
    this.pid = init.pid;
    this.term = init.term;
    this.child = init.child;
    this.log = init.log;
    this.exited = init.exited.then((exit) => {
      this.done = true;
      this.log?.end();
      // Let the last output reach the clients before their status.
      setImmediate(() => {
        for (const client of [...this.clients]) client.finish(undefined);
        this.clients.clear();
      });
      return exit;
    });
    if (this.term) this.term.onData((chunk) => this.output(STDOUT, Buffer.from(chunk as unknown as Uint8Array)));
    this.child?.stdout?.on('data', (chunk: Buffer) => this.output(STDOUT, chunk));
    this.child?.stderr?.on('data', (chunk: Buffer) => this.output(STDERR, chunk));
  }

  get running(): boolean {
    return !this.done;
  }

  /** Output goes to the log, and to whoever is attached now. */
  private output(channel: number, data: Buffer): void {
    this.log?.write(channel === STDERR ? 'stderr' : 'stdout', data);
    let behind = false;
    for (const client of this.clients) {
      // A TTY has no separate stderr, and a client that did not ask for a stream gets none.
      if (client.wants(channel)) behind = client.send(channel, data) || behind;
    }
    if (behind && !this.paused) {
      this.paused = true;
      this.term?.pause();
      this.child?.stdout?.pause();
      this.child?.stderr?.pause();
    }
  }

  /** A client drained below its low-water mark: resume once none is behind. */
  private drained(): void {
    if (!this.paused || [...this.clients].some((c) => c.behind)) return;
    this.paused = false;
    this.term?.resume();
    this.child?.stdout?.resume();
    this.child?.stderr?.resume();
  }

  attach(client: AttachSession): void {
    if (this.done) {
      client.finish(undefined);
      return;
    }
    this.clients.add(client);
    client.onDrain(() => this.drained());
    client.onFrame((channel, payload) => {
      if (this.done) return;
      if (channel === STDIN && client.stdin && this.stdin) this.write(payload);
      else if (channel === RESIZE && this.term) {
        for (const s of client.sizes(payload)) if (s.width > 0 && s.height > 0) this.term.resize(s.width, s.height);
      } else if (channel === CLOSE && payload[0] === STDIN && this.stdinOnce) {
        // Only a container started with stdinOnce loses its stdin when the attached client's ends.
        if (this.term) this.term.write('\x04');
        else this.child?.stdin?.end();
      }
    });
    client.onGone(() => {
      this.clients.delete(client);
      this.drained();
    });
  }

  private write(data: Buffer): void {
    if (this.term) this.term.write(data);
    else if (this.child?.stdin?.writable) this.child.stdin.write(data);
  }

  kill(): void {
    if (this.done) return;
    killQuietly(this.pid, 'SIGKILL');
    if (this.child?.pid !== undefined) killQuietly(this.child.pid, 'SIGKILL');
    if (this.term) killQuietly(this.term.pid, 'SIGKILL');
  }
}

export interface EphemeralStart {
  pod: Pod;
  spec: ContainerSpec;
  /** The kubesim image the container's image maps to (its tools). */
  image: string;
  /** The status's containerID: the log is found by it. */
  containerID: string;
}

export type StartResult = { process: MainProcess } | { error: string };

/** The running process of a container whose spec has a command (mainProcess.ts runs those). */
export type CommandProcessLookup = (podKey: string, container: string) => ChildProcess | undefined;

/** The runtime side of kubesim's containers: main processes, and attach to them. */
export class ContainerRuntime {
  private readonly dir: string;
  private readonly faults: AttachFaults;
  private readonly commandProcess: CommandProcessLookup;
  private readonly mains = new Map<string, Promise<MainProcess>>();
  /** Attach's view of the processes mainProcess.ts runs, one per process, made on first attach. */
  private readonly joined = new WeakMap<ChildProcess, MainProcess>();
  /** The logs of the ephemeral containers' instances, by containerID. */
  private readonly logs = new Map<string, { podKey: string; log: ContainerLog }>();
  private readonly wss: WebSocketServer;
  private stopped = false;

  constructor(dir: string, faults: AttachFaults, commandProcess: CommandProcessLookup = () => undefined) {
    this.dir = dir;
    this.faults = faults;
    this.commandProcess = commandProcess;
    this.wss = new WebSocketServer({
      noServer: true,
      autoPong: false,
      perMessageDeflate: false,
      handleProtocols: (_protocols, req) => ((req as IncomingMessage & { kubesimProtocol?: string }).kubesimProtocol || false),
    });
  }

  private key(podKey: string, container: string): string {
    return `${podKey}/${container}`;
  }

  /** The log of the ephemeral container instance with this containerID, if kubesim started one. */
  logFor(containerID: string): ContainerLog | undefined {
    return this.logs.get(containerID)?.log;
  }

  /**
   * What attach joins in an ordinary container: the command mainProcess.ts runs (its output is
   * already that container's log, kept there), else the process started on first use.
   */
  private async attachable(pod: Pod, container: string, image: string): Promise<MainProcess | undefined> {
    const podKey = podKeyOf(pod);
    const child = this.commandProcess(podKey, container);
    if (child && child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      let main = this.joined.get(child);
      if (!main) {
        main = new MainProcess({ podKey, container, tty: false, stdin: false, stdinOnce: false, pid: child.pid, exited: exitOf(child), child });
        this.joined.set(child, main);
      }
      return main;
    }
    return this.ensureMain(pod, container, image).catch(() => undefined);
  }

  /** The main process of a container if it has been started and still runs. */
  async running(pod: Pod, container: string): Promise<MainProcess | undefined> {
    const entry = this.mains.get(this.key(podKeyOf(pod), container));
    const main = entry ? await entry.catch(() => undefined) : undefined;
    return main?.running ? main : undefined;
  }

  /** The main process of an ordinary (or init) container, started on first use. */
  ensureMain(pod: Pod, container: string, image: string): Promise<MainProcess> {
    const key = this.key(podKeyOf(pod), container);
    const existing = this.mains.get(key);
    if (existing) {
      return existing.then((main) => (main.running ? main : this.restartMain(key, pod, container, image)), () => this.restartMain(key, pod, container, image));
    }
    return this.restartMain(key, pod, container, image);
  }

  private restartMain(key: string, pod: Pod, container: string, image: string): Promise<MainProcess> {
    if (this.stopped) return Promise.reject(new Error('kubesim is stopping'));
    const started = this.startMain(pod, container, image);
    this.mains.set(key, started);
    started.catch(() => {
      if (this.mains.get(key) === started) this.mains.delete(key);
    });
    return started;
  }

  private async startMain(pod: Pod, container: string, image: string): Promise<MainProcess> {
    const ns = pod.metadata.namespace ?? 'default';
    const { root } = await containerRoot(this.dir, ns, pod.metadata.name, container, image);
    const tools = await namespaceTools();
    const title = 'sleep infinity';
    let child: ChildProcess;
    if (tools) {
      child = spawn(tools.unshare, [...UNSHARE_FLAGS, '--', tools.perl, '-e', PERL_MAIN, root, title], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    } else {
      const sleep = (await hostBinary('sleep')) ?? 'sleep';
      child = spawn(sleep, ['infinity'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, cwd: root });
    }
    const exited = exitOf(child);
    if (child.pid === undefined) throw new Error(`could not start the main process of ${container}`);
    let pid = child.pid;
    if (tools) {
      // The chroot must have happened before anyone looks at /proc/<pid>/root.
      await new Promise<void>((resolve, reject) => {
        let said = '';
        const timer = setTimeout(() => reject(new Error(`the main process of ${container} did not start: ${said}`)), MAIN_START_TIMEOUT_MS);
        child.stdout!.on('data', (c: Buffer) => {
          said += c.toString();
          if (said.includes('ready\n')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.stderr!.on('data', (c: Buffer) => (said += c.toString()));
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`the main process of ${container} exited at once: ${said.trim()}`));
        });
      });
      const [init] = await childrenOf(child.pid);
      if (init === undefined) throw new Error(`the main process of ${container} has no PID 1`);
      pid = init;
    }
    child.stdout?.resume();
    child.stderr?.resume();
    return new MainProcess({ podKey: podKeyOf(pod), container, tty: false, stdin: false, stdinOnce: false, pid, exited, child });
  }

  /**
   * Starts an ephemeral container's main process. An error is the runtime's StartError message
   * (the container then terminates with exit code 128, as with containerd).
   */
  async startEphemeral(start: EphemeralStart): Promise<StartResult> {
    if (this.stopped) return { error: 'kubesim is stopping' };
    const { pod, spec, image } = start;
    const ns = pod.metadata.namespace ?? 'default';
    const podKey = podKeyOf(pod);
    const argv = [...((spec['command'] as string[] | undefined) ?? defaultCommand(image)), ...((spec['args'] as string[] | undefined) ?? [])];
    const { root, binDir } = await containerRoot(this.dir, ns, pod.metadata.name, spec.name, image);
    const exe = await resolveIn(argv[0] ?? '', root, binDir);
    if (!exe) {
      const how = argv[0]?.includes('/') ? `stat ${argv[0]}: no such file or directory` : 'executable file not found in $PATH';
      return { error: `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: exec: "${argv[0] ?? ''}": ${how}: unknown` };
    }

    let joinPid: number | undefined;
    const target = spec['targetContainerName'];
    if (typeof target === 'string' && target) {
      const targetSpec = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((c) => c.name === target);
      if (targetSpec) joinPid = (await this.ensureMain(pod, target, targetSpec.image)).pid;
    }
    const tools = await namespaceTools();
    const cwd = typeof spec['workingDir'] === 'string' && spec['workingDir'] ? join(root, spec['workingDir']) : root;
    const tty = spec['tty'] === true;
    let file = exe;
    let args = argv.slice(1);
    if (tools) {
      const command = tty ? [tools.perl, '-e', PERL_TAKE_TTY, '--', exe, ...argv.slice(1)] : [exe, ...argv.slice(1)];
      const enter = joinPid !== undefined
        ? [tools.nsenter, '--target', String(joinPid), '--user', '--pid', '--mount', `--wd=${cwd}`, '--', ...command]
        : [tools.unshare, ...UNSHARE_FLAGS, '--', ...command];
      [file, args] = tty ? [tools.perl, ['-e', PERL_RELEASE_TTY, '--', ...enter]] : [enter[0]!, enter.slice(1)];
    }
    const env = containerEnv(pod, spec, binDir, root);
    const stdin = spec['stdin'] === true;
    const stdinOnce = spec['stdinOnce'] === true;
    // Where the kubelet keeps it: /var/log/pods/<ns>_<pod>_<uid>/<container>/<restart>.log.
    const log = new ContainerLog(join(this.dir, 'logs', `${ns}_${pod.metadata.name}_${pod.metadata.uid ?? ''}`, spec.name, '0.log'));
    this.logs.set(start.containerID, { podKey, log });
    let main: MainProcess;
    if (tty) {
      env['TERM'] = 'xterm';
      let term: pty.IPty;
      try {
        term = pty.spawn(file, args, { name: 'xterm', cols: 80, rows: 24, cwd, env, encoding: null });
      } catch (err) {
        // A container that never ran wrote nothing; its (empty) log is complete.
        log.end();
        throw err;
      }
      const exited = new Promise<ProcessExit>((resolve) => term.onExit(({ exitCode, signal }) => resolve(signal ? { exitCode: 128 + signal, signal: String(signal) } : { exitCode })));
      main = new MainProcess({ podKey, container: spec.name, tty, stdin, stdinOnce, pid: term.pid, exited, term, log });
    } else {
      const child = spawn(file, args, { cwd, env, detached: true, stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
      child.stdin?.on('error', () => undefined);
      const exited = exitAfterOutput(child);
      main = new MainProcess({ podKey, container: spec.name, tty, stdin, stdinOnce, pid: child.pid ?? -1, exited, child, log });
    }
    this.mains.set(this.key(podKey, spec.name), Promise.resolve(main));
    return { process: main };
  }

  /** What a pod's deletion does to its containers: every main process is killed. */
  killPod(podKey: string): void {
    for (const [key, entry] of this.mains) {
      if (!key.startsWith(`${podKey}/`)) continue;
      this.mains.delete(key);
      void entry.then((main) => main.kill(), () => undefined);
    }
    // The pod's logs go with it, as the kubelet removes /var/log/pods/<pod> with the pod.
    for (const [id, entry] of this.logs) {
      if (entry.podKey !== podKey) continue;
      this.logs.delete(id);
      entry.log.end();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
    const all = await Promise.all([...this.mains.values()].map((p) => p.catch(() => undefined)));
    this.mains.clear();
    for (const main of all) main?.kill();
    await Promise.race([
      Promise.all(all.map((m) => m?.exited)),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
    const logs = [...this.logs.values()].map((e) => e.log);
    this.logs.clear();
    for (const log of logs) log.end();
    await Promise.all(logs.map((l) => l.flushed()));
  }

  /**
   * An authorised upgrade of pods/{pod}/attach. Refusals follow the two paths of exec.ts: the
   * kubelet's own WebSocket server (plain-text errors) and the API server's v5 translator
   * (which has already upgraded when the kubelet refuses).
   */
  async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: AttachTarget): Promise<void> {
    // PodAttachOptions as the API server decodes them (params.ts): rest.ts has already refused a
    // target Go could not parse.
    const q = parseTarget(req.url ?? '/')?.query ?? new URLSearchParams();
    const tty = queryBool(q, 'tty');
    const stdin = queryBool(q, 'stdin');
    const stdout = queryBool(q, 'stdout');
    const stderr = queryBool(q, 'stderr') && !tty;
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const protocol = negotiateProtocol(offered);

    const { pod, container } = target;
    let main: MainProcess | undefined;
    let kubeletError: string | undefined;
    if (!stdin && !stdout && !stderr) {
      kubeletError = 'you must specify at least 1 of stdin, stdout, stderr';
    } else if (!containerRunning(pod, container)) {
      kubeletError = `container ${container} not found in pod ${pod.metadata.name}_${pod.metadata.namespace ?? 'default'}`;
    } else {
      const ephemeral = (pod.spec.ephemeralContainers ?? []).some((c) => c.name === container);
      main = ephemeral ? await this.running(pod, container) : await this.attachable(pod, container, target.image);
      if (!main) kubeletError = `container ${container} not found in pod ${pod.metadata.name}_${pod.metadata.namespace ?? 'default'}`;
    }

    if (protocol !== V5) {
      if (kubeletError) return rawResponse(socket, kubeletError.startsWith('you must') ? 400 : 500, kubeletError, 'text/plain; charset=utf-8');
      if (protocol === undefined) return rawResponse(socket, 403, '', undefined);
    }
    (req as IncomingMessage & { kubesimProtocol?: string }).kubesimProtocol = protocol;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new AttachSession(ws, protocol ?? '', { stdin, stdout, stderr, tty }, this.faults);
      session.ready();
      if (kubeletError || !main) {
        session.finish(internalError(`unable to upgrade connection: ${kubeletError ?? 'container is gone'}`));
        return;
      }
      main.attach(session);
    });
  }
}

function podKeyOf(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
}

function exitOf(child: ChildProcess): Promise<ProcessExit> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (exit: ProcessExit) => {
      if (done) return;
      done = true;
      resolve(exit);
    };
    child.on('error', () => finish({ exitCode: 128 }));
    child.on('exit', (code, signal) => finish(signal ? { exitCode: 128 + (SIGNAL_NUMBERS[signal] ?? 9), signal } : { exitCode: code ?? 0 }));
  });
}

/** The exit as the runtime reports it: the process gone and its output drained into the log. */
function exitAfterOutput(child: ChildProcess): Promise<ProcessExit> {
  const closed = (stream: Readable | null): Promise<void> =>
    !stream || stream.destroyed ? Promise.resolve() : new Promise((resolve) => stream.once('close', () => resolve()));
  const drained = Promise.all([closed(child.stdout), closed(child.stderr)]);
  return exitOf(child).then(async (exit) => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, OUTPUT_DRAIN_MS)))]);
    clearTimeout(timer);
    return exit;
  });
}

async function resolveIn(argv0: string, root: string, binDir: string): Promise<string | undefined> {
  if (!argv0) return undefined;
  const candidate = argv0.includes('/') ? join(root, argv0) : join(binDir, argv0);
  try {
    await access(candidate, constants.X_OK);
    return candidate;
  } catch {
    return undefined;
  }
}

function containerEnv(pod: Pod, spec: ContainerSpec, binDir: string, root: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: binDir,
    HOSTNAME: pod.metadata.name,
    HOME: root,
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
    KUBERNETES_SERVICE_PORT_HTTPS: '443',
    KUBERNETES_PORT: 'tcp://10.96.0.1:443',
  };
  for (const e of (spec['env'] as Array<{ name: string; value?: string }> | undefined) ?? []) {
    if (typeof e.value === 'string') env[e.name] = e.value;
  }
  return env;
}

/** As rest.ts's check for exec: only running containers of running pods can be attached to. */
function containerRunning(pod: Pod, container: string): boolean {
  if (pod.status.phase !== 'Running') return false;
  const statuses = [
    ...(pod.status.containerStatuses ?? []),
    ...(pod.status.initContainerStatuses ?? []),
    ...((pod.status['ephemeralContainerStatuses'] as Pod['status']['containerStatuses']) ?? []),
  ];
  const s = statuses.find((c) => c.name === container);
  if (!s) return statuses.length === 0 && pod.spec.containers.some((c) => c.name === container);
  return s.state['running'] !== undefined;
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 500: 'Internal Server Error' };

function rawResponse(socket: Duplex, code: number, body: string, contentType: string | undefined): void {
  const headers = [`HTTP/1.1 ${code} ${REASONS[code] ?? 'Error'}`, 'Cache-Control: no-cache, private'];
  if (contentType) headers.push(`Content-Type: ${contentType}`);
  headers.push(`Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close', '', '');
  socket.end(headers.join('\r\n') + body);
}

/** One attached client: the channel protocol over its WebSocket. */
class AttachSession {
  readonly stdin: boolean;
  private readonly ws: WebSocket;
  private readonly protocol: string;
  private readonly base64: boolean;
  private readonly streams: { stdout: boolean; stderr: boolean; tty: boolean };
  private queued = 0;
  private finished = false;
  private resizeBuffer = '';
  private drainListener: (() => void) | undefined;
  private frameListener: ((channel: number, payload: Buffer) => void) | undefined;
  private readonly early: Array<[number, Buffer]> = [];

  constructor(ws: WebSocket, protocol: string, opts: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }, faults: AttachFaults) {
    this.ws = ws;
    this.protocol = protocol;
    this.base64 = protocol === V1_BASE64 || protocol === V4_BASE64;
    this.stdin = opts.stdin;
    this.streams = { stdout: opts.stdout, stderr: opts.stderr, tty: opts.tty };
    ws.on('ping', (data) => {
      if (!faults.ignorePings && ws.readyState === ws.OPEN) ws.pong(data);
    });
    ws.on('error', () => ws.terminate());
    ws.on('message', (data, isBinary) => {
      const frame = this.decode(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer), isBinary);
      if (!frame) return;
      if (this.frameListener) this.frameListener(frame[0], frame[1]);
      else this.early.push(frame);
    });
  }

  get behind(): boolean {
    return this.queued > LOW_WATER;
  }

  wants(channel: number): boolean {
    if (channel === STDOUT) return this.streams.stdout;
    // On a terminal stderr is part of stdout; otherwise only if asked for.
    return this.streams.tty ? this.streams.stdout : this.streams.stderr;
  }

  onDrain(fn: () => void): void {
    this.drainListener = fn;
  }

  onFrame(fn: (channel: number, payload: Buffer) => void): void {
    this.frameListener = fn;
    for (const [channel, payload] of this.early.splice(0)) fn(channel, payload);
  }

  onGone(fn: () => void): void {
    if (this.ws.readyState === this.ws.CLOSED) queueMicrotask(fn);
    else this.ws.on('close', fn);
  }

  /** Channel-4 text to sizes; Go decodes a stream of JSON objects with case-insensitive keys. */
  sizes(payload: Buffer): Array<{ width: number; height: number }> {
    this.resizeBuffer += payload.toString('utf8');
    const out: Array<{ width: number; height: number }> = [];
    let end: number;
    while ((end = this.resizeBuffer.indexOf('}')) >= 0) {
      const chunk = this.resizeBuffer.slice(this.resizeBuffer.indexOf('{'), end + 1);
      this.resizeBuffer = this.resizeBuffer.slice(end + 1);
      try {
        const obj = JSON.parse(chunk) as Record<string, unknown>;
        const get = (k: string) => Number(Object.entries(obj).find(([key]) => key.toLowerCase() === k)?.[1] ?? 0);
        out.push({ width: get('width'), height: get('height') });
      } catch {
        // the kubelet logs and ignores a malformed size
      }
    }
    return out;
  }

  ready(): void {
    const channel = this.streams.stdout ? STDOUT : this.streams.stderr ? STDERR : ERROR;
    this.send(channel, Buffer.alloc(0));
  }

  /** Sends a frame; true when this client is now too far behind (the process should pause). */
  send(channel: number, data: Buffer): boolean {
    if (this.ws.readyState !== this.ws.OPEN || this.finished) return false;
    const frame = this.base64 ? String(channel) + data.toString('base64') : Buffer.concat([Buffer.from([channel]), data]);
    const size = data.length + 1;
    this.queued += size;
    this.ws.send(frame, { binary: !this.base64 }, () => {
      this.queued -= size;
      if (this.queued <= LOW_WATER) this.drainListener?.();
    });
    return this.queued > HIGH_WATER;
  }

  /** Ends the session: the kubelet reports Success once the attached process's streams end. */
  finish(status: Status | undefined): void {
    if (this.finished) return;
    if (this.ws.readyState !== this.ws.OPEN) {
      this.finished = true;
      return;
    }
    if (this.protocol === V4 || this.protocol === V4_BASE64 || this.protocol === V5) {
      this.send(ERROR, Buffer.from(JSON.stringify(status ?? { metadata: {}, status: 'Success' })));
    } else if (status?.message) {
      this.send(ERROR, Buffer.from(status.message));
    }
    this.finished = true;
    this.ws.close(1000);
  }

  /** As exec.ts decodes: the protocol picks the codec, not the frame's opcode (wsstream.Conn). */
  private decode(data: Buffer, _isBinary: boolean): [number, Buffer] | undefined {
    if (this.base64) {
      const text = data.toString('latin1');
      if (!text) return undefined;
      return [text.charCodeAt(0) - 48, Buffer.from(text.slice(1), 'base64')];
    }
    if (data.length === 0) return undefined;
    // CLOSE exists only on v5; older protocols have no such channel.
    if (data[0] === CLOSE && this.protocol !== V5) return undefined;
    return [data[0]!, data.subarray(1)];
  }
}
