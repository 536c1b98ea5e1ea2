// Pod objects shaped like a real cluster's: the fixture set, bulk pods, and the completion of a
// minimal pod handed to addPod(). Field names and defaults follow what the API server and kubelet
// fill in (defaulted spec, conditions, containerStatuses with containerd IDs).
import { createHash, randomUUID } from 'node:crypto';
import type { KubeObject, ObjectMeta } from './store.ts';

export interface ContainerSpec {
  name: string;
  image: string;
  [key: string]: unknown;
}

export interface ContainerStatus {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  state: Record<string, Record<string, unknown>>;
  lastState: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

export interface Pod extends KubeObject {
  metadata: ObjectMeta;
  spec: {
    containers: ContainerSpec[];
    initContainers?: ContainerSpec[];
    ephemeralContainers?: ContainerSpec[];
    nodeName?: string;
    nodeSelector?: Record<string, string>;
    [key: string]: unknown;
  };
  status: {
    phase?: string;
    reason?: string;
    message?: string;
    podIP?: string;
    hostIP?: string;
    startTime?: string;
    conditions?: Array<Record<string, unknown>>;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
    [key: string]: unknown;
  };
}

export interface Namespace extends KubeObject {
  spec: { finalizers: string[] };
  status: { phase: string };
}

/** What a pod's containers are doing; drives status, and whether exec can reach them. */
export type PodState = 'running' | 'notready' | 'pending' | 'succeeded' | 'failed' | 'crashloop';

export interface PodTemplate {
  name: string;
  namespace: string;
  /** Beyond name and image, any container spec field (command, args, env, ports, workingDir). */
  containers: Array<{ name: string; image: string; [key: string]: unknown }>;
  initContainers?: Array<{ name: string; image: string }>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  state?: PodState;
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  ageSeconds?: number;
  restarts?: number;
  deleting?: boolean;
  index?: number;
}

export const LINUX_NODES = ['kubesim-node-1', 'kubesim-node-2', 'kubesim-node-3'];

export function iso(msAgo: number, now = Date.now()): string {
  // The API serialises metav1.Time with second precision.
  return new Date(Math.floor((now - msAgo) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function hex(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

export function qualifiedImage(image: string): string {
  const withTag = /:[^/]+$/.test(image) || image.includes('@') ? image : `${image}:latest`;
  return withTag.split('/').length >= 3 ? withTag : `docker.io/${withTag}`;
}

export function imageID(image: string): string {
  const repo = qualifiedImage(image).replace(/:[^/]+$/, '');
  return `${repo}@sha256:${hex(image)}`;
}

function specContainer(c: { name: string; image: string; [key: string]: unknown }): ContainerSpec {
  const { name: _name, image: _image, ...extra } = c;
  return {
    ...extra,
    name: c.name,
    image: c.image,
    resources: {},
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: c.image.endsWith(':latest') || !c.image.includes(':') ? 'Always' : 'IfNotPresent',
  };
}

function ipFor(index: number): string {
  return `10.244.${1 + ((index >> 8) % 250)}.${2 + (index % 250)}`;
}

function hostIPFor(node: string): string {
  if (node === 'win-node-1') return '172.18.0.10';
  const n = Number(node.replace(/\D+/g, '')) || 1;
  return `172.18.0.${1 + n}`;
}

function condition(type: string, status: boolean, at: string, reason?: string): Record<string, unknown> {
  const c: Record<string, unknown> = { type, status: status ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: at };
  if (reason) c['reason'] = reason;
  return c;
}

function runningStatus(c: { name: string; image: string }, id: string, startedAt: string, ready: boolean, restarts: number): ContainerStatus {
  return {
    name: c.name,
    state: { running: { startedAt } },
    lastState: restarts > 0 ? { terminated: { exitCode: 137, reason: 'Error', startedAt, finishedAt: startedAt, containerID: `containerd://${hex(id + 'prev')}` } } : {},
    ready,
    restartCount: restarts,
    image: qualifiedImage(c.image),
    imageID: imageID(c.image),
    containerID: `containerd://${hex(id)}`,
    started: true,
  };
}

/** A complete pod for a template, as a real cluster would report it. */
export function buildPod(t: PodTemplate, now = Date.now()): Pod {
  const state = t.state ?? 'running';
  const index = t.index ?? 0;
  const age = (t.ageSeconds ?? 3600) * 1000;
  const created = iso(age, now);
  const started = iso(Math.max(age - 2000, 0), now);
  const node = t.nodeName ?? LINUX_NODES[index % LINUX_NODES.length]!;
  const uid = randomUUID();
  const metadata: ObjectMeta = {
    name: t.name,
    namespace: t.namespace,
    uid,
    creationTimestamp: created,
  };
  if (t.labels) metadata.labels = { ...t.labels };
  if (t.annotations) metadata.annotations = { ...t.annotations };
  if (t.deleting) {
    metadata.deletionTimestamp = iso(-30_000, now);
    metadata.deletionGracePeriodSeconds = 30;
  }

  const spec: Pod['spec'] = {
    volumes: [{
      name: `kube-api-access-${hex(uid).slice(0, 5)}`,
      projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }], defaultMode: 420 },
    }],
    containers: t.containers.map(specContainer),
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    serviceAccountName: 'default',
    serviceAccount: 'default',
    nodeName: node,
    securityContext: {},
    schedulerName: 'default-scheduler',
    tolerations: [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ],
    priority: 0,
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
  };
  if (t.initContainers) spec.initContainers = t.initContainers.map(specContainer);
  if (t.nodeSelector) spec.nodeSelector = { ...t.nodeSelector };
  if (state === 'succeeded' || state === 'failed') spec.restartPolicy = 'Never';

  const hostIP = hostIPFor(node);
  const podIP = ipFor(index + 7);
  const id = `${t.namespace}/${t.name}`;
  const status: Pod['status'] = { hostIP, hostIPs: [{ ip: hostIP }] };
  const restarts = t.restarts ?? 0;

  const initStatuses = (t.initContainers ?? []).map((c): ContainerStatus => ({
    name: c.name,
    state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: created, finishedAt: started, containerID: `containerd://${hex(id + c.name)}` } },
    lastState: {},
    ready: true,
    restartCount: 0,
    image: qualifiedImage(c.image),
    imageID: imageID(c.image),
    containerID: `containerd://${hex(id + c.name)}`,
    started: false,
  }));

  switch (state) {
    case 'running':
    case 'notready': {
      const ready = state === 'running';
      status.phase = 'Running';
      status.conditions = [
        condition('PodReadyToStartContainers', true, started),
        condition('Initialized', true, started),
        condition('Ready', ready, started, ready ? undefined : 'ContainersNotReady'),
        condition('ContainersReady', ready, started, ready ? undefined : 'ContainersNotReady'),
        condition('PodScheduled', true, created),
      ];
      if (!ready) {
        const names = t.containers.map((c) => c.name).join(' ');
        status.conditions[2]!['message'] = `containers with unready status: [${names}]`;
        status.conditions[3]!['message'] = `containers with unready status: [${names}]`;
      }
      status.podIP = podIP;
      status.podIPs = [{ ip: podIP }];
      status.startTime = created;
      status.containerStatuses = t.containers.map((c) => runningStatus(c, id + c.name, started, ready, restarts));
      break;
    }
    case 'crashloop': {
      status.phase = 'Running';
      status.conditions = [
        condition('PodReadyToStartContainers', true, started),
        condition('Initialized', true, started),
        condition('Ready', false, started, 'ContainersNotReady'),
        condition('ContainersReady', false, started, 'ContainersNotReady'),
        condition('PodScheduled', true, created),
      ];
      status.podIP = podIP;
      status.podIPs = [{ ip: podIP }];
      status.startTime = created;
      status.containerStatuses = t.containers.map((c): ContainerStatus => ({
        name: c.name,
        state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 2m40s restarting failed container=${c.name} pod=${t.name}_${t.namespace}(${uid})` } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: iso(70_000, now), finishedAt: iso(69_000, now), containerID: `containerd://${hex(id + c.name + restarts)}` } },
        ready: false,
        restartCount: restarts || 5,
        image: qualifiedImage(c.image),
        imageID: imageID(c.image),
        containerID: `containerd://${hex(id + c.name + restarts)}`,
        started: false,
      }));
      break;
    }
    case 'pending': {
      status.phase = 'Pending';
      status.conditions = [
        condition('PodReadyToStartContainers', false, created),
        condition('Initialized', true, created),
        condition('Ready', false, created, 'ContainersNotReady'),
        condition('ContainersReady', false, created, 'ContainersNotReady'),
        condition('PodScheduled', true, created),
      ];
      status.startTime = created;
      status.containerStatuses = t.containers.map((c): ContainerStatus => ({
        name: c.name,
        state: { waiting: { reason: 'ContainerCreating' } },
        lastState: {},
        ready: false,
        restartCount: 0,
        image: c.image,
        imageID: '',
        started: false,
      }));
      break;
    }
    case 'succeeded':
    case 'failed': {
      const ok = state === 'succeeded';
      status.phase = ok ? 'Succeeded' : 'Failed';
      status.conditions = [
        condition('PodReadyToStartContainers', false, started),
        condition('Initialized', true, started),
        condition('Ready', false, started, 'PodCompleted'),
        condition('ContainersReady', false, started, 'PodCompleted'),
        condition('PodScheduled', true, created),
      ];
      status.podIP = podIP;
      status.podIPs = [{ ip: podIP }];
      status.startTime = created;
      status.containerStatuses = t.containers.map((c): ContainerStatus => ({
        name: c.name,
        state: { terminated: { exitCode: ok ? 0 : 1, reason: ok ? 'Completed' : 'Error', startedAt: started, finishedAt: iso(Math.max(age - 60_000, 0), now), containerID: `containerd://${hex(id + c.name)}` } },
        lastState: {},
        ready: false,
        restartCount: 0,
        image: qualifiedImage(c.image),
        imageID: imageID(c.image),
        containerID: `containerd://${hex(id + c.name)}`,
        started: false,
      }));
      break;
    }
  }
  if (initStatuses.length > 0) status.initContainerStatuses = initStatuses;
  status.qosClass = 'BestEffort';
  return { kind: 'Pod', apiVersion: 'v1', metadata, spec, status };
}

export function buildNamespace(name: string, ageSeconds = 86_400 * 3, now = Date.now()): Namespace {
  return {
    kind: 'Namespace',
    apiVersion: 'v1',
    metadata: {
      name,
      uid: randomUUID(),
      creationTimestamp: iso(ageSeconds * 1000, now),
      labels: { 'kubernetes.io/metadata.name': name },
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

export const SYSTEM_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];

const DAY = 86_400;

/** logger-0's main process: a numbered line a second on stdout, every fifth also on stderr. */
const LOGGER = 'i=0; while :; do i=$((i+1)); echo "line $i"; if [ $((i % 5)) -eq 0 ]; then echo "line $i (stderr)" >&2; fi; sleep 1; done';

/** The named fixture pods every test can rely on. */
export function fixturePods(now = Date.now()): Pod[] {
  const bash = 'kubesim/bash';
  const t: PodTemplate[] = [
    { name: 'web-0', namespace: 'default', containers: [{ name: 'app', image: bash }], labels: { app: 'web' }, ageSeconds: 2 * DAY },
    {
      name: 'multi-0', namespace: 'default',
      containers: [{ name: 'app', image: bash }, { name: 'sidecar', image: 'kubesim/busybox' }],
      initContainers: [{ name: 'init', image: 'kubesim/busybox' }],
      labels: { app: 'multi' }, ageSeconds: 5 * 3600,
    },
    { name: 'busybox-0', namespace: 'default', containers: [{ name: 'main', image: 'kubesim/busybox' }], labels: { app: 'busybox' }, ageSeconds: 45 * 60 },
    { name: 'distroless-0', namespace: 'default', containers: [{ name: 'app', image: 'kubesim/distroless' }], labels: { app: 'distroless' }, ageSeconds: 7 * DAY },
    { name: 'pending-0', namespace: 'default', containers: [{ name: 'app', image: bash }], labels: { app: 'pending' }, state: 'pending', ageSeconds: 40 },
    { name: 'done-0', namespace: 'default', containers: [{ name: 'app', image: bash }], labels: { app: 'job' }, state: 'succeeded', ageSeconds: 3 * 3600 },
    { name: 'failed-0', namespace: 'default', containers: [{ name: 'app', image: bash }], labels: { app: 'job' }, state: 'failed', ageSeconds: 2 * 3600 },
    { name: 'crashloop-0', namespace: 'default', containers: [{ name: 'app', image: bash }], labels: { app: 'crashloop' }, state: 'crashloop', restarts: 5, ageSeconds: 15 * 60 },
    { name: 'terminating-0', namespace: 'default', containers: [{ name: 'app', image: bash }], labels: { app: 'terminating' }, deleting: true, ageSeconds: 20 * 60 },
    { name: 'notready-0', namespace: 'default', containers: [{ name: 'app', image: bash }], labels: { app: 'notready' }, state: 'notready', ageSeconds: 10 * 60 },
    {
      name: 'win-0', namespace: 'default', containers: [{ name: 'app', image: 'kubesim/windows' }],
      labels: { app: 'win', 'kubernetes.io/os': 'windows' }, nodeName: 'win-node-1',
      nodeSelector: { 'kubernetes.io/os': 'windows' }, ageSeconds: 30 * DAY,
    },
    { name: 'api-0', namespace: 'demo', containers: [{ name: 'app', image: bash }], labels: { app: 'api' }, ageSeconds: 90 },
    { name: 'api-1', namespace: 'demo', containers: [{ name: 'app', image: bash }], labels: { app: 'api' }, ageSeconds: 400 * DAY },
    { name: 'coredns-0', namespace: 'kube-system', containers: [{ name: 'coredns', image: 'kubesim/distroless' }], labels: { 'k8s-app': 'kube-dns' }, ageSeconds: 60 * DAY },
    // Pods whose containers run a real main process (mainProcess.ts): logs and port-forward.
    { name: 'logger-0', namespace: 'demo', containers: [{ name: 'app', image: 'kubesim/busybox', command: ['sh', '-c', LOGGER] }], labels: { app: 'logger' }, ageSeconds: 600 },
    {
      name: 'node-0', namespace: 'demo',
      containers: [{
        name: 'app', image: 'kubesim/node', command: ['node', '--inspect=127.0.0.1:9229', 'app.js'], workingDir: '/app',
        env: [{ name: 'PORT', value: '8080' }],
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { name: 'inspector', containerPort: 9229, protocol: 'TCP' }],
      }],
      labels: { app: 'node' }, ageSeconds: 600,
    },
  ];
  const pods = t.map((tpl, i) => buildPod({ index: i, ...tpl }, now));
  // The crashlooping container has been restarting; give it a lastState that says so.
  return pods;
}

export function bulkNamespaceName(i: number, namespaces: number): string {
  return namespaces <= 1 ? 'bulk' : `bulk-${i % namespaces}`;
}

export function bulkPod(i: number, namespaces: number, now = Date.now()): Pod {
  return buildPod({
    name: `bulk-${i}`,
    namespace: bulkNamespaceName(i, namespaces),
    containers: [{ name: 'app', image: 'kubesim/bash' }],
    labels: { app: 'bulk', shard: String(i % 10) },
    ageSeconds: 600 + (i % 5000),
    index: 100 + i,
  }, now);
}

/**
 * Fills in what the API server and kubelet would for a minimal pod given to addPod(): defaulted
 * spec, a node, and (unless a status is given) a Running, ready status.
 */
export function completePod(input: {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  spec: { containers: Array<{ name: string; image: string }>; [k: string]: unknown };
  status?: Record<string, unknown>;
  [k: string]: unknown;
}, index: number): Pod {
  const base = buildPod({
    name: input.metadata.name,
    namespace: input.metadata.namespace ?? 'default',
    containers: input.spec.containers,
    initContainers: input.spec['initContainers'] as PodTemplate['initContainers'],
    labels: input.metadata.labels,
    ageSeconds: 0,
    index,
    nodeName: typeof input.spec['nodeName'] === 'string' ? input.spec['nodeName'] : undefined,
  });
  const pod: Pod = {
    ...base,
    metadata: { ...base.metadata, ...structuredClone(input.metadata), namespace: input.metadata.namespace ?? 'default' },
    spec: { ...base.spec, ...structuredClone(input.spec), containers: input.spec.containers.map((c) => ({ ...specContainer(c), ...structuredClone(c) })) },
    status: input.status ? structuredClone(input.status) as Pod['status'] : base.status,
  };
  delete pod.metadata.resourceVersion;
  return pod;
}
