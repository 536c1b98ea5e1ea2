// The container runtime's view of each container's main process: what `kubectl logs` shows and
// what `kubectl port-forward` reaches.
//
// - A container whose spec has `command` or `args` runs them as a real process (in its own
//   process group, cwd = the container root + workingDir) from the moment its pod is Running.
//   Its stdout and stderr become the container log: every line timestamped on arrival (ns), kept
//   in a bounded ring buffer that `pods/{pod}/log` is served from, and appended to a CRI-format
//   file under <dir>/logs (rotated at 10 MiB like the kubelet's default).
// - When it exits, the kubelet's restart policy applies: Always (and OnFailure after a failure)
//   restarts it after a back-off (1 s doubling to 30 s; the kubelet's is 10 s to 5 min), with
//   lastState.terminated, restartCount and CrashLoopBackOff in between written to the pod status;
//   the dead instance's log stays readable as `previous`.
// - Other containers (the fixture images with no command, thousands of bulk pods) have no
//   process, so nothing was written and their log is empty (still open while the container
//   runs, so a follower waits), as a real container that prints nothing. kubesim's own notes
//   about containers never go into a container's log. Ephemeral containers' logs are kept by
//   attach.ts, which runs their processes, and found here through a log source.
// - Network: a pod has no network namespace of its own. Each declared containerPort gets a free
//   host port; arguments ending in `:<port>`/`=<port>` and env values equal to a declared port are
//   rewritten to it when the process starts, and port-forward to that containerPort reaches the
//   host port. So `node --inspect=127.0.0.1:9229` in two kubesims at once does not collide.
//   Undeclared ports of a pod with a live process are the host's own (a simplification); a pod
//   without a process refuses every port, as an empty network namespace would.
// - Image `kubesim/node` resolves `node` to the Node running kubesim and ships /app/app.js.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, isAbsolute, join } from 'node:path';
import type { Pod } from './fixtures.ts';
import { containerRoot, executableAt, imageBase } from './images.ts';
import type { Collection, StoreEvent } from './store.ts';

export type LogStream = 'stdout' | 'stderr';

export interface LogEntry {
  /** Nanoseconds since the epoch. */
  time: bigint;
  stream: LogStream;
  /** The line without its newline. */
  data: Buffer;
  /** A line cut at the runtime's 16 KiB limit (or the output's unterminated end): no newline follows. */
  partial: boolean;
}

const MAX_ENTRIES = 10_000;
const MAX_BUFFER_BYTES = 4 * 1024 * 1024;
const MAX_FILE_BYTES = 10 * 1024 * 1024;
/** containerd cuts longer lines into partial (P) records of this size. */
const MAX_LINE = 16 * 1024;
const BACKOFF_START_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
/** After this long running, the back-off starts over (the kubelet uses 10 minutes). */
const BACKOFF_RESET_MS = 60_000;

// Nanosecond wall clock: Date.now() is milliseconds only, hrtime is monotonic with no epoch.
const EPOCH_OFFSET = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
export function nowNanos(): bigint {
  return EPOCH_OFFSET + process.hrtime.bigint();
}

/** RFC3339NanoFixed in UTC, as the kubelet prints timestamps: 2006-01-02T15:04:05.000000000Z. */
export function formatNanos(ns: bigint): string {
  const seconds = ns / 1_000_000_000n;
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction}Z`;
}

export function nanosOf(iso: string): bigint {
  return BigInt(Date.parse(iso)) * 1_000_000n;
}

/** One container instance's log: a ring buffer for serving, a file for looking at. */
export class ContainerLog {
  readonly entries: LogEntry[] = [];
  private bytes = 0;
  private readonly listeners = new Set<{ entry: (e: LogEntry) => void; end: () => void }>();
  private pending: Record<LogStream, Buffer> = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  ended = false;
  private readonly file: string | undefined;
  private fileBytes = 0;
  private fileQueue: Promise<void> = Promise.resolve();
  private handle: Promise<FileHandle | undefined> | undefined;
  private unwritten: string[] = [];

  constructor(file?: string) {
    this.file = file;
  }

  /** Output as it comes from the process: split into lines, each stamped now. */
  write(stream: LogStream, chunk: Buffer): void {
    let data = this.pending[stream].length ? Buffer.concat([this.pending[stream], chunk]) : chunk;
    for (;;) {
      const nl = data.indexOf(10);
      if (nl < 0) break;
      this.append({ time: nowNanos(), stream, data: data.subarray(0, nl), partial: false });
      data = data.subarray(nl + 1);
    }
    while (data.length >= MAX_LINE) {
      this.append({ time: nowNanos(), stream, data: data.subarray(0, MAX_LINE), partial: true });
      data = data.subarray(MAX_LINE);
    }
    this.pending[stream] = Buffer.from(data);
  }

  append(entry: LogEntry): void {
    if (this.ended) return;
    this.entries.push(entry);
    this.bytes += entry.data.length;
    if (this.entries.length > MAX_ENTRIES || this.bytes > MAX_BUFFER_BYTES) {
      let drop = 0;
      while (drop < this.entries.length - 1 && (this.entries.length - drop > MAX_ENTRIES * 0.9 || this.bytes > MAX_BUFFER_BYTES * 0.9)) {
        this.bytes -= this.entries[drop]!.data.length;
        drop++;
      }
      this.entries.splice(0, drop);
    }
    for (const l of [...this.listeners]) l.entry(entry);
    this.toFile(entry);
  }

  /** The instance is over: flush unterminated output, tell followers. */
  end(): void {
    if (this.ended) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.pending[stream].length) this.append({ time: nowNanos(), stream, data: this.pending[stream], partial: true });
      this.pending[stream] = Buffer.alloc(0);
    }
    this.ended = true;
    for (const l of [...this.listeners]) l.end();
    this.listeners.clear();
    this.fileQueue = this.fileQueue.then(async () => {
      const h = await this.handle;
      this.handle = undefined;
      await h?.close().catch(() => undefined);
    });
  }

  /** New entries and the end, until the returned function is called. */
  follow(entry: (e: LogEntry) => void, end: () => void): () => void {
    if (this.ended) {
      queueMicrotask(end);
      return () => undefined;
    }
    const listener = { entry, end };
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Waits for pending file writes (stop() calls this). */
  flushed(): Promise<void> {
    return this.fileQueue;
  }

  private toFile(entry: LogEntry): void {
    if (!this.file) return;
    this.unwritten.push(`${formatNanos(entry.time)} ${entry.stream} ${entry.partial ? 'P' : 'F'} ${entry.data.toString('utf8')}\n`);
    if (this.unwritten.length > 1) return;
    // Lines arriving together are written together, one write per turn of the event loop.
    this.fileQueue = this.fileQueue.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(() => this.flushFile());
  }

  private async flushFile(): Promise<void> {
    const text = this.unwritten.join('');
    this.unwritten = [];
    if (!text || !this.file) return;
    try {
      if (this.fileBytes + text.length > MAX_FILE_BYTES && this.fileBytes > 0) {
        const h = await this.handle;
        await h?.close();
        await rename(this.file, `${this.file}.1`);
        this.handle = undefined;
        this.fileBytes = 0;
      }
      this.handle ??= mkdir(dirname(this.file), { recursive: true }).then(() => open(this.file!, 'a'));
      const h = await this.handle;
      await h?.write(text);
      this.fileBytes += Buffer.byteLength(text);
    } catch {
      // The file is a convenience; serving logs does not depend on it.
    }
  }
}

interface ContainerSpecLike {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: Array<{ name: string; value?: string }>;
  ports?: Array<{ containerPort: number; protocol?: string; name?: string }>;
}

interface Instance {
  containerID: string;
  log: ContainerLog;
  startedAt: string;
  child?: ChildProcess;
  exited?: Promise<void>;
}

interface ContainerSlot {
  podKey: string;
  name: string;
  current?: Instance;
  previous?: Instance;
  failures: number;
  restartTimer?: NodeJS.Timeout;
}

interface PodRuntime {
  key: string;
  uid: string;
  /** containerPort -> host port, for ports the pod declares. */
  ports: Map<number, number>;
  containers: Map<string, ContainerSlot>;
  gone: boolean;
}

const NODE_APP = `// kubesim's node-0: an HTTP service on $PORT that logs a tick every second and stops at the
// debugger statement below once a debugger is attached.
const http = require('node:http');
const port = Number(process.env.PORT || 8080);
const server = http.createServer((req, res) => {
  res.setHeader('Content-Type', 'text/plain');
  res.end('hello from ' + process.env.HOSTNAME + ': ' + req.method + ' ' + req.url + '\\n');
});
// Should the port still be taken, try again rather than crash.
server.on('error', (err) => {
  console.error('listen failed: ' + err.message);
  setTimeout(() => server.listen(port, '127.0.0.1'), 1000);
});
server.listen(port, '127.0.0.1', () => console.log('listening for HTTP'));

let tick = 0;
setInterval(() => {
  tick += 1;
  console.log('tick ' + tick);
  debugger;
}, 1000);
`;

function containerId(seed: string): string {
  return `containerd://${createHash('sha256').update(seed + Math.random()).digest('hex')}`;
}

function isoSeconds(ms = Date.now()): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Kubernetes' $(VAR) expansion in command and args; $$ escapes. */
function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return name !== undefined && name in env ? env[name]! : m;
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export class MainProcesses {
  private readonly dir: string;
  private readonly pods: Collection<Pod>;
  private readonly runtimes = new Map<string, PodRuntime>();
  /** Logs of containers without a process (empty), by containerID. */
  private readonly virtual = new Map<string, ContainerLog>();
  /** Logs kept elsewhere (ephemeral containers'), looked up by containerID. */
  private readonly logSources: Array<(containerID: string) => ContainerLog | undefined> = [];
  private readonly starting = new Set<Promise<void>>();
  private unwatch: (() => void) | undefined;
  private stopped = false;

  constructor(dir: string, pods: Collection<Pod>) {
    this.dir = dir;
    this.pods = pods;
  }

  /** Starts the main processes of every pod there is, and of every pod added later. */
  start(): void {
    this.unwatch = this.pods.watch({ onEvent: (e) => this.onPodEvent(e) });
    for (const key of this.pods.keys()) this.ensure(key);
  }

  private onPodEvent(event: StoreEvent<Pod>): void {
    // A pod created through the API is added Pending and started later by its kubelet (write.ts).
    if (event.type === 'ADDED' || (event.obj.status.phase === 'Running' && event.prev?.status.phase !== 'Running')) this.ensure(event.key);
    else if (event.type === 'DELETED') this.removePod(event.key);
    else if (event.obj.metadata.deletionTimestamp && !event.prev?.metadata.deletionTimestamp) this.terminate(event.key, 'SIGTERM');
  }

  private ensure(key: string): void {
    const pod = this.pods.get(key);
    if (!pod || pod.metadata.deletionTimestamp || pod.status.phase !== 'Running' || this.runtimes.has(key)) return;
    const specs = pod.spec.containers as ContainerSpecLike[];
    if (!specs.some((c) => c.command?.length || c.args?.length)) return;
    const runtime: PodRuntime = { key, uid: pod.metadata.uid ?? '', ports: new Map(), containers: new Map(), gone: false };
    this.runtimes.set(key, runtime);
    const task = (async () => {
      for (const c of specs) {
        for (const p of c.ports ?? []) {
          if ((p.protocol ?? 'TCP') === 'TCP' && !runtime.ports.has(p.containerPort)) runtime.ports.set(p.containerPort, await freePort());
        }
      }
      for (const c of specs) {
        if (!c.command?.length && !c.args?.length) continue;
        const status = pod.status.containerStatuses?.find((s) => s.name === c.name);
        if (!status?.state['running']) continue;
        const slot: ContainerSlot = { podKey: key, name: c.name, failures: 0 };
        runtime.containers.set(c.name, slot);
        await this.launch(runtime, slot, status.containerID ?? containerId(key + c.name), String(status.state['running']['startedAt'] ?? isoSeconds()));
      }
    })();
    this.starting.add(task);
    void task.finally(() => this.starting.delete(task));
  }

  private async launch(runtime: PodRuntime, slot: ContainerSlot, id: string, startedAt: string): Promise<void> {
    const pod = this.pods.get(runtime.key);
    const spec = (pod?.spec.containers as ContainerSpecLike[] | undefined)?.find((c) => c.name === slot.name);
    if (!pod || !spec || runtime.gone || this.stopped) return;
    const ns = pod.metadata.namespace ?? 'default';
    const name = pod.metadata.name;
    const restarts = pod.status.containerStatuses?.find((s) => s.name === slot.name)?.restartCount ?? 0;
    const log = new ContainerLog(join(this.dir, 'logs', `${ns}_${name}_${runtime.uid}`, slot.name, `${restarts}.log`));
    const instance: Instance = { containerID: id, log, startedAt };
    slot.current = instance;

    const { root, binDir } = await containerRoot(this.dir, ns, name, slot.name, spec.image);
    const node = imageBase(spec.image) === 'kubesim/node';
    if (node) {
      await mkdir(join(root, 'app'), { recursive: true });
      await writeFile(join(root, 'app', 'app.js'), NODE_APP);
    }
    const cwd = join(root, spec.workingDir ?? '/');
    await mkdir(cwd, { recursive: true });

    const mapped = (value: string): string => {
      const m = /(^|[=:])(\d+)$/.exec(value);
      const host = m ? runtime.ports.get(Number(m[2])) : undefined;
      return host === undefined ? value : value.slice(0, value.length - m![2]!.length) + String(host);
    };
    const env: Record<string, string> = {
      PATH: binDir,
      HOSTNAME: name,
      HOME: root,
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
    };
    for (const e of spec.env ?? []) if (typeof e.value === 'string') env[e.name] = /^\d+$/.test(e.value) ? mapped(e.value) : expand(e.value, env);
    const argv = [...(spec.command ?? []), ...(spec.args ?? [])].map((a) => mapped(expand(a, env)));
    const argv0 = argv[0] ?? '';
    let file: string | undefined;
    if (node && argv0 === 'node') file = process.execPath;
    else if (argv0.includes('/')) file = join(root, isAbsolute(argv0) ? argv0 : join(spec.workingDir ?? '/', argv0));
    else if (argv0) file = join(binDir, argv0);
    if (runtime.gone || this.stopped) return;
    if (!file || !(await executableAt(file))) {
      // What containerd reports when the entrypoint is missing: the container never runs.
      const message = `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${argv0}": executable file not found in $PATH: unknown`;
      this.exited(runtime, slot, instance, 128, 'StartError', message);
      return;
    }
    const child = spawn(file, argv.slice(1), { argv0, cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    instance.child = child;
    let streams = 2;
    let exit: { code: number } | undefined;
    instance.exited = new Promise<void>((resolve) => {
      const done = () => {
        if (!exit || streams > 0) return;
        resolve();
        this.exited(runtime, slot, instance, exit.code, exit.code === 0 ? 'Completed' : 'Error');
      };
      for (const [stream, source] of [['stdout', child.stdout], ['stderr', child.stderr]] as const) {
        source.on('data', (chunk: Buffer) => log.write(stream, chunk));
        source.on('close', () => {
          streams--;
          done();
        });
        source.on('error', () => undefined);
      }
      child.on('error', (err) => {
        log.write('stderr', Buffer.from(`kubesim: could not start ${argv0}: ${err.message}\n`));
        exit ??= { code: 128 };
      });
      child.on('exit', (code, signal) => {
        exit = { code: code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 1) };
        done();
      });
    });
  }

  /** The kubelet's reaction to a main process ending: record it, then restart or stop. */
  private exited(runtime: PodRuntime, slot: ContainerSlot, instance: Instance, code: number, reason: string, message?: string): void {
    instance.log.end();
    if (runtime.gone || this.stopped || !this.pods.has(runtime.key)) return;
    const pod = this.pods.get(runtime.key)!;
    const policy = String(pod.spec['restartPolicy'] ?? 'Always');
    const restart = policy === 'Always' || (policy === 'OnFailure' && code !== 0);
    const finishedAt = isoSeconds();
    const terminated: Record<string, unknown> = { exitCode: code, reason, startedAt: instance.startedAt, finishedAt, containerID: instance.containerID };
    if (message) terminated['message'] = message;
    const ranFor = Date.now() - Date.parse(instance.startedAt);
    if (ranFor > BACKOFF_RESET_MS) slot.failures = 0;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** slot.failures);
    slot.failures++;
    slot.previous = instance;
    slot.current = undefined;
    this.pods.update(runtime.key, (p) => {
      const s = p.status.containerStatuses?.find((c) => c.name === slot.name);
      if (!s) return;
      s.ready = false;
      s.started = false;
      if (restart) {
        s.lastState = { terminated };
        s.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${slot.name} pod=${p.metadata.name}_${p.metadata.namespace}(${p.metadata.uid})` } };
      } else {
        s.state = { terminated };
      }
      setReadiness(p);
    });
    if (!restart) return;
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (runtime.gone || this.stopped || !this.pods.has(runtime.key)) return;
      const id = containerId(runtime.key + slot.name);
      const startedAt = isoSeconds();
      this.pods.update(runtime.key, (p) => {
        const s = p.status.containerStatuses?.find((c) => c.name === slot.name);
        if (!s) return;
        s.restartCount += 1;
        s.state = { running: { startedAt } };
        s.containerID = id;
        s.ready = true;
        s.started = true;
        setReadiness(p);
      });
      void this.launch(runtime, slot, id, startedAt);
    }, delay);
  }

  private terminate(key: string, signal: NodeJS.Signals): void {
    const runtime = this.runtimes.get(key);
    if (!runtime) return;
    for (const slot of runtime.containers.values()) {
      const pid = slot.current?.child?.pid;
      if (pid === undefined) continue;
      try {
        process.kill(-pid, signal);
      } catch {
        // already gone
      }
    }
  }

  private removePod(key: string): void {
    const runtime = this.runtimes.get(key);
    if (!runtime) return;
    runtime.gone = true;
    for (const slot of runtime.containers.values()) clearTimeout(slot.restartTimer);
    this.terminate(key, 'SIGKILL');
    this.runtimes.delete(key);
  }

  /** Where port-forward to `port` of the pod lands: a host port, or undefined (nothing can listen). */
  hostPort(podKey: string, port: number): number | undefined {
    const runtime = this.runtimes.get(podKey);
    if (!runtime) return undefined;
    const mapped = runtime.ports.get(port);
    if (mapped !== undefined) return mapped;
    const live = [...runtime.containers.values()].some((s) => s.current?.child && s.current.child.exitCode === null);
    return live ? port : undefined;
  }

  /** The host PID of a container's running main process (for tests). */
  pid(podKey: string, container: string): number | undefined {
    return this.child(podKey, container)?.pid;
  }

  /** A container's running main process (what attach joins). */
  child(podKey: string, container: string): ChildProcess | undefined {
    const child = this.runtimes.get(podKey)?.containers.get(container)?.current?.child;
    return child && child.exitCode === null ? child : undefined;
  }

  /** Another keeper of container logs, asked before a container is taken to have no process. */
  addLogSource(source: (containerID: string) => ContainerLog | undefined): void {
    this.logSources.push(source);
  }

  /** Resolves once the pod's processes have been started (for tests and port-forward). */
  async ready(): Promise<void> {
    await Promise.all([...this.starting]);
  }

  /**
   * The log of the container instance with this containerID: what its process wrote, or (for a
   * container without a process) nothing, ended once its status says it finished.
   */
  logOf(pod: Pod, container: string, containerID: string, state: { finishedAt?: unknown }): ContainerLog {
    const slot = this.runtimes.get(`${pod.metadata.namespace}/${pod.metadata.name}`)?.containers.get(container);
    for (const instance of [slot?.current, slot?.previous]) if (instance?.containerID === containerID) return instance.log;
    for (const source of this.logSources) {
      const log = source(containerID);
      if (log) return log;
    }
    let log = this.virtual.get(containerID);
    if (!log) {
      log = new ContainerLog();
      this.virtual.set(containerID, log);
    }
    if (typeof state.finishedAt === 'string') log.end();
    return log;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unwatch?.();
    await Promise.race([Promise.all([...this.starting]), new Promise((r) => setTimeout(r, 2000).unref())]);
    const exits: Array<Promise<void>> = [];
    const logs: ContainerLog[] = [];
    for (const runtime of this.runtimes.values()) {
      runtime.gone = true;
      for (const slot of runtime.containers.values()) {
        clearTimeout(slot.restartTimer);
        if (slot.current?.exited) exits.push(slot.current.exited);
        for (const i of [slot.current, slot.previous]) if (i) logs.push(i.log);
      }
      this.terminate(runtime.key, 'SIGKILL');
    }
    await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 3000).unref())]);
    for (const log of logs) log.end();
    await Promise.all(logs.map((l) => l.flushed()));
    this.runtimes.clear();
    for (const log of this.virtual.values()) log.end();
    this.virtual.clear();
  }
}

/** Ready and ContainersReady follow the containers; phase ends when every container has. */
function setReadiness(p: Pod): void {
  const statuses = p.status.containerStatuses ?? [];
  const ready = statuses.length > 0 && statuses.every((s) => s.ready);
  for (const c of p.status.conditions ?? []) {
    if (c['type'] !== 'Ready' && c['type'] !== 'ContainersReady') continue;
    const value = ready ? 'True' : 'False';
    if (c['status'] !== value) {
      c['status'] = value;
      c['lastTransitionTime'] = isoSeconds();
    }
    if (ready) {
      delete c['reason'];
      delete c['message'];
    } else {
      c['reason'] = 'ContainersNotReady';
      c['message'] = `containers with unready status: [${statuses.filter((s) => !s.ready).map((s) => s.name).join(' ')}]`;
    }
  }
  if (statuses.length > 0 && statuses.every((s) => s.state['terminated'])) {
    p.status.phase = statuses.every((s) => s.state['terminated']!['exitCode'] === 0) ? 'Succeeded' : 'Failed';
  }
}
