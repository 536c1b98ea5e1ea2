// kubesim: a Kubernetes API server (v1.35 semantics) for tests, serving HTTPS on 127.0.0.1 with a
// kubeconfig, pods that run real processes under real PTYs on exec, and faults to inject.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newTokens } from './auth.ts';
import { createPki } from './certs.ts';
import { ContainerRuntime } from './attach.ts';
import { EphemeralContainers } from './ephemeral.ts';
import { ExecManager } from './exec.ts';
import { MainProcesses } from './mainProcess.ts';
import { PortForwarder } from './portForward.ts';
import {
  buildNamespace, bulkNamespaceName, bulkPod, completePod, fixturePods, LINUX_NODES, SYSTEM_NAMESPACES,
  type Namespace, type Pod,
} from './fixtures.ts';
import { buildImages } from './images.ts';
import { Journal } from './journal.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { createApi, type ApiState, type Faults } from './rest.ts';
import { EventRecorder } from './events.ts';
import { Collection, Revision, type KubeObject } from './store.ts';
import {
  APPS_NAMESPACE, fixtureWorkloads, resourceOf, WORKLOAD_RESOURCES, type Workload, type WorkloadCollections,
} from './workloads.ts';

export interface KubesimOptions {
  /** Default 0 (a free port); the host is always 127.0.0.1. */
  port?: number;
  /** Where to write the kubeconfig; default `<dir>/kubeconfig`. */
  kubeconfigPath?: string;
  /** Working dir (certs, container roots and logs, kubesim.log); default a fresh temp dir, removed on stop(). */
  dir?: string;
  /** Extra generated pods `bulk-<i>`, spread over the bulk namespaces. */
  pods?: number;
  /** Namespaces the bulk pods spread over (default 1: all in "bulk", else bulk-0..bulk-(N-1)). */
  bulkNamespaces?: number;
  /** Default true: the fixture pods (web-0, multi-0, ...). */
  fixtures?: boolean;
}

/** The minimal pod addPod() accepts; everything else is filled in like the API server would. */
export interface PodInput {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  spec: { containers: Array<{ name: string; image: string; [key: string]: unknown }>; [key: string]: unknown };
  status?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface KubesimFaults {
  /** Added before every HTTP response and upgrade (default 0). */
  latencyMs: number;
  /** Destroys every open TCP socket (exec and watch streams) abruptly, with no close frame. */
  dropConnections(): void;
  /** When true, exec WebSockets do not answer pings. */
  ignorePings: boolean;
  /** Refuse exec upgrades with this Status. */
  refuseUpgrade: { code: number; message: string } | null;
  /** Compacts history: watches and continue tokens from any older resourceVersion get 410. */
  expireWatchHistory(): void;
  /** The EphemeralContainers feature off: pods/{pod}/ephemeralcontainers answers 404 with empty details. */
  ephemeralContainersDisabled: boolean;
}

export interface Kubesim {
  readonly url: string;
  readonly kubeconfigPath: string;
  readonly dir: string;
  /** Fires ADDED. Status is Running/ready unless given. A missing namespace is created. */
  addPod(pod: PodInput): void;
  /** Fires MODIFIED. */
  updatePod(namespace: string, name: string, mutate: (pod: Pod) => void): void;
  /** Fires DELETED immediately (a force delete); processes exec'd into it are killed. */
  deletePod(namespace: string, name: string): void;
  addNamespace(name: string): void;
  /** PIDs of the live processes started by exec (each a process tree's root). */
  execProcesses(): number[];
  /** Host PID of a container's running main process (containers whose spec has a command). */
  mainProcessPid(namespace: string, pod: string, container: string): number | undefined;
  readonly faults: KubesimFaults;
  /** Closes the server and every socket, kills exec processes, removes `dir` if kubesim made it. */
  stop(): Promise<void>;
}

function buildNode(name: string, index: number, windows: boolean): KubeObject {
  const created = new Date(Date.now() - 90 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const os = windows ? 'windows' : 'linux';
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': os,
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': os,
  };
  if (index === 0) labels['node-role.kubernetes.io/control-plane'] = '';
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: { name, uid: randomUUID(), creationTimestamp: created, labels },
    spec: { podCIDR: `10.244.${index + 1}.0/24`, podCIDRs: [`10.244.${index + 1}.0/24`] },
    status: {
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: created, lastTransitionTime: created }],
      addresses: [{ type: 'InternalIP', address: windows ? '172.18.0.10' : `172.18.0.${index + 2}` }, { type: 'Hostname', address: name }],
      nodeInfo: windows
        ? { kubeletVersion: 'v1.35.0', osImage: 'Windows Server 2022 Datacenter', kernelVersion: '10.0.20348.2849', containerRuntimeVersion: 'containerd://1.7.24', operatingSystem: 'windows', architecture: 'amd64' }
        : { kubeletVersion: 'v1.35.0', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0-28-amd64', containerRuntimeVersion: 'containerd://2.1.4', operatingSystem: 'linux', architecture: 'amd64' },
    },
  };
}

export async function startKubesim(options: KubesimOptions = {}): Promise<Kubesim> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'kubesim-')));
  await mkdir(join(dir, 'certs'), { recursive: true });
  const [pki] = await Promise.all([createPki(join(dir, 'certs')), buildImages(dir)]);
  const tokens = newTokens();

  const revision = new Revision(1000);
  const namespaces = new Collection<Namespace>(revision);
  const pods = new Collection<Pod>(revision);
  const nodes = new Collection<KubeObject>(revision);

  const now = Date.now();
  let workloadHistory: ReturnType<typeof fixtureWorkloads>['history'] = [];
  const nsNames = new Set<string>([...SYSTEM_NAMESPACES]);
  if (options.fixtures !== false) {
    nsNames.add('demo');
    nsNames.add(APPS_NAMESPACE);
  }
  const bulkCount = options.pods ?? 0;
  const bulkNs = Math.max(1, options.bulkNamespaces ?? 1);
  if (bulkCount > 0) for (let i = 0; i < Math.min(bulkNs, bulkCount); i++) nsNames.add(bulkNamespaceName(i, bulkNs));
  for (const name of [...nsNames].sort()) namespaces.seed(name, buildNamespace(name, name.startsWith('kube') || name === 'default' ? 90 * 86_400 : 3 * 86_400, now));
  LINUX_NODES.forEach((name, i) => nodes.seed(name, buildNode(name, i, false)));
  nodes.seed('win-node-1', buildNode('win-node-1', LINUX_NODES.length, true));
  // apps/v1 and batch/v1 objects (workloads.ts): the fixture workloads adopt fixture pods and
  // bring their own, seeded before their pods so that a pod never names an owner not yet stored.
  const workloads = Object.fromEntries(WORKLOAD_RESOURCES.map((r) => [r, new Collection<Workload>(revision)])) as WorkloadCollections;
  if (options.fixtures !== false) {
    const fixtures = fixturePods(now);
    const owned = fixtureWorkloads(fixtures, now);
    for (const w of owned.workloads) workloads[resourceOf(w)].seed(`${w.metadata.namespace}/${w.metadata.name}`, w);
    for (const pod of [...fixtures, ...owned.pods]) pods.seed(`${pod.metadata.namespace}/${pod.metadata.name}`, pod);
    workloadHistory = owned.history;
  }
  for (let i = 0; i < bulkCount; i++) {
    const pod = bulkPod(i, bulkNs, now);
    pods.seed(`${pod.metadata.namespace}/${pod.metadata.name}`, pod);
  }
  // The fixture pods' past, as their scheduler and kubelet recorded it; bulk pods have none, so
  // that thousands of them cost no more events than a handful. From here on, each change to a pod
  // records what it implies.
  const events = new EventRecorder(revision);
  for (const key of pods.keys()) {
    const pod = pods.get(key)!;
    if (pod.metadata.labels?.['app'] !== 'bulk') events.seedHistory(pod, now);
  }
  for (const [obj, component, reason, message, at] of workloadHistory) events.controller(obj, component, reason, message, at, true);
  const stopRecording = events.observe(pods);

  const sockets = new Set<Socket>();
  const watches = new Set<() => void>();
  const timers = new Set<NodeJS.Timeout>();
  const faultState = { latencyMs: 0, ignorePings: false, refuseUpgrade: null as { code: number; message: string } | null };
  const exec = new ExecManager(dir, faultState);
  // Containers with a command run it from the start; their output is the pod log (mainProcess.ts).
  const processes = new MainProcesses(dir, pods);
  const portForward = new PortForwarder(processes, pods, faultState);
  // Attach joins the process a container runs; the ephemeral containers' logs live with their
  // processes in the runtime, and pods/log finds them there.
  const runtime = new ContainerRuntime(dir, faultState, (podKey, container) => processes.child(podKey, container));
  processes.addLogSource((containerID) => runtime.logFor(containerID));
  const journal = new Journal(dir);
  const ephemeral = new EphemeralContainers(pods, runtime, {}, journal);

  const faults: Faults & KubesimFaults = {
    get latencyMs() { return faultState.latencyMs; },
    set latencyMs(v: number) { faultState.latencyMs = v; },
    get ignorePings() { return faultState.ignorePings; },
    set ignorePings(v: boolean) { faultState.ignorePings = v; },
    get refuseUpgrade() { return faultState.refuseUpgrade; },
    set refuseUpgrade(v: { code: number; message: string } | null) { faultState.refuseUpgrade = v; },
    get ephemeralContainersDisabled() { return ephemeral.disabled; },
    set ephemeralContainersDisabled(v: boolean) { ephemeral.disabled = v; },
    dropConnections() {
      for (const s of sockets) s.destroy();
    },
    expireWatchHistory() {
      // Writes to other resources move the global revision on; compact right after one.
      revision.next();
      revision.compacted = revision.current;
    },
  };

  let addedPods = 0;
  const deleting = new Set<string>();
  const removePod = (key: string) => {
    if (!pods.has(key)) return;
    pods.delete(key);
    exec.killPod(key);
    portForward.killPod(key);
    runtime.killPod(key);
  };

  const state: ApiState = {
    pods, namespaces, nodes, events, workloads, tokens, faults, exec, processes, portForward, runtime, ephemeral,
    deletePodGracefully(namespace, name, graceSeconds) {
      const key = `${namespace}/${name}`;
      const current = pods.get(key)!;
      const grace = graceSeconds ?? (current.spec['terminationGracePeriodSeconds'] as number | undefined) ?? 30;
      if (grace <= 0) {
        const last = structuredClone(current);
        removePod(key);
        return last;
      }
      if (deleting.has(key)) return current;
      deleting.add(key);
      const event = pods.update(key, (p) => {
        p.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
        p.metadata.deletionGracePeriodSeconds = grace;
      });
      // The kubelet would take up to the grace period; kubesim finishes within a second.
      const t = setTimeout(() => {
        timers.delete(t);
        deleting.delete(key);
        removePod(key);
      }, Math.min(grace, 1) * 1000);
      timers.add(t);
      return event.obj;
    },
    trackWatch(end) {
      watches.add(end);
      return () => watches.delete(end);
    },
  };

  const api = createApi(state);
  // HTTP/2 with HTTP/1.1 fallback, negotiated by ALPN like the real API server: Go clients
  // multiplex over h2, while WebSocket upgrades (exec) arrive over HTTP/1.1.
  const server: Http2SecureServer = createSecureServer({
    key: pki.serverKey,
    cert: pki.serverCert,
    ca: [pki.caCert],
    requestCert: true,
    rejectUnauthorized: false,
    allowHTTP1: true,
  }, api.onRequest as unknown as (req: unknown, res: unknown) => void);
  server.on('upgrade', api.onUpgrade);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `https://127.0.0.1:${port}`;
  const kubeconfigPath = options.kubeconfigPath ?? join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfigPath, dir, url, pki, tokens);

  processes.start();
  await processes.ready();

  let stopped: Promise<void> | undefined;
  const ensureNamespace = (name: string) => {
    if (!namespaces.has(name)) namespaces.add(name, buildNamespace(name, 0));
  };

  return {
    url,
    kubeconfigPath,
    dir,
    faults,
    addPod(input) {
      const pod = completePod(input, 1000 + addedPods++);
      const ns = pod.metadata.namespace!;
      ensureNamespace(ns);
      pods.add(`${ns}/${pod.metadata.name}`, pod);
    },
    updatePod(namespace, name, mutate) {
      pods.update(`${namespace}/${name}`, mutate);
    },
    deletePod(namespace, name) {
      const key = `${namespace}/${name}`;
      if (!pods.has(key)) throw new Error(`kubesim: pod ${key} does not exist`);
      removePod(key);
    },
    addNamespace(name) {
      ensureNamespace(name);
    },
    execProcesses() {
      return exec.pids();
    },
    mainProcessPid(namespace, pod, container) {
      return processes.pid(`${namespace}/${pod}`, container);
    },
    stop() {
      stopped ??= (async () => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        stopRecording();
        for (const end of [...watches]) end();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        api.close();
        for (const s of sockets) s.destroy();
        portForward.stopAll();
        await processes.stop();
        ephemeral.stop();
        await Promise.all([exec.stopAll(), runtime.stop()]);
        await journal.flushed();
        await closed;
        if (ownDir) await rm(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
