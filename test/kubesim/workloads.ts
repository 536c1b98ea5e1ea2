// apps/v1 and batch/v1 workloads owning pods through ownerReferences (issue 11, item 8):
// Deployments, ReplicaSets, StatefulSets, DaemonSets and Jobs as their controllers leave them,
// the demo set of them, and the part of each controller kubectl can see without writing to them:
// status kept in step with the pods a workload owns (readiness, availability, counts), so that a
// pod going unready or away shows in `kubectl get deploy -w` and `rollout status` as in a cluster.
import { createHash, randomUUID } from 'node:crypto';
import { buildPod, iso, LINUX_NODES, type Pod, type PodTemplate } from './fixtures.ts';
import { lowerBound, type Collection, type KubeObject } from './store.ts';

export interface Workload extends KubeObject {
  spec: Record<string, unknown>;
  status: Record<string, unknown>;
}

export const WORKLOAD_RESOURCES = ['deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs'] as const;
export type WorkloadResource = typeof WORKLOAD_RESOURCES[number];
export type WorkloadCollections = Record<WorkloadResource, Collection<Workload>>;

const RESOURCE_OF_KIND: Record<string, WorkloadResource> = {
  Deployment: 'deployments', ReplicaSet: 'replicasets', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets', Job: 'jobs',
};

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The reference a controller puts on what it creates (metav1.NewControllerRef). */
export function controllerRef(owner: Workload): OwnerReference {
  return { apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata.name, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

function controllerOf(obj: KubeObject | undefined): OwnerReference | undefined {
  const refs = obj?.metadata['ownerReferences'] as OwnerReference[] | undefined;
  return refs?.find((r) => r.controller === true);
}

// ---------------------------------------------------------------------------------------------
// Names as the controllers make them

/** utilrand.String's alphabet: no vowels (no words), no confusable 0/1/3 (apimachinery rand). */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

function randomish(seed: string, n: number): string {
  const bytes = createHash('sha256').update(seed).digest();
  let out = '';
  for (let i = 0; i < n; i++) out += ALPHANUMS[bytes[i]! % ALPHANUMS.length];
  return out;
}

/** The pod-template-hash / controller-revision-hash: a hash of the template, SafeEncodeString'd (10 characters). */
function templateHash(template: unknown): string {
  return randomish(JSON.stringify(template), 10);
}

// ---------------------------------------------------------------------------------------------
// Status as each controller computes it from the pods it owns

function isTerminal(pod: Pod): boolean {
  return pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed';
}

/** controller.FilterActivePods: not terminal and not being deleted. */
function isActive(pod: Pod): boolean {
  return !isTerminal(pod) && !pod.metadata.deletionTimestamp;
}

function isReady(pod: Pod): boolean {
  return (pod.status.conditions ?? []).some((c) => c['type'] === 'Ready' && c['status'] === 'True');
}

/** Sets non-zero counts and drops zero ones, as the status structs' `omitempty` ints serialise. */
function counts(target: Record<string, unknown>, values: Record<string, number>): void {
  for (const [k, v] of Object.entries(values)) {
    if (v !== 0) target[k] = v;
    else delete target[k];
  }
}

function replicasOf(w: Workload): number {
  return typeof w.spec['replicas'] === 'number' ? w.spec['replicas'] : 1;
}

/**
 * The status the controller would write for `w`, given the pods it owns (and, for a Deployment,
 * its ReplicaSets). minReadySeconds is 0 throughout, so available means ready.
 */
export function computeStatus(w: Workload, owned: Pod[], children: Workload[], now: number): Record<string, unknown> {
  const status = structuredClone(w.status);
  const active = owned.filter(isActive);
  const ready = active.filter(isReady).length;
  const generation = (w.metadata['generation'] as number | undefined) ?? 1;
  switch (w.kind) {
    case 'ReplicaSet': {
      status['replicas'] = active.length;
      counts(status, { fullyLabeledReplicas: active.length, readyReplicas: ready, availableReplicas: ready });
      status['observedGeneration'] = generation;
      break;
    }
    case 'StatefulSet': {
      status['observedGeneration'] = generation;
      status['replicas'] = active.length;
      counts(status, { readyReplicas: ready, currentReplicas: active.length, updatedReplicas: active.length, availableReplicas: ready });
      break;
    }
    case 'DaemonSet': {
      counts(status, { currentNumberScheduled: active.length, numberReady: ready, updatedNumberScheduled: active.length, numberAvailable: ready });
      status['numberMisscheduled'] = 0;
      status['observedGeneration'] = generation;
      const unavailable = (status['desiredNumberScheduled'] as number) - ready;
      counts(status, { numberUnavailable: Math.max(unavailable, 0) });
      break;
    }
    case 'Deployment': {
      const sum = (key: string) => children.reduce((n, rs) => n + ((rs.status[key] as number | undefined) ?? 0), 0);
      const replicas = sum('replicas');
      const available = sum('availableReplicas');
      const desired = replicasOf(w);
      status['observedGeneration'] = generation;
      status['replicas'] = replicas;
      counts(status, { updatedReplicas: replicas, readyReplicas: sum('readyReplicas'), availableReplicas: available, unavailableReplicas: Math.max(desired - available, 0) });
      // MaxUnavailable 25% rounds down: the Deployment is available when at most that many are not.
      const minAvailable = desired - Math.floor(desired * 0.25);
      const conditions = (status['conditions'] as Array<Record<string, unknown>> | undefined) ?? [];
      const availableNow = available >= minAvailable;
      const at = iso(0, now);
      const prev = conditions.find((c) => c['type'] === 'Available');
      const cond: Record<string, unknown> = availableNow
        ? { type: 'Available', status: 'True', lastUpdateTime: at, lastTransitionTime: at, reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
        : { type: 'Available', status: 'False', lastUpdateTime: at, lastTransitionTime: at, reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' };
      if (prev && prev['status'] === cond['status']) return status;
      status['conditions'] = [cond, ...conditions.filter((c) => c['type'] !== 'Available')];
      break;
    }
  }
  return status;
}

/** What the controllers do through the API server, as the controller manager would. */
export interface ControllerHooks {
  /** POST a pod (generateName, ownerReferences): validated, defaulted, scheduled and started. */
  createPod(namespace: string, pod: Record<string, unknown>): { code: number; body: unknown };
  /** DELETE a pod with its grace period. */
  deletePod(namespace: string, name: string): void;
  /** A controller's event about a workload. */
  record(obj: Workload, component: string, reason: string, message: string): void;
}

/**
 * The controllers, as far as kubesim models them:
 * - every workload's status follows the pods it owns: on each pod change the status of the
 *   controller owning the pod (before or after the change) is recomputed and written only when it
 *   differs, as the controllers' status updates are; a ReplicaSet's change carries on to its
 *   Deployment. Jobs count finished pods through finalizers, so their status does not follow
 *   pods (a deleted succeeded pod stays counted): it is left as it is.
 * - the Deployment controller scales its ReplicaSet to the Deployment's replicas (a scaling
 *   event; no new ReplicaSet, as only `replicas` can change here), and the ReplicaSet controller
 *   creates pods from its template (`<rs>-<5 characters>`) or deletes the least useful ones until
 *   as many are active as it wants, replacing a pod that is deleted.
 * Work is queued and done after the change that caused it, as a controller's informer and work
 * queue do, never inside another write.
 */
export class WorkloadControllers {
  private readonly pods: Collection<Pod>;
  private readonly workloads: WorkloadCollections;
  private readonly hooks: ControllerHooks;
  private readonly queue = new Set<string>();
  private scheduled: NodeJS.Immediate | undefined;
  private readonly unwatch: () => void;

  constructor(pods: Collection<Pod>, workloads: WorkloadCollections, hooks: ControllerHooks) {
    this.pods = pods;
    this.workloads = workloads;
    this.hooks = hooks;
    this.unwatch = pods.watch({
      onEvent: (event) => {
        for (const o of [event.prev, event.obj]) {
          const ref = controllerOf(o);
          const resource = ref && RESOURCE_OF_KIND[ref.kind];
          if (resource) this.enqueue(resource, `${event.obj.metadata.namespace}/${ref.name}`);
        }
      },
    });
  }

  stop(): void {
    this.unwatch();
    if (this.scheduled) clearImmediate(this.scheduled);
    this.queue.clear();
  }

  /** The scale subresource's write: spec.replicas, a new generation; the controllers act on it. */
  scaleDeployment(key: string, replicas: number): Workload {
    const coll = this.workloads.deployments;
    const current = coll.get(key)!;
    if (replicasOf(current) === replicas) return current;
    const event = coll.update(key, (d) => {
      d.spec['replicas'] = replicas;
      d.metadata['generation'] = ((d.metadata['generation'] as number | undefined) ?? 1) + 1;
    });
    this.enqueue('deployments', key);
    return event.obj;
  }

  private enqueue(resource: WorkloadResource, key: string): void {
    this.queue.add(`${resource}|${key}`);
    this.scheduled ??= setImmediate(() => {
      this.scheduled = undefined;
      const work = [...this.queue];
      this.queue.clear();
      for (const item of work) {
        const bar = item.indexOf('|');
        this.sync(item.slice(0, bar) as WorkloadResource, item.slice(bar + 1));
      }
    });
  }

  private ownedBy(w: Workload): Pod[] {
    const prefix = `${w.metadata.namespace}/`;
    const out: Pod[] = [];
    const keys = this.pods.keys();
    for (let i = lowerBound(keys, prefix); i < keys.length && keys[i]!.startsWith(prefix); i++) {
      const p = this.pods.get(keys[i]!)!;
      if (controllerOf(p)?.uid === w.metadata.uid) out.push(p);
    }
    return out;
  }

  private childrenOf(d: Workload): Workload[] {
    return this.workloads.replicasets.keys()
      .map((k) => this.workloads.replicasets.get(k)!)
      .filter((rs) => rs.metadata.namespace === d.metadata.namespace && controllerOf(rs)?.uid === d.metadata.uid);
  }

  private sync(resource: WorkloadResource, key: string): void {
    const coll = this.workloads[resource];
    const w = coll.get(key);
    if (!w || w.kind === 'Job') return;
    if (w.kind === 'Deployment') this.scaleReplicaSets(w);
    if (w.kind === 'ReplicaSet') this.manageReplicas(w);
    const fresh = coll.get(key)!;
    const next = computeStatus(fresh, this.ownedBy(fresh), fresh.kind === 'Deployment' ? this.childrenOf(fresh) : [], Date.now());
    if (JSON.stringify(next) !== JSON.stringify(fresh.status)) {
      coll.update(key, (o) => {
        o.status = next;
      });
    }
    const parent = controllerOf(fresh);
    const parentResource = parent && RESOURCE_OF_KIND[parent.kind];
    if (parentResource) this.enqueue(parentResource, `${fresh.metadata.namespace}/${parent.name}`);
  }

  /** The Deployment controller's scale(): the (only) ReplicaSet gets the Deployment's replicas. */
  private scaleReplicaSets(d: Workload): void {
    const replicas = replicasOf(d);
    for (const rs of this.childrenOf(d)) {
      const from = replicasOf(rs);
      if (from === replicas) continue;
      const key = `${rs.metadata.namespace}/${rs.metadata.name}`;
      const surge = replicas + Math.ceil(replicas * 0.25);
      this.workloads.replicasets.update(key, (o) => {
        o.spec['replicas'] = replicas;
        o.metadata['generation'] = ((o.metadata['generation'] as number | undefined) ?? 1) + 1;
        o.metadata.annotations = { ...o.metadata.annotations, 'deployment.kubernetes.io/desired-replicas': String(replicas), 'deployment.kubernetes.io/max-replicas': String(surge) };
      });
      this.hooks.record(d, 'deployment-controller', 'ScalingReplicaSet', `Scaled ${replicas > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${replicas}`);
      this.enqueue('replicasets', key);
    }
  }

  /** The ReplicaSet controller's manageReplicas: create from the template, or delete the least useful. */
  private manageReplicas(rs: Workload): void {
    const ns = rs.metadata.namespace!;
    const active = this.ownedBy(rs).filter(isActive);
    const diff = active.length - replicasOf(rs);
    const template = rs.spec['template'] as { metadata?: { labels?: Record<string, string> }; spec: Record<string, unknown> };
    for (let i = 0; i < -diff; i++) {
      const a = this.hooks.createPod(ns, {
        apiVersion: 'v1', kind: 'Pod',
        metadata: { generateName: `${rs.metadata.name}-`, namespace: ns, labels: { ...template.metadata?.labels }, ownerReferences: [controllerRef(rs)] },
        spec: structuredClone(template.spec),
      });
      const name = (a.body as { metadata?: { name?: string } }).metadata?.name;
      if (a.code === 201 && name) this.hooks.record(rs, 'replicaset-controller', 'SuccessfulCreate', `Created pod: ${name}`);
    }
    if (diff > 0) {
      // getPodsToDelete: unscheduled, then pending, then not ready, then the newest first.
      const rank = (p: Pod) => [p.spec.nodeName ? 1 : 0, p.status.phase === 'Pending' ? 0 : 1, isReady(p) ? 1 : 0, -Date.parse(p.metadata.creationTimestamp ?? '')];
      const order = [...active].sort((a, b) => {
        const ra = rank(a);
        const rb = rank(b);
        for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
        return 0;
      });
      for (const p of order.slice(0, diff)) {
        this.hooks.deletePod(ns, p.metadata.name);
        this.hooks.record(rs, 'replicaset-controller', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
      }
    }
  }
}

/** The autoscaling/v1 Scale of a Deployment, as its scale subresource answers. */
export function scaleOf(w: Workload): Record<string, unknown> {
  const m = w.metadata;
  const sel = ((w.spec['selector'] ?? {}) as { matchLabels?: Record<string, string> }).matchLabels ?? {};
  return {
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: replicasOf(w) },
    status: { replicas: (w.status['replicas'] as number | undefined) ?? 0, selector: Object.keys(sel).sort().map((k) => `${k}=${sel[k]}`).join(',') },
  };
}

// ---------------------------------------------------------------------------------------------
// The demo workloads

function meta(name: string, namespace: string, created: string, labels?: Record<string, string>): Workload['metadata'] {
  const m: Workload['metadata'] = { name, namespace, uid: randomUUID(), generation: 1, creationTimestamp: created };
  if (labels) m.labels = { ...labels };
  return m;
}

/** A pod template as the API server defaults it, from one of the pods it describes. */
function templateOf(pod: Pod, labels: Record<string, string>): Record<string, unknown> {
  const containers = pod.spec.containers.map((c) => structuredClone(c));
  return {
    metadata: { creationTimestamp: null, labels: { ...labels } },
    spec: {
      containers,
      restartPolicy: pod.spec['restartPolicy'],
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      securityContext: {},
      schedulerName: 'default-scheduler',
    },
  };
}

function selector(labels: Record<string, string>): Record<string, unknown> {
  return { matchLabels: { ...labels } };
}

function own(pod: Pod, owner: Workload): void {
  pod.metadata['ownerReferences'] = [controllerRef(owner)];
}

export interface FixtureWorkloads {
  workloads: Workload[];
  /** Pods the workloads created, beyond the fixture pods they adopt. */
  pods: Pod[];
  /** What each controller recorded when it created its pods: [object, component, reason, message, at]. */
  history: Array<[Workload, string, string, string, number]>;
}

/** The namespace the new workloads and their pods live in, so that default's and demo's pod counts stay as tests know them. */
export const APPS_NAMESPACE = 'apps';

const DAY = 86_400_000;

/**
 * The demo workloads. StatefulSets adopt fixture pods whose names are what a StatefulSet names
 * its pods: `web` owns default/web-0, `api` owns demo/api-0 and demo/api-1 (their labels stay as
 * tests know them). In "apps": Deployment `shop` with its ReplicaSet and two pods, DaemonSet
 * `agent` with a pod on each Linux node, and Job `report` with its one succeeded pod.
 */
export function fixtureWorkloads(existing: Pod[], now: number): FixtureWorkloads {
  const workloads: Workload[] = [];
  const pods: Pod[] = [];
  const history: FixtureWorkloads['history'] = [];
  const find = (ns: string, name: string) => existing.find((p) => p.metadata.namespace === ns && p.metadata.name === name);

  // StatefulSets over fixture pods.
  const statefulSets: Array<{ name: string; namespace: string; pods: string[] }> = [
    { name: 'web', namespace: 'default', pods: ['web-0'] },
    { name: 'api', namespace: 'demo', pods: ['api-0', 'api-1'] },
  ];
  for (const s of statefulSets) {
    const members = s.pods.map((n) => find(s.namespace, n)).filter((p): p is Pod => p !== undefined);
    if (members.length === 0) continue;
    const labels = { app: s.name };
    const oldest = Math.min(...members.map((p) => Date.parse(p.metadata.creationTimestamp!)));
    const template = templateOf(members[0]!, labels);
    const revision = `${s.name}-${templateHash(template)}`;
    const sts: Workload = {
      kind: 'StatefulSet', apiVersion: 'apps/v1',
      metadata: meta(s.name, s.namespace, iso(now - oldest + 1000, now), labels),
      spec: {
        replicas: members.length, selector: selector(labels), template, serviceName: s.name,
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
        revisionHistoryLimit: 10,
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      },
      status: { currentRevision: revision, updateRevision: revision, collisionCount: 0 },
    };
    for (const p of members) {
      own(p, sts);
      history.push([sts, 'statefulset-controller', 'SuccessfulCreate', `create Pod ${p.metadata.name} in StatefulSet ${s.name} successful`, Date.parse(p.metadata.creationTimestamp!)]);
    }
    sts.status = computeStatus(sts, members, [], now);
    workloads.push(sts);
  }

  const ns = APPS_NAMESPACE;
  let index = 200;
  const podFor = (t: Omit<PodTemplate, 'namespace'>, owner: Workload) => {
    const pod = buildPod({ ...t, namespace: ns, index: index++ }, now);
    own(pod, owner);
    pods.push(pod);
    return pod;
  };

  // Deployment shop -> ReplicaSet shop-<hash> -> two pods. Their main process writes a line, so
  // that `kubectl logs deploy/shop` has something to show.
  {
    const labels = { app: 'shop' };
    const age = 3 * DAY;
    const created = iso(age, now);
    const container = { name: 'app', image: 'kubesim/busybox', command: ['sh', '-c', 'echo "shop serving on :8080"; exec sleep infinity'] };
    const probe = buildPod({ name: 'shop', namespace: ns, containers: [container], labels }, now);
    const template = templateOf(probe, labels);
    const hash = templateHash(template);
    const deploy: Workload = {
      kind: 'Deployment', apiVersion: 'apps/v1',
      metadata: { ...meta('shop', ns, created, labels), annotations: { 'deployment.kubernetes.io/revision': '1' } },
      spec: {
        replicas: 2, selector: selector(labels), template,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
        revisionHistoryLimit: 10, progressDeadlineSeconds: 600,
      },
      status: {},
    };
    const rsLabels = { ...labels, 'pod-template-hash': hash };
    const rsTemplate = structuredClone(template) as { metadata: { labels: Record<string, string> } };
    rsTemplate.metadata.labels = { ...rsLabels };
    const rs: Workload = {
      kind: 'ReplicaSet', apiVersion: 'apps/v1',
      metadata: {
        ...meta(`shop-${hash}`, ns, created, rsLabels),
        annotations: { 'deployment.kubernetes.io/desired-replicas': '2', 'deployment.kubernetes.io/max-replicas': '3', 'deployment.kubernetes.io/revision': '1' },
        ownerReferences: [controllerRef(deploy)],
      },
      spec: { replicas: 2, selector: selector(rsLabels), template: rsTemplate },
      status: {},
    };
    const members = [0, 1].map((i) => podFor({ name: `shop-${hash}-${randomish(`shop${i}`, 5)}`, containers: [container], labels: rsLabels, ageSeconds: age / 1000 - 1 }, rs));
    rs.status = computeStatus(rs, members, [], now);
    deploy.status = {
      conditions: [
        { type: 'Available', status: 'True', lastUpdateTime: iso(age - 5000, now), lastTransitionTime: iso(age - 5000, now), reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' },
        { type: 'Progressing', status: 'True', lastUpdateTime: iso(age - 5000, now), lastTransitionTime: created, reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rs.metadata.name}" has successfully progressed.` },
      ],
    };
    deploy.status = computeStatus(deploy, [], [rs], now);
    workloads.push(deploy, rs);
    history.push([deploy, 'deployment-controller', 'ScalingReplicaSet', `Scaled up replica set ${rs.metadata.name} from 0 to 2`, now - age]);
    for (const p of members) history.push([rs, 'replicaset-controller', 'SuccessfulCreate', `Created pod: ${p.metadata.name}`, now - age]);
  }

  // DaemonSet agent: a pod on each Linux node.
  {
    const labels = { app: 'agent' };
    const age = 10 * DAY;
    const nodeSelector = { 'kubernetes.io/os': 'linux' };
    const container = { name: 'agent', image: 'kubesim/busybox' };
    const probe = buildPod({ name: 'agent', namespace: ns, containers: [container], labels, nodeSelector }, now);
    const template = templateOf(probe, labels);
    (template['spec'] as Record<string, unknown>)['nodeSelector'] = nodeSelector;
    const hash = templateHash(template);
    const ds: Workload = {
      kind: 'DaemonSet', apiVersion: 'apps/v1',
      metadata: { ...meta('agent', ns, iso(age, now), labels), annotations: { 'deprecated.daemonset.template.generation': '1' } },
      spec: {
        selector: selector(labels), template,
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
        revisionHistoryLimit: 10,
      },
      status: { desiredNumberScheduled: LINUX_NODES.length },
    };
    const podLabels = { ...labels, 'controller-revision-hash': hash, 'pod-template-generation': '1' };
    const members = LINUX_NODES.map((node) => podFor({ name: `agent-${randomish(`agent${node}`, 5)}`, containers: [container], labels: podLabels, nodeName: node, nodeSelector, ageSeconds: age / 1000 - 2 }, ds));
    ds.status = computeStatus(ds, members, [], now);
    workloads.push(ds);
    for (const p of members) history.push([ds, 'daemonset-controller', 'SuccessfulCreate', `Created pod: ${p.metadata.name}`, now - age]);
  }

  // Job report: one pod, succeeded.
  {
    const age = 2 * 3600_000;
    const uid = randomUUID();
    const labels = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': 'report', 'controller-uid': uid, 'job-name': 'report' };
    const container = { name: 'report', image: 'kubesim/busybox' };
    const probe = buildPod({ name: 'report', namespace: ns, containers: [container], labels, state: 'succeeded' }, now);
    const template = templateOf(probe, labels);
    const started = now - age + 1000;
    const completed = started + 9000;
    const job: Workload = {
      kind: 'Job', apiVersion: 'batch/v1',
      metadata: { ...meta('report', ns, iso(age, now), labels), uid },
      spec: {
        parallelism: 1, completions: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false,
        podReplacementPolicy: 'TerminatingOrFailed', manualSelector: false,
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } }, template,
      },
      status: {
        conditions: [
          { type: 'SuccessCriteriaMet', status: 'True', lastProbeTime: iso(now - completed, now), lastTransitionTime: iso(now - completed, now) },
          { type: 'Complete', status: 'True', lastProbeTime: iso(now - completed, now), lastTransitionTime: iso(now - completed, now) },
        ],
        startTime: iso(now - started, now),
        completionTime: iso(now - completed, now),
        succeeded: 1,
        terminating: 0,
        uncountedTerminatedPods: {},
        ready: 0,
      },
    };
    const pod = podFor({ name: `report-${randomish('report', 5)}`, containers: [container], labels, state: 'succeeded', ageSeconds: age / 1000 - 1 }, job);
    workloads.push(job);
    history.push([job, 'job-controller', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, started]);
    history.push([job, 'job-controller', 'Completed', 'Job completed', completed]);
  }
  return { workloads, pods, history };
}

export function resourceOf(w: Workload): WorkloadResource {
  return RESOURCE_OF_KIND[w.kind!]!;
}
