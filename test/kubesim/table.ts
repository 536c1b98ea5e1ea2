// Server-side printing (meta.k8s.io/v1 Table), as `kubectl get` asks for it. The columns and the
// STATUS / RESTARTS / AGE rules follow pkg/printers/internalversion/printers.go.
import type { ContainerStatus, Namespace, Pod } from './fixtures.ts';
import type { KubeObject } from './store.ts';

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

function col(name: string, description: string, priority = 0, format = ''): ColumnDefinition {
  return { name, type: 'string', format, description, priority };
}

const NAME_DOC = 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const AGE_DOC = 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

export const POD_COLUMNS: ColumnDefinition[] = [
  col('Name', NAME_DOC, 0, 'name'),
  col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
  col('Status', 'The aggregate status of the containers in this pod.'),
  col('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
  col('Age', AGE_DOC),
  col('IP', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
  col('Node', "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename", 1),
  col('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node.', 1),
  col('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates', 1),
];

export const NAMESPACE_COLUMNS: ColumnDefinition[] = [
  col('Name', NAME_DOC, 0, 'name'),
  col('Status', 'The status of the namespace'),
  col('Age', AGE_DOC),
];

export const NODE_COLUMNS: ColumnDefinition[] = [
  col('Name', NAME_DOC, 0, 'name'),
  col('Status', 'The status of the node'),
  col('Roles', 'The roles of the node'),
  col('Age', AGE_DOC),
  col('Version', 'Kubelet Version reported by the node.'),
  col('Internal-IP', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
  col('External-IP', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
  col('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
  col('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
  col('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
];

/** apimachinery's duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    const y = Math.floor(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

function since(timestamp: string | undefined, now: number): string {
  if (!timestamp) return '<unknown>';
  return humanDuration(now - Date.parse(timestamp));
}

function state(c: ContainerStatus, key: string): Record<string, unknown> | undefined {
  return c.state?.[key] as Record<string, unknown> | undefined;
}

/** printPod's cells: name, ready, status, restarts, age, IP, node, nominated node, gates. */
export function podCells(pod: Pod, now: number): unknown[] {
  const spec = pod.spec;
  const status = pod.status ?? {};
  let reason = status.reason || status.phase || '';
  let restarts = 0;
  let ready = 0;
  let lastRestart = 0;
  let initializing = false;
  const inits = status.initContainerStatuses ?? [];
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i]!;
    restarts += c.restartCount;
    const term = state(c, 'terminated');
    const wait = state(c, 'waiting');
    if (term && term['exitCode'] === 0) continue;
    if (term) {
      reason = term['reason'] ? `Init:${String(term['reason'])}` : term['signal'] ? `Init:Signal:${String(term['signal'])}` : `Init:ExitCode:${String(term['exitCode'])}`;
    } else if (wait && wait['reason'] && wait['reason'] !== 'PodInitializing') {
      reason = `Init:${String(wait['reason'])}`;
    } else {
      reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
    }
    initializing = true;
    break;
  }
  const initializedTrue = (status.conditions ?? []).some((c) => c['type'] === 'Initialized' && c['status'] === 'True');
  if (!initializing || initializedTrue) {
    restarts = 0;
    let hasRunning = false;
    const cs = status.containerStatuses ?? [];
    for (let i = cs.length - 1; i >= 0; i--) {
      const c = cs[i]!;
      restarts += c.restartCount;
      const lastTerm = c.lastState?.['terminated'] as Record<string, unknown> | undefined;
      if (lastTerm && typeof lastTerm['finishedAt'] === 'string') lastRestart = Math.max(lastRestart, Date.parse(lastTerm['finishedAt']));
      const wait = state(c, 'waiting');
      const term = state(c, 'terminated');
      if (wait && wait['reason']) reason = String(wait['reason']);
      else if (term && term['reason']) reason = String(term['reason']);
      else if (term) reason = term['signal'] ? `Signal:${String(term['signal'])}` : `ExitCode:${String(term['exitCode'])}`;
      else if (c.ready && state(c, 'running')) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const podReady = (status.conditions ?? []).some((c) => c['type'] === 'Ready' && c['status'] === 'True');
      reason = podReady ? 'Running' : 'NotReady';
    }
  }
  const terminal = status.phase === 'Succeeded' || status.phase === 'Failed';
  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && !terminal) reason = 'Terminating';
  let restartsText = String(restarts);
  if (restarts !== 0 && lastRestart > 0) restartsText = `${restarts} (${humanDuration(now - lastRestart)} ago)`;
  const gates = (spec['readinessGates'] as unknown[] | undefined)?.length ? '0/0' : '<none>';
  return [
    pod.metadata.name,
    `${ready}/${spec.containers.length}`,
    reason,
    restartsText,
    since(pod.metadata.creationTimestamp, now),
    status.podIP || '<none>',
    spec.nodeName || '<none>',
    (status['nominatedNodeName'] as string | undefined) || '<none>',
    gates,
  ];
}

export function namespaceCells(ns: Namespace, now: number): unknown[] {
  return [ns.metadata.name, ns.status?.phase ?? '', since(ns.metadata.creationTimestamp, now)];
}

export function nodeCells(node: KubeObject, now: number): unknown[] {
  const status = (node['status'] ?? {}) as Record<string, unknown>;
  const conditions = (status['conditions'] ?? []) as Array<Record<string, unknown>>;
  const ready = conditions.find((c) => c['type'] === 'Ready');
  const labels = node.metadata.labels ?? {};
  const roles = Object.keys(labels).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice('node-role.kubernetes.io/'.length));
  const info = (status['nodeInfo'] ?? {}) as Record<string, string>;
  const addresses = (status['addresses'] ?? []) as Array<{ type: string; address: string }>;
  return [
    node.metadata.name,
    ready?.['status'] === 'True' ? 'Ready' : 'NotReady',
    roles.length ? roles.join(',') : '<none>',
    since(node.metadata.creationTimestamp, now),
    info['kubeletVersion'] ?? '',
    addresses.find((a) => a.type === 'InternalIP')?.address ?? '<none>',
    addresses.find((a) => a.type === 'ExternalIP')?.address ?? '<none>',
    info['osImage'] ?? '<unknown>',
    info['kernelVersion'] ?? '<unknown>',
    info['containerRuntimeVersion'] ?? '<unknown>',
  ];
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function tableRow(obj: KubeObject, cells: unknown[], include: IncludeObject): Record<string, unknown> {
  const row: Record<string, unknown> = { cells };
  if (obj.kind === 'Pod') {
    const phase = (obj as Pod).status?.phase;
    if (phase === 'Succeeded') row['conditions'] = [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
    if (phase === 'Failed') row['conditions'] = [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
  }
  if (include === 'Object') row['object'] = obj;
  else if (include === 'Metadata') row['object'] = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
  return row;
}

// printers.go eventColumnDefinitions; descriptions are events.k8s.io/v1 Event's SwaggerDoc.
export const EVENT_COLUMNS: ColumnDefinition[] = [
  col('Last Seen', 'lastTimestamp is the timestamp of the last occurrence of this event. Deprecated field assuring backward compatibility with core.v1 Event type.'),
  col('Type', "type is the type of this event (Normal, Warning), new types could be added in the future. It is machine-readable. This field cannot be empty for new Events."),
  col('Reason', 'reason is why the action was taken. It is human-readable. This field cannot be empty for new Events and it can have at most 128 characters.'),
  col('Object', 'regarding contains the object this Event is about. In most cases it\'s an Object reporting controller implements, e.g. ReplicaSetController implements ReplicaSets and this event is emitted because it acts on some changes in a ReplicaSet object.'),
  col('Subobject', 'regarding contains the object this Event is about. In most cases it\'s an Object reporting controller implements, e.g. ReplicaSetController implements ReplicaSets and this event is emitted because it acts on some changes in a ReplicaSet object.\nFieldPath', 1),
  col('Source', 'deprecatedSource is the deprecated field assuring backward compatibility with core.v1 Event type.', 1),
  col('Message', 'note is a human-readable description of the status of this operation. Maximal length of the note is 1kB, but libraries should be prepared to handle values up to 64kB.'),
  col('First Seen', 'deprecatedFirstTimestamp is the deprecated field assuring backward compatibility with core.v1 Event type.', 1),
  col('Count', 'deprecatedCount is the deprecated field assuring backward compatibility with core.v1 Event type.', 1),
  col('Name', NAME_DOC, 1, 'name'),
];

/**
 * printEvent's cells (server-side printing always generates the wide form): an event from the
 * events.k8s.io API has no first/lastTimestamp or count, so its eventTime and 1 stand in.
 */
export function eventCells(obj: KubeObject, now: number): unknown[] {
  const e = obj as KubeObject & {
    firstTimestamp?: string | null; lastTimestamp?: string | null; eventTime?: string | null; count?: number;
    type?: string; reason?: string; message?: string;
    involvedObject?: { kind?: string; name?: string; fieldPath?: string };
    source?: { component?: string; host?: string }; reportingComponent?: string; reportingInstance?: string;
  };
  const first = since(e.firstTimestamp ?? e.eventTime ?? undefined, now);
  const last = e.lastTimestamp ? since(e.lastTimestamp, now) : first;
  const kind = (e.involvedObject?.kind ?? '').toLowerCase();
  const target = e.involvedObject?.name ? `${kind}/${e.involvedObject.name}` : kind;
  const component = e.source?.component || e.reportingComponent || '';
  const instance = e.source?.host || e.reportingInstance || '';
  const source = !component ? '<unknown>' : instance ? `${component}, ${instance}` : component;
  return [last, e.type ?? '', e.reason ?? '', target, e.involvedObject?.fieldPath ?? '', source, (e.message ?? '').trim(), first, e.count || 1, e.metadata.name];
}

// The workloads' columns (printers.go deploymentColumnDefinitions and the rest). Server-side
// printing always generates the wide form: Containers, Images and Selector are priority 1.
const CONTAINERS_COL = col('Containers', 'Names of each container in the template.', 1);
const IMAGES_COL = col('Images', 'Images referenced by each container in the template.', 1);
const SELECTOR_DOC = 'A label selector is a label query over a set of resources. The result of matchLabels and matchExpressions are ANDed. An empty label selector matches all objects. A null label selector matches no objects.';
const intCol = (name: string, description: string): ColumnDefinition => ({ ...col(name, description), type: 'integer' });

export const WORKLOAD_COLUMNS: Record<'deployments' | 'replicasets' | 'statefulsets' | 'daemonsets' | 'jobs', ColumnDefinition[]> = {
  deployments: [
    col('Name', NAME_DOC, 0, 'name'),
    col('Ready', 'Number of the pod with ready state'),
    col('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    col('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    col('Age', AGE_DOC),
    CONTAINERS_COL, IMAGES_COL,
    col('Selector', `Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. ${SELECTOR_DOC}`, 1),
  ],
  replicasets: [
    col('Name', NAME_DOC, 0, 'name'),
    intCol('Desired', 'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller'),
    intCol('Current', 'Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller'),
    intCol('Ready', 'The number of ready replicas for this replica set.'),
    col('Age', AGE_DOC),
    CONTAINERS_COL, IMAGES_COL,
    col('Selector', `Selector is a label query over pods that should match the replica count. ${SELECTOR_DOC}`, 1),
  ],
  statefulsets: [
    col('Name', NAME_DOC, 0, 'name'),
    col('Ready', 'Number of the pod with ready state'),
    col('Age', AGE_DOC),
    CONTAINERS_COL, IMAGES_COL,
  ],
  daemonsets: [
    col('Name', NAME_DOC, 0, 'name'),
    intCol('Desired', 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/'),
    intCol('Current', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/'),
    intCol('Ready', 'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.'),
    intCol('Up-to-date', 'The total number of nodes that are running updated daemon pod'),
    intCol('Available', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)'),
    col('Node Selector', "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/"),
    col('Age', AGE_DOC),
    CONTAINERS_COL, IMAGES_COL,
    col('Selector', `A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels. ${SELECTOR_DOC}`, 1),
  ],
  jobs: [
    col('Name', NAME_DOC, 0, 'name'),
    col('Status', 'Status of the job.'),
    col('Completions', 'The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.'),
    col('Duration', 'Time required to complete the job.'),
    col('Age', AGE_DOC),
    CONTAINERS_COL, IMAGES_COL,
    col('Selector', `A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors ${SELECTOR_DOC}`, 1),
  ],
};

interface WorkloadShape extends KubeObject {
  spec: Record<string, unknown>;
  status: Record<string, unknown>;
}

/** metav1.FormatLabelSelector: matchLabels sorted as key=value, then the expressions; none is `<none>`. */
function formatSelector(sel: unknown): string {
  const s = (sel ?? {}) as { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> };
  const parts = Object.keys(s.matchLabels ?? {}).sort().map((k) => `${k}=${s.matchLabels![k]}`);
  for (const e of s.matchExpressions ?? []) {
    const op = e.operator === 'In' ? 'in' : e.operator === 'NotIn' ? 'notin' : e.operator;
    if (op === 'Exists') parts.push(e.key);
    else if (op === 'DoesNotExist') parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${op} (${[...(e.values ?? [])].sort().join(',')})`);
  }
  return parts.length === 0 ? '<none>' : parts.join(',');
}

/** labels.FormatLabels: key=value sorted by key, `<none>` when empty. */
function formatLabels(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${labels![k]}`).join(',');
}

/** layoutContainerCells: names and images joined with commas. */
function containerCells(w: WorkloadShape): [string, string] {
  const template = (w.spec['template'] ?? {}) as { spec?: { containers?: Array<{ name: string; image: string }> } };
  const cs = template.spec?.containers ?? [];
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image).join(',')];
}

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** printDeployment, printReplicaSet, printStatefulSet, printDaemonSet, printJob (wide). */
export function workloadCells(w: WorkloadShape, now: number): unknown[] {
  const age = since(w.metadata.creationTimestamp, now);
  const [names, images] = containerCells(w);
  const st = w.status ?? {};
  const replicas = typeof w.spec['replicas'] === 'number' ? w.spec['replicas'] : 1;
  switch (w.kind) {
    case 'Deployment':
      return [w.metadata.name, `${num(st['readyReplicas'])}/${replicas}`, num(st['updatedReplicas']), num(st['availableReplicas']), age, names, images, formatSelector(w.spec['selector'])];
    case 'ReplicaSet':
      return [w.metadata.name, replicas, num(st['replicas']), num(st['readyReplicas']), age, names, images, formatSelector(w.spec['selector'])];
    case 'StatefulSet':
      return [w.metadata.name, `${num(st['readyReplicas'])}/${replicas}`, age, names, images];
    case 'DaemonSet': {
      const nodeSelector = ((w.spec['template'] ?? {}) as { spec?: { nodeSelector?: Record<string, string> } }).spec?.nodeSelector;
      return [w.metadata.name, num(st['desiredNumberScheduled']), num(st['currentNumberScheduled']), num(st['numberReady']), num(st['updatedNumberScheduled']), num(st['numberAvailable']), formatLabels(nodeSelector), age, names, images, formatSelector(w.spec['selector'])];
    }
    default: {
      const completions = typeof w.spec['completions'] === 'number'
        ? `${num(st['succeeded'])}/${w.spec['completions']}`
        : num(w.spec['parallelism']) > 1 ? `${num(st['succeeded'])}/1 of ${num(w.spec['parallelism'])}` : `${num(st['succeeded'])}/1`;
      const start = typeof st['startTime'] === 'string' ? Date.parse(st['startTime']) : undefined;
      const end = typeof st['completionTime'] === 'string' ? Date.parse(st['completionTime']) : undefined;
      const duration = start === undefined ? '' : humanDuration((end ?? now) - start);
      const has = (type: string) => ((st['conditions'] ?? []) as Array<Record<string, unknown>>).some((c) => c['type'] === type && c['status'] === 'True');
      const status = has('Complete') ? 'Complete' : has('Failed') ? 'Failed' : w.metadata.deletionTimestamp ? 'Terminating'
        : has('Suspended') ? 'Suspended' : has('FailureTarget') ? 'FailureTarget' : 'Running';
      return [w.metadata.name, status, completions, duration, age, names, images, formatSelector(w.spec['selector'])];
    }
  }
}
