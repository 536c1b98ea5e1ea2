// The kubelet + container runtime half of exec: runs the command in the container's root as a
// real process (a PTY via node-pty when tty=true, pipes otherwise) and speaks the WebSocket
// channel protocol over the upgraded connection.
//
// Two paths exist in a real 1.30+ cluster and kubesim keeps them apart, because their wording
// differs:
// - v5.channel.k8s.io: the API server terminates the WebSocket and talks SPDY to the kubelet
//   (StreamTranslatorHandler). Runtime errors reach the client re-wrapped once more
//   ("Internal error occurred: Internal error occurred: error executing command ...") and a
//   non-zero exit reads "command terminated with non-zero exit code: command terminated with
//   exit code N".
// - v4.channel.k8s.io, (v4.)base64.channel.k8s.io, channel.k8s.io and no subprotocol: the API
//   server proxies the upgrade to the kubelet's own WebSocket server, whose messages come from
//   the runtime directly ("... error executing command [sh -c exit 3], exit code 3").
// v2.channel.k8s.io and v3.channel.k8s.io are SPDY protocol names; neither server accepts them
// on a WebSocket.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import * as pty from 'node-pty';
import type { WebSocket } from 'ws';
import { containerRoot, executableAt, imageBase } from './images.ts';
import type { Pod } from './fixtures.ts';
import { internalError, type Status } from './status.ts';

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const ERROR = 3;
export const RESIZE = 4;
export const CLOSE = 255;

export const V5 = 'v5.channel.k8s.io';
export const V4 = 'v4.channel.k8s.io';
export const V4_BASE64 = 'v4.base64.channel.k8s.io';
export const V1 = 'channel.k8s.io';
export const V1_BASE64 = 'base64.channel.k8s.io';

/** Protocols the kubelet's WebSocket server accepts ("" = no Sec-WebSocket-Protocol header). */
const KUBELET_PROTOCOLS = new Set(['', V1, V1_BASE64, V4, V4_BASE64]);

/**
 * Subprotocol negotiation: any request offering v5 goes to the API server's translator (which
 * only speaks v5); otherwise the kubelet picks the first offered protocol it knows.
 * Returns undefined when nothing matches (the kubelet then answers 403 with an empty body).
 */
export function negotiateProtocol(offered: string[]): string | undefined {
  if (offered.includes(V5)) return V5;
  const list = offered.length === 0 ? [''] : offered;
  return list.find((p) => KUBELET_PROTOCOLS.has(p));
}

export interface ExecFaults {
  ignorePings: boolean;
}

export interface ExecRequest {
  pod: Pod;
  container: string;
  image: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  protocol: string;
}

/** One exec'd process tree: its root leads a session of its own (setsid), as in a container. */
interface ExecTree {
  sid: number;
  podKey: string;
  exited: Promise<void>;
  /** The root process has exited (what it started may live on). */
  rootExited: boolean;
}

/** Live (non-zombie) processes by session id, from /proc. */
function processesBySession(): Map<number, number[]> {
  const bySession = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return bySession;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') continue;
    const sid = Number(fields[3]);
    const list = bySession.get(sid);
    if (list) list.push(Number(name));
    else bySession.set(sid, [Number(name)]);
  }
  return bySession;
}

/** What a terminal hangup does: SIGHUP and SIGCONT to the session leader and foreground job. */
function hangUp(sid: number): void {
  let foreground = 0;
  try {
    const stat = readFileSync(`/proc/${sid}/stat`, 'latin1');
    foreground = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[5]);
  } catch {
    // the leader is gone already
  }
  const signal = (target: number) => {
    for (const sig of ['SIGHUP', 'SIGCONT'] as const) {
      try {
        process.kill(target, sig);
      } catch {
        // gone
      }
    }
  };
  signal(sid);
  if (foreground > 0 && foreground !== sid) signal(-foreground);
}

/** Stop reading the process's output while this much is queued on the socket. */
const HIGH_WATER = 1 << 20;
const LOW_WATER = 256 << 10;

/**
 * How long a TTY exec waits for the client's first terminal size before its process starts
 * without one.
 *
 * In a cluster nothing waits, but latency puts the first size ahead of the process: the API
 * server answers the client's upgrade before it dials the kubelet (StreamTranslatorHandler), the
 * process starts only once the streams to the runtime are up and `runc exec` has run, and by then
 * the size the client sent on opening is queued; containerd applies it right after process.Start
 * (criService.execInternal, then handleResizing). The PTY itself is created unsized (runc sizes
 * it only from the process spec's consoleSize, which CRI leaves unset), so the process sees 0x0
 * for the moment between its start and that resize. kubesim would start the process within a
 * millisecond of the upgrade, before a client's first frame can arrive; so it waits for that
 * frame instead, for at most this stand-in for the cluster's own delay, and creates the PTY with
 * the size (without the 0x0 moment). A size that comes later, or never, finds the process on an
 * unsized PTY, as in a cluster. A session that sends its size starts once it is in: only TTY
 * sessions that send none wait this long. The bound is generous because a client just started,
 * on a busy machine, has been seen to take some 60 ms from the upgrade to its first frame.
 */
const FIRST_SIZE_WAIT_MS = 250;

/**
 * node-pty replaces a 0 column or row count with 80x24 and passes the number on to forkpty as an
 * int32: 2^32 is not 0 in JavaScript and 0 as an int32, so the PTY is created with no size, as
 * runc creates it (stty size: "0 0").
 */
const UNSIZED = 2 ** 32;

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGPIPE: 13, SIGTERM: 15 };

function execId(seed: string): string {
  return createHash('sha256').update(seed + Math.random()).digest('hex');
}

/** Go's %v of a []string: [a b c]. */
function goList(argv: string[]): string {
  return `[${argv.join(' ')}]`;
}

type Resolved = { path: string } | { error: string };

/** The runtime's executable lookup, with runc's (or hcsshim's) words when it fails. */
async function resolveExecutable(argv0: string, root: string, binDir: string, windows: boolean): Promise<Resolved> {
  if (windows) {
    const names = argv0.toLowerCase().endsWith('.exe') ? [argv0] : [argv0, `${argv0}.exe`];
    for (const name of names) {
      const candidate = name.includes('/') || name.includes('\\') ? join(root, name.replace(/^[A-Za-z]:/, '').replaceAll('\\', '/')) : join(binDir, name);
      if (await executableAt(candidate)) return { path: candidate };
    }
    return { error: `hcs::System::CreateProcess ${execId(argv0).slice(0, 64)}: The system cannot find the file specified.` };
  }
  if (argv0.includes('/')) {
    const candidate = isAbsolute(argv0) ? join(root, argv0) : join(root, argv0);
    if (await executableAt(candidate)) return { path: candidate };
    return { error: `OCI runtime exec failed: exec failed: unable to start container process: exec: "${argv0}": stat ${argv0}: no such file or directory` };
  }
  const candidate = join(binDir, argv0);
  if (argv0 !== '' && (await executableAt(candidate))) return { path: candidate };
  return { error: `OCI runtime exec failed: exec failed: unable to start container process: exec: "${argv0}": executable file not found in $PATH` };
}

interface TermSize {
  width: number;
  height: number;
}

/** Accumulates channel-4 bytes and yields complete JSON objects, as Go's json.Decoder would. */
class ResizeDecoder {
  private buf = '';

  push(text: string): Array<{ width: number; height: number }> {
    this.buf += text;
    const out: Array<{ width: number; height: number }> = [];
    for (;;) {
      const start = this.buf.indexOf('{');
      if (start < 0) {
        this.buf = '';
        return out;
      }
      const end = this.buf.indexOf('}', start);
      if (end < 0) {
        this.buf = this.buf.slice(start);
        return out;
      }
      const chunk = this.buf.slice(start, end + 1);
      this.buf = this.buf.slice(end + 1);
      try {
        const obj = JSON.parse(chunk) as Record<string, unknown>;
        const get = (k: string) => {
          for (const [key, v] of Object.entries(obj)) if (key.toLowerCase() === k && typeof v === 'number') return v;
          return 0;
        };
        out.push({ width: get('width'), height: get('height') });
      } catch {
        // The kubelet logs and ignores a malformed size.
      }
    }
  }
}

export class ExecManager {
  private readonly dir: string;
  private readonly faults: ExecFaults;
  private readonly trees = new Map<number, ExecTree>();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(dir: string, faults: ExecFaults) {
    this.dir = dir;
    this.faults = faults;
  }

  /**
   * Session leaders of exec'd process trees that still have a live process, including trees
   * whose root has exited but left children running (as a shell's background jobs would).
   */
  pids(): number[] {
    if (this.trees.size === 0) return [];
    const live = processesBySession();
    const out: number[] = [];
    for (const sid of this.trees.keys()) {
      if (live.has(sid)) out.push(sid);
    }
    return out;
  }

  /** Signals every live process of the given trees (one /proc scan for all of them). */
  private killTrees(trees: ExecTree[], signal: NodeJS.Signals): void {
    if (trees.length === 0) return;
    const live = processesBySession();
    for (const tree of trees) {
      for (const pid of live.get(tree.sid) ?? []) {
        try {
          process.kill(pid, signal);
        } catch {
          // gone meanwhile
        }
      }
    }
  }

  /** What a container stop does to processes exec'd into it: they die with the container. */
  killPod(podKey: string): void {
    this.killTrees([...this.trees.values()].filter((tree) => tree.podKey === podKey), 'SIGKILL');
  }

  /**
   * Forgets trees of which nothing is left. Done a moment after exits, with one /proc scan for
   * all of them: scanning /proc is the costliest thing kubesim does per exec, and done at each
   * exit it would hold up the exit status and close of that very session.
   */
  private sweepSoon(): void {
    this.sweepTimer ??= setTimeout(() => {
      this.sweepTimer = undefined;
      const live = processesBySession();
      for (const [sid, tree] of this.trees) if (tree.rootExited && !live.has(sid)) this.trees.delete(sid);
    }, 1000).unref();
  }

  async stopAll(): Promise<void> {
    clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    const all = [...this.trees.values()];
    const deadline = Date.now() + 3000;
    for (;;) {
      this.killTrees(all, 'SIGKILL');
      if (this.pids().length === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await Promise.race([
      Promise.all(all.map((t) => t.exited)),
      new Promise((resolve) => setTimeout(resolve, 1000).unref()),
    ]);
    this.trees.clear();
  }

  /** Runs one exec session on an upgraded socket. */
  async serve(ws: WebSocket, req: ExecRequest): Promise<void> {
    const session = new Session(ws, req, this.faults);
    const ns = req.pod.metadata.namespace ?? 'default';
    const podKey = `${ns}/${req.pod.metadata.name}`;
    const windows = imageBase(req.image) === 'kubesim/windows';
    session.ready();
    // Waited for alongside the lookups below, so a size that is already in costs nothing.
    const firstSize = req.tty ? session.firstSize(FIRST_SIZE_WAIT_MS) : undefined;
    const { root, binDir } = await containerRoot(this.dir, ns, req.pod.metadata.name, req.container, req.image);
    const resolved = await resolveExecutable(req.command[0] ?? '', root, binDir, windows);
    if ('error' in resolved) {
      const id = execId(podKey + req.container);
      session.finish(runtimeError(`failed to exec in container: failed to start exec "${id}": ${resolved.error}: unknown`, req.protocol));
      return;
    }
    if (ws.readyState !== ws.OPEN) return;

    const env: Record<string, string> = {
      PATH: binDir,
      HOSTNAME: req.pod.metadata.name,
      HOME: root,
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT: 'tcp://10.96.0.1:443',
    };
    const spec = [...req.pod.spec.containers, ...(req.pod.spec.initContainers ?? []), ...(req.pod.spec.ephemeralContainers ?? [])].find((c) => c.name === req.container);
    for (const e of (spec?.['env'] as Array<{ name: string; value?: string }> | undefined) ?? []) {
      if (typeof e.value === 'string') env[e.name] = e.value;
    }
    // containerd adds TERM for terminal sessions (it is otherwise unset in an exec).
    if (req.tty) env['TERM'] = 'xterm';
    // An exec starts in the container's working directory, which the runtime created.
    const workingDir = typeof spec?.['workingDir'] === 'string' ? spec['workingDir'] : '';
    const cwd = workingDir ? join(root, workingDir) : root;
    if (workingDir) await mkdir(cwd, { recursive: true });

    const size = await firstSize;
    if (ws.readyState !== ws.OPEN) return;
    const started = req.tty
      ? session.startPty(resolved.path, req.command.slice(1), cwd, env, size)
      : session.startPipes(resolved.path, req.command, cwd, env);
    const tree: ExecTree = { sid: started.pid, podKey, exited: started.exited, rootExited: false };
    this.trees.set(started.pid, tree);
    void started.exited.then(() => {
      tree.rootExited = true;
      this.sweepSoon();
    });
  }
}

function runtimeError(err: string, protocol: string): Status {
  const kubelet = internalError(`error executing command in container: ${err}`);
  // The translator turns the kubelet's Status into a Go error and wraps it again.
  return protocol === V5 ? internalError(kubelet.message!) : kubelet;
}

function exitStatus(code: number, command: string[], protocol: string): Status {
  const inner = protocol === V5
    ? `command terminated with exit code ${code}`
    : `error executing command ${goList(command)}, exit code ${code}`;
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: ${inner}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  } as unknown as Status;
}

/** One upgraded connection and the process behind it. */
class Session {
  private readonly ws: WebSocket;
  private readonly req: ExecRequest;
  private readonly base64: boolean;
  private readonly faults: ExecFaults;
  private queued = 0;
  private finished = false;
  private onLowWater: (() => void) | undefined;
  /** Frames that arrive before the process exists (clients send stdin and sizes right away). */
  private early: Array<{ data: Buffer; isBinary: boolean }> | undefined = [];
  private handler: ((data: Buffer, isBinary: boolean) => void) | undefined;
  /** Reads sizes among the early frames (which stay queued for the process as they are). */
  private readonly earlySizes = new ResizeDecoder();
  /** Set while serve() waits for the first size. */
  private sizeWaiter: ((size: TermSize | undefined) => void) | undefined;
  closed = false;

  constructor(ws: WebSocket, req: ExecRequest, faults: ExecFaults) {
    this.ws = ws;
    this.req = req;
    this.faults = faults;
    this.base64 = req.protocol === V1_BASE64 || req.protocol === V4_BASE64;
    ws.on('ping', (data) => {
      if (!this.faults.ignorePings && ws.readyState === ws.OPEN) ws.pong(data);
    });
    ws.on('error', () => ws.terminate());
    ws.on('message', (data, isBinary) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      if (this.handler) {
        this.handler(buf, isBinary);
        return;
      }
      this.early?.push({ data: buf, isBinary });
      if (this.sizeWaiter) {
        const size = this.sizeIn(buf, isBinary);
        if (size) this.sizeWaiter(size);
      }
    });
    ws.on('close', () => (this.closed = true));
  }

  private onMessage(handler: (data: Buffer, isBinary: boolean) => void): void {
    this.handler = handler;
    const early = this.early ?? [];
    this.early = undefined;
    for (const m of early) handler(m.data, m.isBinary);
  }

  /**
   * The client's first usable terminal size (what containerd's handleResizing would apply: both
   * sides at least 1), once it is in; undefined if none came within `limitMs` or the client left.
   */
  firstSize(limitMs: number): Promise<TermSize | undefined> {
    for (const m of this.early ?? []) {
      const size = this.sizeIn(m.data, m.isBinary);
      if (size) return Promise.resolve(size);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const done = (size: TermSize | undefined): void => {
        clearTimeout(timer);
        this.ws.off('close', giveUp);
        this.sizeWaiter = undefined;
        resolve(size);
      };
      const giveUp = (): void => done(undefined);
      const timer = setTimeout(giveUp, limitMs);
      this.ws.on('close', giveUp);
      this.sizeWaiter = done;
    });
  }

  private sizeIn(data: Buffer, isBinary: boolean): TermSize | undefined {
    const frame = this.decode(data, isBinary);
    if (frame?.channel !== RESIZE) return undefined;
    return this.earlySizes.push(frame.payload.toString('utf8')).find((s) => s.width > 0 && s.height > 0);
  }

  /** Runs `fn` when the client's connection ends, or now if it already has. */
  private onClose(fn: () => void): void {
    if (this.closed) queueMicrotask(fn);
    else this.ws.on('close', fn);
  }

  /** The empty frame on the lowest writable channel that tells the client the streams are up. */
  ready(): void {
    const ch = this.req.stdout ? STDOUT : this.req.stderr ? STDERR : ERROR;
    this.send(ch, Buffer.alloc(0));
  }

  send(channel: number, data: Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const frame = this.base64
      ? String(channel) + data.toString('base64')
      : Buffer.concat([Buffer.from([channel]), data]);
    const size = data.length + 1;
    this.queued += size;
    this.ws.send(frame, { binary: !this.base64 }, () => {
      this.queued -= size;
      if (this.queued <= LOW_WATER && this.onLowWater) {
        const resume = this.onLowWater;
        this.onLowWater = undefined;
        resume();
      }
    });
  }

  /** Output with backpressure: `pause` is called while the socket is too far behind. */
  output(channel: number, data: Buffer, pause: () => void, resume: () => void): void {
    this.send(channel, data);
    if (this.queued > HIGH_WATER && !this.onLowWater) {
      pause();
      this.onLowWater = resume;
    }
  }

  finish(status: Status | undefined): void {
    if (this.finished) return;
    this.finished = true;
    if (this.ws.readyState !== this.ws.OPEN) return;
    const v4 = this.req.protocol === V4 || this.req.protocol === V4_BASE64 || this.req.protocol === V5;
    if (v4) {
      this.send(ERROR, Buffer.from(JSON.stringify(status ?? { metadata: {}, status: 'Success' })));
    } else if (status && status.message) {
      // Before v4 the error channel carries only the message text, and nothing on success.
      this.send(ERROR, Buffer.from(status.message));
    }
    this.ws.close(1000);
  }

  private statusFor(code: number | null, signal: number | null): Status | undefined {
    const rc = code ?? (signal ? 128 + signal : 0);
    if (rc === 0) return undefined;
    return exitStatus(rc, this.req.command, this.req.protocol);
  }

  /**
   * Frames from the client, decoded. Returns channel and payload, or undefined for junk. The
   * negotiated protocol alone picks the codec (wsstream.Conn reads text and binary messages
   * alike), so a text frame on a binary protocol carries raw bytes, as the Python client sends.
   */
  private decode(data: Buffer, _isBinary: boolean): { channel: number; payload: Buffer } | undefined {
    if (this.base64) {
      const text = data.toString('latin1');
      if (text.length === 0) return undefined;
      const channel = text.charCodeAt(0) - 48;
      return { channel, payload: Buffer.from(text.slice(1), 'base64') };
    }
    if (data.length === 0) return undefined;
    return { channel: data[0]!, payload: data.subarray(1) };
  }

  /** A process on a new PTY of `size` (set before it starts), or of no size at all. */
  startPty(file: string, args: string[], cwd: string, env: Record<string, string>, size: TermSize | undefined): { pid: number; exited: Promise<void> } {
    const cols = size?.width ?? UNSIZED;
    const rows = size?.height ?? UNSIZED;
    const term = pty.spawn(file, args, { name: 'xterm', cols, rows, cwd, env, encoding: null });
    let exited = false;
    let resolveExit!: () => void;
    const exitedPromise = new Promise<void>((r) => (resolveExit = r));
    const resizer = new ResizeDecoder();
    let outputClosed = false;
    term.onData((chunk) => {
      const data = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as unknown as Buffer);
      if (this.req.stdout && !outputClosed) this.output(STDOUT, data, () => term.pause(), () => term.resume());
    });
    term.onExit(({ exitCode, signal }) => {
      exited = true;
      // Let the PTY's last output reach the socket before the status.
      setImmediate(() => {
        this.finish(this.statusFor(signal ? null : exitCode, signal || null));
        resolveExit();
      });
    });
    this.onMessage((raw, isBinary) => {
      const frame = this.decode(raw, isBinary);
      if (!frame || exited) return;
      if (frame.channel === STDIN && this.req.stdin && !outputClosed) term.write(frame.payload);
      else if (frame.channel === RESIZE) {
        for (const s of resizer.push(frame.payload.toString('utf8'))) {
          if (s.width <= 0 || s.height <= 0) continue;
          try {
            term.resize(s.width, s.height);
          } catch {
            // The PTY closed as the process exited, before node-pty said so: containerd too
            // only logs a failed resize.
          }
        }
      } else if (frame.channel === CLOSE && this.req.protocol === V5 && frame.payload[0] === STDIN) {
        // containerd (ExecIO.Attach, StdinOnce with a TTY) does not pass stdin EOF on to a
        // terminal: it closes the session's output instead. The process runs on, unseen, and
        // its exit status still ends the session.
        outputClosed = true;
      }
    });
    // A closed connection closes the PTY master: the kernel hangs up the terminal, so the
    // session leader and the foreground job get SIGHUP. The signals are sent explicitly because
    // a copy of the master fd inherited by another child would keep the real hangup from happening.
    this.onClose(() => {
      if (exited) return;
      hangUp(term.pid);
      // The terminal goes once the leader has handled its SIGHUP (a shell passes it on to its
      // jobs): a shell that found its terminal gone first would exit as at end of input and
      // leave its background jobs running.
      const destroy = () => (term as pty.IPty & { destroy(): void }).destroy();
      const fallback = setTimeout(destroy, 1000);
      void exitedPromise.then(() => {
        clearTimeout(fallback);
        destroy();
      });
    });
    return {
      pid: term.pid,
      exited: exitedPromise,
    };
  }

  startPipes(file: string, argv: string[], cwd: string, env: Record<string, string>): { pid: number; exited: Promise<void> } {
    const child: ChildProcess = spawn(file, argv.slice(1), {
      argv0: argv[0],
      cwd,
      env,
      detached: true,
      stdio: [this.req.stdin ? 'pipe' : 'ignore', this.req.stdout ? 'pipe' : 'ignore', this.req.stderr ? 'pipe' : 'ignore'],
    });
    let exited = false;
    let resolveExit!: () => void;
    const exitedPromise = new Promise<void>((r) => (resolveExit = r));
    let pendingStreams = (child.stdout ? 1 : 0) + (child.stderr ? 1 : 0);
    let exitInfo: { code: number | null; signal: number | null } | undefined;
    const maybeFinish = () => {
      if (exitInfo && pendingStreams === 0) {
        this.finish(this.statusFor(exitInfo.code, exitInfo.signal));
        resolveExit();
      }
    };
    const pipe = (stream: NodeJS.ReadableStream | null, channel: number) => {
      if (!stream) return;
      stream.on('data', (data: Buffer) => this.output(channel, data, () => stream.pause(), () => stream.resume()));
      stream.on('end', () => {
        pendingStreams--;
        maybeFinish();
      });
      stream.on('error', () => undefined);
    };
    pipe(child.stdout, STDOUT);
    pipe(child.stderr, STDERR);
    child.stdin?.on('error', () => undefined);
    child.on('error', (err) => {
      if (exitInfo) return;
      this.finish(runtimeError(`failed to exec in container: ${err.message}`, this.req.protocol));
      exited = true;
      exitInfo = { code: 126, signal: null };
      resolveExit();
    });
    child.on('exit', (code, signal) => {
      exited = true;
      exitInfo = { code, signal: signal ? (SIGNALS[signal] ?? 9) : null };
      maybeFinish();
    });

    let stdinClosed = false;
    let waitingForDrain = false;
    // Reading from the client stops while the process's stdin is full, as the API server's read
    // loop blocks on the stdin pipe. It goes on once there is room, once stdin is closed (the
    // client's CLOSE), and once the process has gone: a Writable emits no 'drain' after end() or
    // after its pipe broke, so waiting for one would leave pings and the close frame unread.
    const readOn = () => {
      if (!waitingForDrain) return;
      waitingForDrain = false;
      this.ws.resume();
    };
    child.stdin?.on('close', () => {
      stdinClosed = true;
      readOn();
    });
    const closeStdin = () => {
      if (stdinClosed) return;
      stdinClosed = true;
      child.stdin?.end();
      readOn();
    };
    this.onMessage((raw, isBinary) => {
      const frame = this.decode(raw, isBinary);
      if (!frame) return;
      if (frame.channel === STDIN && child.stdin && !stdinClosed) {
        // Frames already received while paused still arrive: wait for one drain, not one per frame.
        if (!child.stdin.write(frame.payload) && !waitingForDrain) {
          waitingForDrain = true;
          this.ws.pause();
          child.stdin.once('drain', readOn);
        }
      } else if (frame.channel === CLOSE && this.req.protocol === V5 && frame.payload[0] === STDIN) {
        closeStdin();
      }
    });
    // A dropped connection closes the process's stdin; containerd does not kill an exec'd
    // process when its client goes away (no TTY, so no hangup either). Its further output goes
    // nowhere, as into the shim's drained FIFO.
    this.onClose(() => {
      closeStdin();
      this.ws.resume();
      child.stdout?.resume();
      child.stderr?.resume();
    });
    return {
      pid: child.pid ?? -1,
      exited: exitedPromise,
    };
  }
}
