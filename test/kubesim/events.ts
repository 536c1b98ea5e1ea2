// core/v1 Events as a cluster's components write them about pods, so `kubectl describe pod` and
// `kubectl get events` show why a pod is (not) running.
//
// kubesim's scheduler and kubelet (write.ts, ephemeral.ts, index.ts) only write pod status; the
// recorder watches the pods collection and writes the event each step implies, as the component
// taking that step would have:
// - the scheduler (events.k8s.io/v1 recorder, read back as core/v1): Scheduled / FailedScheduling,
//   with eventTime, action, reportingComponent and no source, count or first/lastTimestamp;
// - the kubelet (core/v1 recorder): Pulling/Pulled, Created, Started, Failed, BackOff, Killing,
//   with source {component: kubelet, host: node}, count, first/lastTimestamp, no eventTime, and
//   involvedObject.fieldPath naming the container (spec.containers{app}). Its EventCorrelator
//   folds a repeat of the same event into the stored one (count + 1, new lastTimestamp).
// Wording is kubelet 1.32's (pkg/kubelet/events/event.go reasons; kuberuntime_container.go,
// kuberuntime_manager.go and images/image_manager.go messages).
import { createHash, randomUUID } from 'node:crypto';
import type { ContainerSpec, ContainerStatus, Pod } from './fixtures.ts';
import { Collection, type KubeObject, type Revision, type StoreEvent } from './store.ts';

export interface CoreEvent extends KubeObject {
  involvedObject: Record<string, string>;
  reason: string;
  message: string;
  source: { component?: string; host?: string };
  firstTimestamp: string | null;
  lastTimestamp: string | null;
  count?: number;
  type: 'Normal' | 'Warning';
  eventTime: string | null;
  action?: string;
  reportingComponent: string;
  reportingInstance: string;
}

/** The scheduler's identity: kube-scheduler runs on the control-plane node (kubesim-node-1). */
const SCHEDULER_INSTANCE = 'default-scheduler-kubesim-node-1';

/** metav1.Time: seconds. */
function time(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** metav1.MicroTime: microseconds (JavaScript has milliseconds; the rest is zero). */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Go's time.Duration.String() for the durations a pull takes. */
function goDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(ms, 0.001).toFixed(3).replace(/\.?0+$/, '')}ms`;
  return `${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')}s`;
}

/** A stand-in for the unpacked image's size, the same for an image every time. */
function imageSize(image: string): number {
  return 4_000_000 + (createHash('sha256').update(image).digest().readUInt32BE(0) % 60_000_000);
}

const q = (s: string) => JSON.stringify(s);

interface Container {
  spec: ContainerSpec;
  fieldPath: string;
}

function containersOf(pod: Pod): Container[] {
  return [
    ...(pod.spec.initContainers ?? []).map((spec) => ({ spec, fieldPath: `spec.initContainers{${spec.name}}` })),
    ...pod.spec.containers.map((spec) => ({ spec, fieldPath: `spec.containers{${spec.name}}` })),
    ...(pod.spec.ephemeralContainers ?? []).map((spec) => ({ spec, fieldPath: `spec.ephemeralContainers{${spec.name}}` })),
  ];
}

function statusOf(pod: Pod | undefined, c: Container): ContainerStatus | undefined {
  if (!pod) return undefined;
  const list = c.fieldPath.startsWith('spec.initContainers') ? pod.status.initContainerStatuses
    : c.fieldPath.startsWith('spec.containers') ? pod.status.containerStatuses
      : pod.status['ephemeralContainerStatuses'] as ContainerStatus[] | undefined;
  return list?.find((s) => s.name === c.spec.name);
}

function waitingReason(s: ContainerStatus | undefined): string | undefined {
  return s?.state['waiting']?.['reason'] as string | undefined;
}

/** The container's current instance, once it has one (running or terminated). */
function instanceId(s: ContainerStatus | undefined): string | undefined {
  const st = s?.state['running'] ?? s?.state['terminated'];
  if (!st) return undefined;
  return (st['containerID'] as string | undefined) ?? s?.containerID ?? String(st['startedAt'] ?? '');
}

interface Occurrence {
  first: number;
  last: number;
  count: number;
}

export class EventRecorder {
  readonly events: Collection<CoreEvent>;
  /** EventCorrelator's aggregation: what makes two events the same, to the stored event's key. */
  private readonly same = new Map<string, string>();
  /** When a container was first seen waiting to be created: a pull's duration is measured from it. */
  private readonly waitingSince = new Map<string, number>();

  constructor(revision: Revision) {
    this.events = new Collection<CoreEvent>(revision);
  }

  /** Records, from now on, what each change to a pod implies. */
  observe(pods: Collection<Pod>): () => void {
    return pods.watch({ onEvent: (e) => this.onPod(e) });
  }

  private onPod(e: StoreEvent<Pod>): void {
    if (e.type === 'DELETED') return;
    const pod = e.obj;
    const prev = e.prev;
    const now = Date.now();
    if (pod.spec.nodeName && !prev?.spec.nodeName) {
      this.scheduler(pod, 'Normal', 'Scheduled', 'Binding', `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${pod.spec.nodeName}`, now);
    }
    const unschedulable = (p: Pod | undefined) => p?.status.conditions?.find((c) => c['type'] === 'PodScheduled' && c['reason'] === 'Unschedulable');
    const refused = unschedulable(pod);
    if (refused && !unschedulable(prev)) this.scheduler(pod, 'Warning', 'FailedScheduling', 'Scheduling', String(refused['message'] ?? ''), now);

    for (const c of containersOf(pod)) {
      const before = statusOf(prev, c);
      const after = statusOf(pod, c);
      const wait = waitingReason(after);
      const timerKey = `${pod.metadata.uid}/${c.fieldPath}`;
      if (wait === 'ContainerCreating' || wait === 'PodInitializing') {
        if (!this.waitingSince.has(timerKey)) this.waitingSince.set(timerKey, now);
      }
      if (wait && wait !== waitingReason(before)) {
        const image = c.spec.image;
        const message = String(after?.state['waiting']?.['message'] ?? '');
        switch (wait) {
          case 'ErrImagePull':
            this.kubelet(pod, c, 'Normal', 'Pulling', `Pulling image ${q(image)}`, now);
            this.kubelet(pod, c, 'Warning', 'Failed', message, now);
            this.kubelet(pod, c, 'Warning', 'Failed', 'Error: ErrImagePull', now);
            break;
          case 'ImagePullBackOff':
            this.kubelet(pod, c, 'Normal', 'BackOff', `Back-off pulling image ${q(image)}`, now);
            this.kubelet(pod, c, 'Warning', 'Failed', 'Error: ImagePullBackOff', now);
            break;
          case 'CrashLoopBackOff':
            this.kubelet(pod, c, 'Warning', 'BackOff', backOffMessage(pod, c), now);
            break;
        }
      }
      const id = instanceId(after);
      if (id && id !== instanceId(before)) {
        const since = this.waitingSince.get(timerKey) ?? now;
        this.waitingSince.delete(timerKey);
        for (const [type, reason, message] of pulled(c.spec, now - since)) this.kubelet(pod, c, type, reason, message, now);
        this.kubelet(pod, c, 'Normal', 'Created', `Created container: ${c.spec.name}`, now);
        const terminated = after?.state['terminated'];
        if (terminated?.['reason'] === 'StartError') this.kubelet(pod, c, 'Warning', 'Failed', `Error: ${String(terminated['message'] ?? '')}`, now);
        else this.kubelet(pod, c, 'Normal', 'Started', `Started container ${c.spec.name}`, now);
      }
      if (pod.metadata.deletionTimestamp && !prev?.metadata.deletionTimestamp && after?.state['running']) {
        this.kubelet(pod, c, 'Normal', 'Killing', `Stopping container ${c.spec.name}`, now);
      }
    }
  }

  /**
   * The events a pod that was already running when kubesim started would have: scheduled at its
   * creation, containers pulled, created and started when they started; a crash-looping
   * container's restarts and back-off; a terminating pod's containers being stopped.
   */
  seedHistory(pod: Pod, now: number): void {
    const created = Date.parse(pod.metadata.creationTimestamp ?? '') || now;
    if (pod.spec.nodeName) {
      this.scheduler(pod, 'Normal', 'Scheduled', 'Binding', `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${pod.spec.nodeName}`, created, true);
    }
    for (const c of containersOf(pod)) {
      const s = statusOf(pod, c);
      if (!s) continue;
      const state = s.state['running'] ?? s.state['terminated'] ?? s.state['waiting'];
      const startedAt = Date.parse(String(state?.['startedAt'] ?? s.lastState['terminated']?.['startedAt'] ?? '')) || created;
      if (waitingReason(s) === 'ContainerCreating' || waitingReason(s) === 'PodInitializing') {
        if (c.spec['imagePullPolicy'] === 'Always') this.seedKubelet(pod, c, 'Normal', 'Pulling', `Pulling image ${q(c.spec.image)}`, { first: created, last: created, count: 1 });
        continue;
      }
      const crashing = waitingReason(s) === 'CrashLoopBackOff';
      const starts = crashing ? s.restartCount + 1 : 1;
      const lastStart = crashing ? Date.parse(String(s.lastState['terminated']?.['startedAt'] ?? '')) || startedAt : startedAt;
      const firstStart = crashing ? created + 2000 : startedAt;
      const times: Occurrence = { first: firstStart, last: lastStart, count: starts };
      for (const [type, reason, message] of pulled(c.spec, 1200)) this.seedKubelet(pod, c, type, reason, message, times);
      this.seedKubelet(pod, c, 'Normal', 'Created', `Created container: ${c.spec.name}`, times);
      this.seedKubelet(pod, c, 'Normal', 'Started', `Started container ${c.spec.name}`, times);
      if (crashing) {
        // The kubelet's sync loop reports the back-off each time it finds the container waiting:
        // about every ten seconds since the first crash.
        const from = firstStart + 10_000;
        const last = Math.max(now - 5000, from);
        this.seedKubelet(pod, c, 'Warning', 'BackOff', backOffMessage(pod, c), { first: from, last, count: Math.max(1, Math.floor((last - from) / 10_000)) });
      }
      if (pod.metadata.deletionTimestamp && s.state['running']) {
        const grace = (pod.metadata.deletionGracePeriodSeconds ?? 30) * 1000;
        const at = (Date.parse(pod.metadata.deletionTimestamp) || now) - grace;
        this.seedKubelet(pod, c, 'Normal', 'Killing', `Stopping container ${c.spec.name}`, { first: at, last: at, count: 1 });
      }
    }
  }

  /**
   * A controller's event about its workload (record.EventRecorder of the controller manager:
   * core/v1, source the controller, no host); `seed` for the fixtures' history.
   */
  controller(obj: KubeObject, component: string, reason: string, message: string, at = Date.now(), seed = false): void {
    this.store({
      kind: 'Event',
      apiVersion: 'v1',
      metadata: this.metadata(obj, at),
      involvedObject: reference(obj),
      reason,
      message,
      source: { component },
      firstTimestamp: time(at),
      lastTimestamp: time(at),
      count: 1,
      type: 'Normal',
      eventTime: null,
      reportingComponent: component,
      reportingInstance: '',
    }, seed);
  }

  /** An events.k8s.io/v1 event as the core/v1 API shows it. */
  private scheduler(pod: Pod, type: CoreEvent['type'], reason: string, action: string, message: string, at: number, seed = false): void {
    const event: CoreEvent = {
      kind: 'Event',
      apiVersion: 'v1',
      metadata: this.metadata(pod, at),
      involvedObject: reference(pod),
      reason,
      message,
      source: {},
      firstTimestamp: null,
      lastTimestamp: null,
      type,
      eventTime: microTime(at),
      action,
      reportingComponent: 'default-scheduler',
      reportingInstance: SCHEDULER_INSTANCE,
    };
    this.store(event, seed);
  }

  private kubelet(pod: Pod, c: Container, type: CoreEvent['type'], reason: string, message: string, at: number): void {
    const same = `${pod.metadata.uid}\u0000${c.fieldPath}\u0000${type}\u0000${reason}\u0000${message}`;
    const existing = this.same.get(same);
    if (existing && this.events.has(existing)) {
      this.events.update(existing, (e) => {
        e.count = (e.count ?? 1) + 1;
        e.lastTimestamp = time(at);
      });
      return;
    }
    this.same.set(same, this.store(this.kubeletEvent(pod, c, type, reason, message, { first: at, last: at, count: 1 }), false));
  }

  private seedKubelet(pod: Pod, c: Container, type: CoreEvent['type'], reason: string, message: string, times: Occurrence): void {
    const same = `${pod.metadata.uid}\u0000${c.fieldPath}\u0000${type}\u0000${reason}\u0000${message}`;
    this.same.set(same, this.store(this.kubeletEvent(pod, c, type, reason, message, times), true));
  }

  private kubeletEvent(pod: Pod, c: Container, type: CoreEvent['type'], reason: string, message: string, times: Occurrence): CoreEvent {
    const node = pod.spec.nodeName ?? '';
    return {
      kind: 'Event',
      apiVersion: 'v1',
      metadata: this.metadata(pod, times.first),
      involvedObject: { ...reference(pod), fieldPath: c.fieldPath },
      reason,
      message,
      source: { component: 'kubelet', host: node },
      firstTimestamp: time(times.first),
      lastTimestamp: time(times.last),
      count: times.count,
      type,
      eventTime: null,
      reportingComponent: 'kubelet',
      reportingInstance: node,
    };
  }

  /** The recorders name an event `<object>.<UnixNano in hex>`. */
  private metadata(pod: KubeObject, at: number): CoreEvent['metadata'] {
    let nanos = BigInt(at) * 1_000_000n;
    let name = `${pod.metadata.name}.${nanos.toString(16)}`;
    while (this.events.has(`${pod.metadata.namespace}/${name}`)) {
      nanos += 1n;
      name = `${pod.metadata.name}.${nanos.toString(16)}`;
    }
    return { name, namespace: pod.metadata.namespace, uid: randomUUID(), creationTimestamp: time(at) };
  }

  private store(event: CoreEvent, seed: boolean): string {
    const key = `${event.metadata.namespace}/${event.metadata.name}`;
    if (seed) this.events.seed(key, event);
    else this.events.add(key, event);
    return key;
  }
}

function reference(pod: KubeObject): Record<string, string> {
  return {
    kind: pod.kind ?? 'Pod',
    namespace: pod.metadata.namespace ?? '',
    name: pod.metadata.name,
    uid: pod.metadata.uid ?? '',
    apiVersion: pod.apiVersion ?? 'v1',
    resourceVersion: pod.metadata.resourceVersion ?? '',
  };
}

/** kuberuntime_manager doBackOff, with format.Pod's `name_namespace(uid)`. */
function backOffMessage(pod: Pod, c: Container): string {
  return `Back-off restarting failed container ${c.spec.name} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
}

/**
 * image_manager EnsureImageExists for an image kubesim has: with `Always` the kubelet pulls (and
 * says how long it took), otherwise the image is already on the node.
 */
function pulled(spec: ContainerSpec, tookMs: number): Array<[CoreEvent['type'], string, string]> {
  const image = spec.image;
  if (spec['imagePullPolicy'] !== 'Always') return [['Normal', 'Pulled', `Container image ${q(image)} already present on machine`]];
  const took = goDuration(tookMs);
  return [
    ['Normal', 'Pulling', `Pulling image ${q(image)}`],
    ['Normal', 'Pulled', `Successfully pulled image ${q(image)} in ${took} (${took} including waiting). Image size: ${imageSize(image)} bytes.`],
  ];
}

/** The field labels the event registry converts (pkg/apis/core/v1 conversion, event strategy). */
export const EVENT_FIELDS: ReadonlySet<string> = new Set([
  'metadata.name', 'metadata.namespace',
  'involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid',
  'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath',
  'reason', 'reportingComponent', 'source', 'type',
]);
