// The API server's HTTP side: discovery, pods/namespaces/nodes (get, list, watch, delete), the
// apps/v1 and batch/v1 workloads (get, list, watch under /apis/{group}/v1), the
// Table form kubectl asks for, and the pods/exec upgrade. Every error is a metav1.Status with the
// wording of the real server; the order of checks follows the real filter chain
// (authentication -> authorization -> handler), so a forbidden user sees 403 before any 404.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants as http2, type Http2ServerRequest } from 'node:http2';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { ContainerRuntime } from './attach.ts';
import { authenticate, authorize, forbiddenReason, type Attributes, type Tokens, type User } from './auth.ts';
import {
  AGGREGATED_TYPE, coreDiscovery, groupsDiscovery, legacyGroupDocument, wantsAggregated, type ApiGroup, type LegacyResource,
} from './discovery.ts';
import type { EphemeralContainers } from './ephemeral.ts';
import { EVENT_FIELDS, type EventRecorder } from './events.ts';
import { ExecManager, negotiateProtocol, V5, type ExecRequest } from './exec.ts';
import type { Namespace, Pod } from './fixtures.ts';
import { serveLogs } from './logs.ts';
import type { MainProcesses } from './mainProcess.ts';
import {
  GO_BAD_REQUEST, invalidName, parseResourceVersion, parseTarget, queryBool, queryInt64, queryOptionalBool, queryPorts,
} from './params.ts';
import type { PortForwarder } from './portForward.ts';
import { openapiV3CoreV1, openapiV3Root } from './openapi.ts';
import { PodWrites } from './write.ts';
import { scaleOf, WorkloadControllers, type Workload, type WorkloadCollections, type WorkloadResource } from './workloads.ts';
import { isObject, jsonPatch, mergePatch, PatchError, type Json } from './patch.ts';
import {
  fieldValue, matchesFields, matchesLabels, NAMESPACE_FIELDS, NODE_FIELDS, parseFieldSelector, parseLabelSelector,
  POD_FIELDS, SelectorError, WORKLOAD_FIELDS, type FieldRequirement, type LabelRequirement,
} from './selectors.ts';
import {
  badRequest, expired, failure, forbidden, goQuote, internalError, methodNotSupported, notFound, pathNotFound, unauthorized,
  type Status,
} from './status.ts';
import { itemBytes, lowerBound, objectBytes, type Collection, type KubeObject, type StoreEvent } from './store.ts';
import {
  eventCells, EVENT_COLUMNS, WORKLOAD_COLUMNS, workloadCells, namespaceCells, NAMESPACE_COLUMNS, nodeCells, NODE_COLUMNS, podCells, POD_COLUMNS, tableRow,
  type ColumnDefinition, type IncludeObject,
} from './table.ts';

export interface Faults {
  latencyMs: number;
  ignorePings: boolean;
  refuseUpgrade: { code: number; message: string } | null;
  dropConnections(): void;
  expireWatchHistory(): void;
}

export interface ApiState {
  pods: Collection<Pod>;
  namespaces: Collection<Namespace>;
  nodes: Collection<KubeObject>;
  /** apps/v1 and batch/v1 workloads owning pods (workloads.ts). */
  workloads: WorkloadCollections;
  /** Events the scheduler and kubelet record about pods (events.ts). */
  events: EventRecorder;
  tokens: Tokens;
  faults: Faults;
  exec: ExecManager;
  /** Containers' main processes and their logs (mainProcess.ts, logs.ts). */
  processes: MainProcesses;
  /** pods/{pod}/portforward (portForward.ts). */
  portForward: PortForwarder;
  /** Main processes and attach (attach.ts). */
  runtime: ContainerRuntime;
  /** pods/{pod}/ephemeralcontainers (ephemeral.ts). */
  ephemeral: EphemeralContainers;
  /** API DELETE of a pod: mark it terminating now, remove it after the grace period. */
  deletePodGracefully(namespace: string, name: string, graceSeconds: number | undefined): Pod;
  /** Called with a function that ends an open watch; the function is dropped when the watch ends. */
  trackWatch(end: () => void): () => void;
}

export const VERSION = {
  major: '1',
  minor: '35',
  emulationMajor: '1',
  emulationMinor: '35',
  minCompatibilityMajor: '1',
  minCompatibilityMinor: '34',
  gitVersion: 'v1.35.0',
  gitCommit: '66452049f3d692768c39c797b21b793dce80314e',
  gitTreeState: 'clean',
  buildDate: '2025-12-17T12:32:06Z',
  goVersion: 'go1.25.5',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export interface ResourceDef {
  name: string;
  /** The API group ("" for core) and its group/version, as objects and lists carry it. */
  group: string;
  apiVersion: string;
  kind: string;
  namespaced: boolean;
  fields: ReadonlySet<string>;
  columns: ColumnDefinition[];
  cells(obj: KubeObject, now: number): unknown[];
  collection(state: ApiState): Collection<KubeObject>;
}

const RESOURCES: Record<string, ResourceDef> = {
  pods: {
    name: 'pods', group: '', apiVersion: 'v1', kind: 'Pod', namespaced: true, fields: POD_FIELDS, columns: POD_COLUMNS,
    cells: (o, now) => podCells(o as Pod, now),
    collection: (s) => s.pods as unknown as Collection<KubeObject>,
  },
  namespaces: {
    name: 'namespaces', group: '', apiVersion: 'v1', kind: 'Namespace', namespaced: false, fields: NAMESPACE_FIELDS, columns: NAMESPACE_COLUMNS,
    cells: (o, now) => namespaceCells(o as Namespace, now),
    collection: (s) => s.namespaces as unknown as Collection<KubeObject>,
  },
  events: {
    name: 'events', group: '', apiVersion: 'v1', kind: 'Event', namespaced: true, fields: EVENT_FIELDS, columns: EVENT_COLUMNS,
    cells: eventCells,
    collection: (s) => s.events.events as unknown as Collection<KubeObject>,
  },
  nodes: {
    name: 'nodes', group: '', apiVersion: 'v1', kind: 'Node', namespaced: false, fields: NODE_FIELDS, columns: NODE_COLUMNS,
    cells: nodeCells,
    collection: (s) => s.nodes,
  },
};

/**
 * apps/v1 and batch/v1 (workloads.ts): read-only here (get, list, watch), with the same list,
 * watch and Table machinery as the core resources. Their controllers keep status in step with the
 * pods, and a Deployment's scale subresource drives its ReplicaSet's; nothing else writes them
 * through the API, so discovery lists no write verbs and no other subresources (status).
 */
const WORKLOAD_DISCOVERY: Array<{ group: string; resource: WorkloadResource; kind: string; singular: string; shortNames?: string[]; hash: string }> = [
  { group: 'apps', resource: 'daemonsets', kind: 'DaemonSet', singular: 'daemonset', shortNames: ['ds'], hash: 'dd7pWHUlMKQ=' },
  { group: 'apps', resource: 'deployments', kind: 'Deployment', singular: 'deployment', shortNames: ['deploy'], hash: '8aSe+NMegvE=' },
  { group: 'apps', resource: 'replicasets', kind: 'ReplicaSet', singular: 'replicaset', shortNames: ['rs'], hash: 'P1RzHs8/mWQ=' },
  { group: 'apps', resource: 'statefulsets', kind: 'StatefulSet', singular: 'statefulset', shortNames: ['sts'], hash: 'H+vl74LkKdo=' },
  { group: 'batch', resource: 'jobs', kind: 'Job', singular: 'job', hash: 'mudhfqk/qZY=' },
];

const API_GROUPS: ApiGroup[] = ['apps', 'batch'].map((name) => ({
  name,
  resources: WORKLOAD_DISCOVERY.filter((w) => w.group === name).flatMap((w): LegacyResource[] => {
    const r: LegacyResource = { name: w.resource, singularName: w.singular, namespaced: true, kind: w.kind, verbs: ['get', 'list', 'watch'] };
    if (w.shortNames) r.shortNames = w.shortNames;
    r.categories = ['all'];
    r.storageVersionHash = w.hash;
    // A Deployment's scale subresource is served (kubectl scale finds its kind here).
    if (w.resource !== 'deployments') return [r];
    return [r, { name: 'deployments/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] }];
  }),
}));

/** The resources of each group/version served under /apis. */
const WORKLOAD_GROUPS: Record<string, Record<string, ResourceDef>> = {};
for (const w of WORKLOAD_DISCOVERY) {
  const gv = `${w.group}/v1`;
  WORKLOAD_GROUPS[gv] ??= {};
  WORKLOAD_GROUPS[gv][w.resource] = {
    name: w.resource, group: w.group, apiVersion: gv, kind: w.kind, namespaced: true,
    fields: WORKLOAD_FIELDS[w.resource], columns: WORKLOAD_COLUMNS[w.resource],
    cells: (o, now) => workloadCells(o as Workload, now),
    collection: (s) => s.workloads[w.resource] as unknown as Collection<KubeObject>,
  };
}

// The verbs listed are the ones kubesim serves (issue 11, item 7): pods are created, updated,
// patched and deleted (write.ts); namespaces, nodes and events are read-only here, so they list
// only get, list and watch rather than verbs a client would be refused with 405.
const API_RESOURCES = {
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [
    { name: 'events', singularName: 'event', namespaced: true, kind: 'Event', verbs: ['get', 'list', 'watch'], shortNames: ['ev'], storageVersionHash: 'r2yiGXH7wu8=' },
    { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['get', 'list', 'watch'], shortNames: ['ns'], storageVersionHash: 'Q3oi5N2YM8M=' },
    { name: 'namespaces/finalize', singularName: '', namespaced: false, kind: 'Namespace', verbs: ['update'] },
    { name: 'namespaces/status', singularName: '', namespaced: false, kind: 'Namespace', verbs: ['get', 'patch', 'update'] },
    { name: 'nodes', singularName: 'node', namespaced: false, kind: 'Node', verbs: ['get', 'list', 'watch'], shortNames: ['no'], storageVersionHash: 'XwShjMxG9Fs=' },
    { name: 'nodes/proxy', singularName: '', namespaced: false, kind: 'NodeProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
    { name: 'nodes/status', singularName: '', namespaced: false, kind: 'Node', verbs: ['get', 'patch', 'update'] },
    { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['po'], categories: ['all'], storageVersionHash: 'xPOwRZ+Yhw8=' },
    { name: 'pods/attach', singularName: '', namespaced: true, kind: 'PodAttachOptions', verbs: ['create', 'get'] },
    { name: 'pods/binding', singularName: '', namespaced: true, kind: 'Binding', verbs: ['create'] },
    { name: 'pods/ephemeralcontainers', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] },
    { name: 'pods/eviction', singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] },
    { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
    { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
    { name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
    { name: 'pods/proxy', singularName: '', namespaced: true, kind: 'PodProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
    { name: 'pods/resize', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] },
    { name: 'pods/status', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] },
  ],
};

// ---------------------------------------------------------------------------------------------
// Small HTTP helpers

const JSON_TYPE = 'application/json';
const TABLE_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

function sendJson(res: ServerResponse, code: number, body: unknown, contentType = JSON_TYPE): void {
  const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
    'X-Kubernetes-Pf-Flowschema-Uid': '0b6a0cb2-c0c5-4a1c-8e21-2b2e2bf9e8c1',
    'X-Kubernetes-Pf-Prioritylevel-Uid': '6a6c5f11-2c7f-4c38-9ad1-4d7d7a36f8c3',
  });
  res.end(text);
}

function sendStatus(res: ServerResponse, status: Status): void {
  sendJson(res, status.code, status);
}

const REASONS: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 410: 'Gone', 422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error',
  503: 'Service Unavailable', 504: 'Gateway Timeout',
};

/** An HTTP response written straight onto a socket we have not upgraded. */
function rawResponse(socket: Duplex, code: number, body: string, contentType: string | undefined): void {
  const headers = [`HTTP/1.1 ${code} ${REASONS[code] ?? 'Error'}`, 'Cache-Control: no-cache, private'];
  if (contentType) headers.push(`Content-Type: ${contentType}`);
  headers.push(`Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close', '', '');
  socket.end(headers.join('\r\n') + body);
}

function rawStatus(socket: Duplex, status: Status): void {
  rawResponse(socket, status.code, JSON.stringify(status), JSON_TYPE);
}

interface MediaPrefs {
  table: boolean;
}

/** Picks JSON or Table from an Accept header the way the server's content negotiation does. */
function negotiate(accept: string | undefined): MediaPrefs {
  if (!accept) return { table: false };
  for (const raw of accept.split(',')) {
    const [type, ...params] = raw.split(';').map((s) => s.trim());
    const p = new Map(params.map((kv) => kv.split('=').map((s) => s.trim()) as [string, string]));
    if (type === 'application/json' || type === '*/*' || type === 'application/*') {
      if (p.get('as') === 'Table' && p.get('g') === 'meta.k8s.io' && (p.get('v') === 'v1' || p.get('v') === 'v1beta1')) return { table: true };
      if (!p.has('as')) return { table: false };
    }
  }
  return { table: false };
}

// ---------------------------------------------------------------------------------------------
// Request parsing

interface ResourceRoute {
  /** "" for /api/v1, else the group of /apis/{group}/{version}. */
  group: string;
  version: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  watchPath: boolean;
}

/**
 * RequestInfoFactory for the core group: /api/v1/[watch/][namespaces/{ns}/]{resource}[/{name}[/{sub}]],
 * on the already percent-decoded path (params.ts parseTarget), as the API server splits it.
 */
function parseResourcePath(path: string): ResourceRoute | undefined {
  const parts = path.split('/').filter(Boolean);
  let group = '';
  let version = 'v1';
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1' && parts.length >= 3) {
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4 && WORKLOAD_GROUPS[`${parts[1]}/${parts[2]}`]) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  const route: ResourceRoute = { group, version, resource: '', watchPath };
  if (rest[0] === 'namespaces' && rest.length > 1) {
    route.namespace = rest[1];
    if (rest.length > 2 && rest[2] !== 'status' && rest[2] !== 'finalize') rest = rest.slice(2);
  }
  route.resource = rest[0] ?? '';
  if (rest.length > 1) route.name = rest[1];
  if (rest.length > 2) route.subresource = rest.slice(2).join('/');
  return route;
}

function verbFor(method: string, route: ResourceRoute, query: URLSearchParams): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      // Only a request without a name becomes a list or a watch; a named GET stays a get and its
      // handler (GetResource) ignores `watch`. The named watch is /api/v1/watch/.../{name}.
      if (route.watchPath || (!route.name && queryBool(query, 'watch'))) return 'watch';
      return route.name ? 'get' : 'list';
    case 'POST': return 'create';
    case 'PUT': return 'update';
    case 'PATCH': return 'patch';
    case 'DELETE': return route.name ? 'delete' : 'deletecollection';
    default: return method.toLowerCase();
  }
}

function attributesFor(user: User, verb: string, route: ResourceRoute): Attributes {
  const a: Attributes = { user, verb, group: route.group, resource: route.resource };
  if (route.subresource) a.subresource = route.subresource;
  if (route.namespace) a.namespace = route.namespace;
  if (route.name) a.name = route.name;
  return a;
}

function denied(a: Attributes): Status {
  if (a.path !== undefined) return forbidden('', '', forbiddenReason(a));
  return forbidden(a.resource ?? '', a.name ?? '', forbiddenReason(a), a.group ?? '');
}

// ---------------------------------------------------------------------------------------------
// ListOptions

interface ListOptions {
  watch: boolean;
  allowWatchBookmarks: boolean;
  resourceVersion: string;
  resourceVersionMatch: string;
  timeoutSeconds: number | undefined;
  limit: number;
  continue: string;
  sendInitialEvents: boolean | undefined;
}

/**
 * metav1.ListOptions from the query (autoConvert_url_Values_To_v1_ListOptions, in its field
 * order): booleans never fail, timeoutSeconds and limit are strconv.ParseInt and a failure is a
 * 400 with its bare message. Selectors are parsed after these (filterFor), as the conversion to
 * the internal version does.
 */
function listOptions(query: URLSearchParams): ListOptions | Status {
  const timeoutSeconds = queryInt64(query, 'timeoutSeconds');
  if (typeof timeoutSeconds === 'object') return timeoutSeconds;
  const limit = queryInt64(query, 'limit');
  if (typeof limit === 'object') return limit;
  return {
    watch: queryBool(query, 'watch'),
    allowWatchBookmarks: queryBool(query, 'allowWatchBookmarks'),
    resourceVersion: query.get('resourceVersion') ?? '',
    resourceVersionMatch: query.get('resourceVersionMatch') ?? '',
    timeoutSeconds,
    limit: limit ?? 0,
    continue: query.get('continue') ?? '',
    sendInitialEvents: queryOptionalBool(query, 'sendInitialEvents'),
  };
}

/**
 * metainternalversion validation.ValidateListOptions (the WatchList feature on, as in 1.35):
 * a 422 on ListOptions.meta.k8s.io with one cause per field error.
 */
function validateListOptions(opts: ListOptions, watch: boolean): Status | undefined {
  const causes: Array<{ reason: string; message: string; field: string }> = [];
  const forbid = (field: string, why: string) => causes.push({ reason: 'FieldValueForbidden', message: `Forbidden: ${why}`, field });
  const unsupported = (field: string, value: string, supported: string[]) => causes.push({
    reason: 'FieldValueNotSupported', field,
    message: `Unsupported value: ${goQuote(value)}: supported values: ${supported.map(goQuote).join(', ')}`,
  });
  const match = opts.resourceVersionMatch;
  if (watch) {
    if (opts.sendInitialEvents !== undefined && match !== 'NotOlderThan') {
      forbid('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
    }
    if (match) {
      if (opts.sendInitialEvents === undefined) forbid('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
      if (match !== 'NotOlderThan') unsupported('resourceVersionMatch', match, ['NotOlderThan']);
      if (opts.continue) forbid('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided');
    }
  } else {
    if (match) {
      if (!opts.resourceVersion) forbid('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided');
      if (opts.continue) forbid('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided');
      if (match !== 'Exact' && match !== 'NotOlderThan') unsupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']);
      if (match === 'Exact' && opts.resourceVersion === '0') forbid('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    }
    if (opts.sendInitialEvents !== undefined) forbid('sendInitialEvents', 'sendInitialEvents is forbidden for list');
  }
  if (causes.length === 0) return undefined;
  const texts = causes.map((c) => `${c.field}: ${c.message}`);
  const joined = texts.length === 1 ? texts[0]! : `[${texts.join(', ')}]`;
  return failure(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: ${joined}`, { group: 'meta.k8s.io', kind: 'ListOptions', causes });
}

/**
 * ErrorToAPIStatus for an error that is not an API status (a raw storage error): 500, and no
 * reason at all (StatusReasonUnknown is the empty string, omitted).
 */
function unknownError(message: string): Status {
  const status = failure(500, '', message);
  delete status.reason;
  return status;
}

// ---------------------------------------------------------------------------------------------
// Lists and continue tokens

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): ContinueToken | undefined {
  try {
    const raw = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: string; rv?: number; start?: string };
    if (raw.v !== 'meta.k8s.io/v1' || typeof raw.rv !== 'number' || typeof raw.start !== 'string') return undefined;
    return { rv: raw.rv, start: raw.start };
  } catch {
    return undefined;
  }
}

interface Filter {
  namespace: string | undefined;
  labels: LabelRequirement[];
  fields: FieldRequirement[];
  /** From metadata.name=..., to narrow lookups. */
}

function matches(filter: Filter, obj: KubeObject | undefined): boolean {
  if (!obj) return false;
  if (filter.namespace !== undefined && obj.metadata.namespace !== filter.namespace) return false;
  if (filter.labels.length > 0 && !matchesLabels(filter.labels, obj.metadata.labels)) return false;
  if (filter.fields.length > 0 && !matchesFields(filter.fields, (f) => fieldValue(obj, f))) return false;
  return true;
}

interface ListResult {
  rv: number;
  /** `item()`: the object as a list item (no kind/apiVersion). */
  items: Array<{ obj: KubeObject; item: () => Buffer }>;
  continueToken?: string;
  remaining?: number;
}

function listObjects(coll: Collection<KubeObject>, filter: Filter, limit: number, token: ContinueToken | undefined): ListResult {
  let rv = coll.revision.current;
  let changes: Map<string, KubeObject | undefined> | undefined;
  let start = '';
  if (token) {
    start = token.start;
    if (token.rv > 0) {
      rv = token.rv;
      changes = coll.changesSince(rv);
      if (changes.size === 0) changes = undefined;
    }
  }
  let keys = coll.keys();
  if (changes) {
    const all = new Set(keys);
    for (const k of changes.keys()) all.add(k);
    keys = [...all].sort();
  }
  const prefix = filter.namespace !== undefined ? `${filter.namespace}/` : '';
  let i = lowerBound(keys, start > prefix ? start : prefix);
  const items: ListResult['items'] = [];
  const selective = filter.labels.length > 0 || filter.fields.length > 0;
  let lastKey = '';
  for (; i < keys.length; i++) {
    const key = keys[i]!;
    if (prefix && !key.startsWith(prefix)) break;
    const historical = changes?.has(key);
    const obj = historical ? changes!.get(key) : coll.get(key);
    if (!obj || !matches(filter, obj)) continue;
    if (limit > 0 && items.length >= limit) {
      const result: ListResult = { rv, items, continueToken: encodeContinue(rv, lastKey + '\u0000') };
      if (!selective) {
        let remaining = 0;
        for (let j = i; j < keys.length; j++) {
          const k = keys[j]!;
          if (prefix && !k.startsWith(prefix)) break;
          const o = changes?.has(k) ? changes.get(k) : coll.get(k);
          if (o) remaining++;
        }
        result.remaining = remaining;
      }
      return result;
    }
    lastKey = key;
    items.push({ obj, item: historical ? () => itemBytes(obj) : () => coll.item(key)! });
  }
  return { rv, items };
}

// ---------------------------------------------------------------------------------------------
// The API

const BOOKMARK_INTERVAL_MS = 60_000;
/** How long the watch cache waits for a resourceVersion it has not seen (cacher blockTimeout). */
const TOO_LARGE_WAIT_MS = 3000;
/** The longest delay setTimeout honours. */
const MAX_TIMER_MS = 0x7fffffff;

export interface Api {
  onRequest(req: IncomingMessage, res: ServerResponse): void;
  onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

export function createApi(state: ApiState): Api {
  const wss = new WebSocketServer({
    noServer: true,
    autoPong: false,
    perMessageDeflate: false,
    handleProtocols: (_protocols, req) => ((req as IncomingMessage & { kubesimProtocol?: string }).kubesimProtocol || false),
  });
  // Pod create, update and patch, and the scheduling and start of created pods (write.ts).
  const writes = new PodWrites(state.pods, state.namespaces, state.nodes);
  // The Deployment and ReplicaSet controllers and every workload's status (workloads.ts); they
  // create pods through the same path as a POST, so pods are scheduled and started alike.
  const controllers = new WorkloadControllers(state.pods, state.workloads, {
    createPod: (namespace, pod) => writes.create(namespace, JSON.stringify(pod), new URLSearchParams()),
    deletePod: (namespace, name) => void state.deletePodGracefully(namespace, name, undefined),
    record: (obj, component, reason, message) => state.events.controller(obj, component, reason, message),
  });

  const delay = () => (state.faults.latencyMs > 0 ? new Promise<void>((r) => setTimeout(r, state.faults.latencyMs)) : Promise.resolve());

  /**
   * A target Go's server cannot parse never reaches the API server's handlers: over HTTP/1.1 it
   * writes a bare 400 and closes; over HTTP/2 it resets the stream with PROTOCOL_ERROR.
   */
  function refuseTarget(req: IncomingMessage): void {
    const stream = (req as unknown as Partial<Http2ServerRequest>).stream;
    if (stream) return void stream.close(http2.NGHTTP2_PROTOCOL_ERROR);
    req.socket.end(GO_BAD_REQUEST);
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await delay();
    const target = parseTarget(req.url ?? '/');
    if (!target) return refuseTarget(req);
    const { path, query } = target;
    const method = req.method ?? 'GET';
    const user = authenticate(req, state.tokens);
    if (!user) return sendStatus(res, unauthorized());

    const route = parseResourcePath(path);
    if (!route) {
      const a: Attributes = { user, verb: method === 'GET' || method === 'HEAD' ? 'get' : method.toLowerCase(), path };
      if (!authorize(a)) return sendStatus(res, denied(a));
      return serveNonResource(path, req, res);
    }
    const verb = verbFor(method, route, query);
    const attrs = attributesFor(user, verb, route);
    if (!authorize(attrs)) return sendStatus(res, denied(attrs));

    const def = route.group ? WORKLOAD_GROUPS[`${route.group}/${route.version}`]![route.resource] : RESOURCES[route.resource];
    if (!def || (def.namespaced === false && route.namespace !== undefined && route.resource !== 'namespaces')) {
      return sendStatus(res, pathNotFound());
    }
    if (route.subresource) return serveSubresource(def, route, verb, req, res, query);
    const media = negotiate(req.headers.accept);
    switch (verb) {
      case 'get': return serveGet(def, route, res, media, query);
      case 'list': return serveList(def, route, res, media, query);
      case 'watch': return serveWatch(def, route, req, res, media, query);
      case 'delete': return serveDelete(def, route, req, res, query);
      case 'create':
      case 'update':
      case 'patch': return serveWrite(def, route, verb, req, res, query);
      default: return sendStatus(res, methodNotSupported(def.name, verb));
    }
  }

  function serveNonResource(path: string, req: IncomingMessage, res: ServerResponse): void {
    const p = path.replace(/\/+$/, '') || '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendStatus(res, pathNotFound());
    switch (p) {
      case '/version': return sendJson(res, 200, VERSION);
      case '/healthz':
      case '/livez':
      case '/readyz':
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
        return void res.end('ok');
      case '/api':
        if (wantsAggregated(req.headers.accept)) return sendJson(res, 200, coreDiscovery(API_RESOURCES.resources), AGGREGATED_TYPE);
        return sendJson(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }] });
      case '/api/v1':
        return sendJson(res, 200, API_RESOURCES);
      case '/openapi/v3':
        return sendJson(res, 200, openapiV3Root());
      case '/openapi/v3/api/v1':
        return sendJson(res, 200, openapiV3CoreV1());
      case '/apis':
        if (wantsAggregated(req.headers.accept)) return sendJson(res, 200, groupsDiscovery(API_GROUPS), AGGREGATED_TYPE);
        return sendJson(res, 200, legacyGroupDocument(API_GROUPS, p));
      default: {
        // /apis/{group} and /apis/{group}/{version} of the groups kubesim serves.
        const doc = legacyGroupDocument(API_GROUPS, p);
        if (doc) return sendJson(res, 200, doc);
        return sendStatus(res, pathNotFound());
      }
    }
  }

  function filterFor(def: ResourceDef, route: ResourceRoute, query: URLSearchParams): Filter | Status {
    try {
      const filter: Filter = {
        namespace: def.namespaced ? route.namespace : undefined,
        labels: parseLabelSelector(query.get('labelSelector') ?? ''),
        fields: parseFieldSelector(query.get('fieldSelector') ?? '', def.fields),
      };
      if (!def.namespaced && def.name === 'namespaces' && route.name) {
        filter.fields.push({ field: 'metadata.name', op: 'eq', value: route.name });
      } else if (route.name) {
        filter.fields.push({ field: 'metadata.name', op: 'eq', value: route.name });
      }
      return filter;
    } catch (err) {
      if (err instanceof SelectorError) return badRequest(err.message);
      throw err;
    }
  }

  function includeObject(query: URLSearchParams): IncludeObject {
    const v = query.get('includeObject');
    return v === 'None' || v === 'Object' ? v : 'Metadata';
  }

  function keyOf(def: ResourceDef, route: ResourceRoute): string {
    return def.namespaced ? `${route.namespace}/${route.name}` : route.name!;
  }

  /** GetResource, in its order: `export`, then the store's key function, then the read. */
  function serveGet(def: ResourceDef, route: ResourceRoute, res: ServerResponse, media: MediaPrefs, query: URLSearchParams): void {
    if (def.namespaced && !route.namespace) return sendStatus(res, pathNotFound());
    if (queryBool(query, 'export')) return sendStatus(res, badRequest('the export parameter, deprecated since v1.14, is no longer supported'));
    const bad = invalidName(route.name!);
    if (bad) return sendStatus(res, bad);
    // A resourceVersion sends the read to the watch cache, whose parse error is a storage error
    // no layer translates: the API server answers it as a 500 with no reason.
    const rv = parseResourceVersion(query.get('resourceVersion') ?? '');
    if ('error' in rv) return sendStatus(res, unknownError(rv.error));
    const coll = def.collection(state);
    const key = keyOf(def, route);
    const obj = coll.get(key);
    if (!obj) return sendStatus(res, notFound(def.name, route.name!, def.group));
    if (media.table) {
      const now = Date.now();
      return sendJson(res, 200, {
        kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: obj.metadata.resourceVersion },
        columnDefinitions: def.columns, rows: [tableRow(obj, def.cells(obj, now), includeObject(query))],
      }, TABLE_TYPE);
    }
    sendJson(res, 200, coll.bytes(key)!);
  }

  function serveList(def: ResourceDef, route: ResourceRoute, res: ServerResponse, media: MediaPrefs, query: URLSearchParams): void {
    const opts = listOptions(query);
    if ('code' in opts) return sendStatus(res, opts);
    const filter = filterFor(def, route, query);
    if ('code' in filter) return sendStatus(res, filter);
    const invalid = validateListOptions(opts, false);
    if (invalid) return sendStatus(res, invalid);
    const coll = def.collection(state);
    // The storage pages only when limit > 0; a negative limit lists everything, unrefused.
    const limit = Math.max(opts.limit, 0);
    let token: ContinueToken | undefined;
    const cont = query.get('continue');
    if (cont) {
      token = decodeContinue(cont);
      // storage.ValidateListOptions wraps DecodeContinue's error; the token format is kubesim's own.
      if (!token) return sendStatus(res, badRequest('invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)'));
      // storage.ValidateListOptions: a continue token carries its own resourceVersion.
      if (opts.resourceVersion !== '' && opts.resourceVersion !== '0') {
        return sendStatus(res, badRequest('specifying resource version is not allowed when using continue'));
      }
      if (token.rv > 0 && token.rv < coll.oldestServable) {
        return sendStatus(res, expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
          encodeContinue(-1, token.start),
        ));
      }
    }
    if (!token) {
      const rv = parseResourceVersion(opts.resourceVersion);
      if ('error' in rv) return sendStatus(res, badRequest(`invalid resource version: ${rv.error}`));
    }
    const result = listObjects(coll, filter, limit, token);
    const meta: Record<string, unknown> = { resourceVersion: String(result.rv) };
    if (result.continueToken) meta['continue'] = result.continueToken;
    if (result.remaining !== undefined) meta['remainingItemCount'] = result.remaining;
    if (media.table) {
      const now = Date.now();
      const include = includeObject(query);
      return sendJson(res, 200, {
        kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: meta, columnDefinitions: def.columns,
        rows: result.items.map(({ obj }) => tableRow(obj, def.cells(obj, now), include)),
      }, TABLE_TYPE);
    }
    const parts: Buffer[] = [Buffer.from(`{"kind":"${def.kind}List","apiVersion":"${def.apiVersion}","metadata":${JSON.stringify(meta)},"items":[`)];
    const comma = Buffer.from(',');
    result.items.forEach((i, n) => {
      if (n > 0) parts.push(comma);
      parts.push(i.item());
    });
    parts.push(Buffer.from(']}'));
    sendJson(res, 200, Buffer.concat(parts));
  }

  async function serveWatch(def: ResourceDef, route: ResourceRoute, req: IncomingMessage, res: ServerResponse, media: MediaPrefs, query: URLSearchParams): Promise<void> {
    const opts = listOptions(query);
    if ('code' in opts) return sendStatus(res, opts);
    const filter = filterFor(def, route, query);
    if ('code' in filter) return sendStatus(res, filter);
    const invalid = validateListOptions(opts, true);
    if (invalid) return sendStatus(res, invalid);
    const coll = def.collection(state);
    const rvParam = opts.resourceVersion;
    const sendInitial = opts.sendInitialEvents;
    // The watch cache's own parse of resourceVersion fails with a storage error that no layer
    // translates (the registry returns it as is): the API server answers 500 with no reason.
    const parsedRv = parseResourceVersion(rvParam);
    if ('error' in parsedRv) return sendStatus(res, unknownError(parsedRv.error));
    const now = Date.now();
    const include = includeObject(query);
    const bookmarks = opts.allowWatchBookmarks;
    const timeoutSeconds = opts.timeoutSeconds ?? 0;

    res.writeHead(200, {
      'Content-Type': media.table ? TABLE_TYPE : JSON_TYPE,
      'Cache-Control': 'no-cache, private',
    });
    res.flushHeaders();

    const objectJson = (obj: KubeObject, bytes?: Buffer): string | Buffer => {
      if (!media.table) return bytes ?? JSON.stringify(obj);
      return JSON.stringify({
        kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: obj.metadata.resourceVersion },
        columnDefinitions: def.columns, rows: [tableRow(obj, def.cells(obj, Date.now()), include)],
      });
    };
    const write = (type: string, objJson: string | Buffer) => {
      if (res.writableEnded) return;
      if (typeof objJson === 'string') res.write(`{"type":"${type}","object":${objJson}}\n`);
      else res.write(Buffer.concat([Buffer.from(`{"type":"${type}","object":`), objJson, Buffer.from('}\n')]));
    };
    const bookmark = (rv: number, initialEnd = false) => {
      const metadata: Record<string, unknown> = { resourceVersion: String(rv), creationTimestamp: null };
      if (initialEnd) metadata['annotations'] = { 'k8s.io/initial-events-end': 'true' };
      // An empty object of the kind, as the watch cache serialises it.
      const empty = def.kind === 'Event'
        ? { involvedObject: {}, source: {}, firstTimestamp: null, lastTimestamp: null, eventTime: null, reportingComponent: '', reportingInstance: '' }
        : { spec: def.kind === 'Pod' ? { containers: null } : {}, status: {} };
      write('BOOKMARK', JSON.stringify({ kind: def.kind, apiVersion: def.apiVersion, metadata, ...empty }));
    };

    let startRv: number;
    const initial = rvParam === '' || rvParam === '0' ? sendInitial !== false : sendInitial === true;
    if (rvParam !== '' && rvParam !== '0') {
      startRv = parsedRv.value;
      if (startRv < coll.oldestServable) {
        write('ERROR', JSON.stringify(expired(`too old resource version: ${startRv} (${coll.oldestServable})`)));
        res.end();
        return;
      }
      // A resourceVersion this server has not reached yet (read from another server, or another
      // cluster): the watch cache waits up to 3 s for it, then gives up with a 504.
      const deadline = Date.now() + TOO_LARGE_WAIT_MS;
      while (startRv > coll.revision.current && Date.now() < deadline && !res.writableEnded && !res.destroyed) {
        await new Promise((r) => setTimeout(r, 50));
      }
      if (res.writableEnded || res.destroyed) return;
      if (startRv > coll.revision.current) {
        write('ERROR', JSON.stringify(failure(504, 'Timeout', `Timeout: Too large resource version: ${startRv}, current: ${coll.revision.current}`, {
          causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
          retryAfterSeconds: 1,
        })));
        res.end();
        return;
      }
    } else {
      startRv = coll.revision.current;
    }

    const deliver = (event: StoreEvent<KubeObject>) => {
      const was = event.prev ? matches(filter, event.prev) : false;
      const is = event.type !== 'DELETED' && matches(filter, event.obj);
      let type: string | undefined;
      if (event.type === 'ADDED') type = is ? 'ADDED' : undefined;
      else if (event.type === 'DELETED') type = was ? 'DELETED' : undefined;
      else if (was && is) type = 'MODIFIED';
      else if (!was && is) type = 'ADDED';
      else if (was && !is) type = 'DELETED';
      if (type) write(type, objectJson(event.obj));
    };

    if (initial) {
      const rv = coll.revision.current;
      const snapshot = listObjects(coll, filter, 0, undefined);
      for (const item of snapshot.items) write('ADDED', objectJson(item.obj, media.table ? undefined : objectBytes(item.obj, item.item())));
      if (sendInitial === true) bookmark(rv, true);
      startRv = rv;
    } else if (startRv < coll.revision.current) {
      for (const event of coll.eventsAfter(startRv)) deliver(event);
    }
    const unsubscribe = coll.watch({ onEvent: deliver });

    const timers: NodeJS.Timeout[] = [];
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      unsubscribe();
      untrack();
      for (const t of timers) clearTimeout(t);
      if (!res.writableEnded) res.end();
    };
    const untrack = state.trackWatch(end);
    // A negative timeout is a Go timer that has already fired: the watch ends at once. One past
    // setTimeout's range (about 24 days) would fire at once in Node; it is as good as none.
    const timeoutMs = Math.max(timeoutSeconds, 0) * 1000;
    if (timeoutSeconds !== 0 && timeoutMs <= MAX_TIMER_MS) timers.push(setTimeout(end, timeoutMs));
    if (bookmarks) {
      const periodic = setInterval(() => bookmark(coll.revision.current), BOOKMARK_INTERVAL_MS);
      timers.push(periodic);
      // The watch cache also sends one shortly before the watch's deadline.
      if (timeoutSeconds > 2 && timeoutMs <= MAX_TIMER_MS) timers.push(setTimeout(() => bookmark(coll.revision.current), (timeoutSeconds - 2) * 1000));
    }
    req.on('close', end);
    res.on('close', end);
    void now;
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  /**
   * DeleteResource: DeleteOptions from the body when there is one, else from the query (where a
   * bad gracePeriodSeconds is a 400); then the store's key function and the lookup.
   */
  async function serveDelete(def: ResourceDef, route: ResourceRoute, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    const body = await readBody(req);
    if (def.name !== 'pods') return sendStatus(res, methodNotSupported(def.name, 'delete'));
    let grace: number | undefined;
    if (body.length > 0) {
      try {
        const opts = JSON.parse(body) as { gracePeriodSeconds?: number };
        if (typeof opts.gracePeriodSeconds === 'number') grace = opts.gracePeriodSeconds;
      } catch {
        return sendStatus(res, badRequest(`couldn't get version/kind; json parse error: ${body.slice(0, 40)}`));
      }
    } else {
      const fromQuery = queryInt64(query, 'gracePeriodSeconds');
      if (typeof fromQuery === 'object') return sendStatus(res, fromQuery);
      grace = fromQuery;
    }
    // rest.BeforeDelete: "Negative values will be treated as the value `1s` on the delete path."
    if (grace !== undefined && grace < 0) grace = 1;
    const bad = invalidName(route.name!);
    if (bad) return sendStatus(res, bad);
    const key = keyOf(def, route);
    if (!state.pods.has(key)) return sendStatus(res, notFound('pods', route.name!));
    const pod = state.deletePodGracefully(route.namespace!, route.name!, grace);
    sendJson(res, 200, pod);
  }

  /**
   * POST to a collection, PUT and PATCH to an object: pods only (discovery advertises these verbs
   * for pods alone). The body is read first, as the handlers decode it before anything else.
   */
  async function serveWrite(def: ResourceDef, route: ResourceRoute, verb: string, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    const body = await readBody(req);
    if (def.name !== 'pods') return sendStatus(res, methodNotSupported(def.name, verb));
    if (!route.namespace) return sendStatus(res, pathNotFound());
    if (verb === 'create') {
      // go-restful routes POST only to the collection; a POST to an object matches no route.
      if (route.name) return sendStatus(res, failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
      const a = writes.create(route.namespace, body, query);
      return sendJson(res, a.code, a.body);
    }
    const bad = invalidName(route.name!);
    if (bad) return sendStatus(res, bad);
    const a = verb === 'update'
      ? writes.update(route.namespace, route.name!, body, query)
      : writes.patch(route.namespace, route.name!, String(req.headers['content-type'] ?? ''), body, query);
    sendJson(res, a.code, a.body);
  }

  /**
   * deployments/{name}/scale (autoscaling/v1 Scale): get, update, and patch (merge, strategic
   * merge, JSON patch: a Scale has only `spec.replicas` to change), as `kubectl scale` sends it.
   */
  async function serveScale(def: ResourceDef, route: ResourceRoute, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const method = req.method ?? 'GET';
    if (!route.namespace) return sendStatus(res, pathNotFound());
    const bad = invalidName(route.name!);
    if (bad) return sendStatus(res, bad);
    const key = keyOf(def, route);
    const current = state.workloads.deployments.get(key);
    if (!current) return sendStatus(res, notFound(def.name, route.name!, def.group));
    if (method === 'GET') return sendJson(res, 200, scaleOf(current));
    if (method !== 'PUT' && method !== 'PATCH') return sendStatus(res, methodNotSupported(`${def.name}/scale`, verbFor(method, route, new URLSearchParams())));
    let next: Json;
    try {
      const input = JSON.parse(body) as Json;
      const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim();
      if (method === 'PUT') next = input;
      else if (type === 'application/json-patch+json') next = jsonPatch(scaleOf(current) as Json, input);
      else if (type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json') next = mergePatch(scaleOf(current) as Json, input);
      else return sendStatus(res, failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`));
    } catch (err) {
      if (err instanceof PatchError) return sendStatus(res, failure(422, 'Invalid', err.message));
      return sendStatus(res, badRequest(`error decoding patch: ${(err as Error).message}`));
    }
    const spec = isObject(next) && isObject(next['spec']) ? next['spec'] : {};
    const replicas = spec['replicas'] ?? 0;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      const shown = typeof replicas === 'number' ? String(replicas) : JSON.stringify(replicas);
      return sendStatus(res, failure(422, 'Invalid', `Scale.autoscaling "${route.name}" is invalid: spec.replicas: Invalid value: ${shown}: must be greater than or equal to 0`, {
        name: route.name!, group: 'autoscaling', kind: 'Scale',
        causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${shown}: must be greater than or equal to 0`, field: 'spec.replicas' }],
      }));
    }
    sendJson(res, 200, scaleOf(controllers.scaleDeployment(key, replicas)));
  }

  function serveSubresource(def: ResourceDef, route: ResourceRoute, verb: string, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void | Promise<void> {
    if (def.name === 'deployments' && route.subresource === 'scale') return serveScale(def, route, req, res);
    if (def.name !== 'pods') return sendStatus(res, pathNotFound());
    const pod = state.pods.get(keyOf(def, route));
    // Each pod subresource reads the pod through the store's key function, which refuses a name
    // that cannot be a path segment (after decoding the options, where a subresource has them).
    const bad = route.namespace ? invalidName(route.name!) : undefined;
    switch (route.subresource) {
      case 'status':
        if (bad) return sendStatus(res, bad);
        if (!pod) return sendStatus(res, notFound('pods', route.name!));
        return sendJson(res, 200, pod);
      case 'exec':
      case 'attach': {
        // A request that reaches here was not a WebSocket upgrade: a SPDY (POST) attempt, or a
        // plain GET. Checks and errors match the upgrade path; the streaming itself needs SPDY.
        const check = checkStream(route, query, req.method === 'GET' ? 'get' : 'create', req);
        if ('code' in check) return sendStatus(res, check);
        return sendStatus(res, badRequest('Upgrade request required'));
      }
      case 'log':
        if (bad) return sendStatus(res, bad);
        return serveLog(route, req, res, query, pod);
      case 'portforward': {
        // Not an upgrade: ConnectResource decodes the options, PortForwardLocation finds the pod,
        // and the proxy to the kubelet refuses the plain request.
        const ports = queryPorts(query);
        if (!Array.isArray(ports)) return sendStatus(res, ports);
        if (bad) return sendStatus(res, bad);
        return sendStatus(res, pod ? badRequest('Upgrade request required') : notFound('pods', route.name!));
      }
      case 'ephemeralcontainers':
        if (!route.namespace) return sendStatus(res, pathNotFound());
        if (bad) return sendStatus(res, bad);
        return state.ephemeral.serve(req.method ?? 'GET', route.namespace, route.name!, req).then((a) => sendJson(res, a.code, a.body));
      default:
        return sendStatus(res, pathNotFound());
    }
    void verb;
  }

  function serveLog(route: ResourceRoute, req: IncomingMessage, res: ServerResponse, query: URLSearchParams, pod: Pod | undefined): void {
    if (!pod) return sendStatus(res, notFound('pods', route.name!));
    const container = resolveContainer(pod, query.get('container') ?? '');
    if (typeof container !== 'string') return sendStatus(res, container);
    serveLogs(state.processes, req, res, pod, container, query);
  }

  /** streamLocation's container choice; returns the name or a 400 Status. */
  function resolveContainer(pod: Pod, requested: string): string | Status {
    const name = pod.metadata.name;
    const names = (list: Array<{ name: string }> | undefined) => (list ?? []).map((c) => c.name).join(' ');
    if (!requested) {
      if (pod.spec.containers.length === 1) return pod.spec.containers[0]!.name;
      if (pod.spec.containers.length === 0) return badRequest(`a container name must be specified for pod ${name}`);
      let msg = `a container name must be specified for pod ${name}, choose one of: [${names(pod.spec.containers)}]`;
      if (pod.spec.initContainers?.length) msg += ` or one of the init containers: [${names(pod.spec.initContainers)}]`;
      if (pod.spec.ephemeralContainers?.length) msg += ` or one of the ephemeral containers: [${names(pod.spec.ephemeralContainers)}]`;
      return badRequest(msg);
    }
    const all = [...pod.spec.containers, ...(pod.spec.initContainers ?? []), ...(pod.spec.ephemeralContainers ?? [])];
    if (!all.some((c) => c.name === requested)) return badRequest(`container ${requested} is not valid for pod ${name}`);
    return requested;
  }

  interface StreamCheck {
    pod: Pod;
    container: string;
    image: string;
  }

  /** Authentication, authorization, the refuse-upgrade fault and streamLocation's checks. */
  function checkStream(route: ResourceRoute, query: URLSearchParams, firstVerb: 'get' | 'create', req: IncomingMessage): StreamCheck | Status {
    const user = authenticate(req, state.tokens);
    if (!user) return unauthorized();
    const attrs = attributesFor(user, firstVerb, route);
    if (!authorize(attrs)) return denied(attrs);
    if (firstVerb === 'get') {
      const create = attributesFor(user, 'create', route);
      if (!authorize(create)) return denied(create);
    }
    if (state.faults.refuseUpgrade) {
      const { code, message } = state.faults.refuseUpgrade;
      return failure(code, reasonFor(code), message);
    }
    if (!route.namespace) return pathNotFound();
    const bad = invalidName(route.name!);
    if (bad) return bad;
    const pod = state.pods.get(`${route.namespace}/${route.name}`);
    if (!pod) return notFound('pods', route.name!);
    const container = resolveContainer(pod, query.get('container') ?? '');
    if (typeof container !== 'string') return container;
    if (!pod.spec.nodeName) return badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
    const spec = [...pod.spec.containers, ...(pod.spec.initContainers ?? []), ...(pod.spec.ephemeralContainers ?? [])].find((c) => c.name === container)!;
    return { pod, container, image: spec.image };
  }

  /** The kubelet's findContainer: only running containers of running pods can be exec'd into. */
  function containerRunning(pod: Pod, container: string): boolean {
    if (pod.status.phase !== 'Running') return false;
    const statuses = [...(pod.status.containerStatuses ?? []), ...(pod.status.initContainerStatuses ?? []), ...((pod.status['ephemeralContainerStatuses'] as Pod['status']['containerStatuses']) ?? [])];
    const s = statuses.find((c) => c.name === container);
    if (!s) return statuses.length === 0 && pod.spec.containers.some((c) => c.name === container);
    return s.state['running'] !== undefined;
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    await delay();
    const target = parseTarget(req.url ?? '/');
    if (!target) return void socket.end(GO_BAD_REQUEST);
    const route = parseResourcePath(target.path);
    if (route?.resource === 'pods' && route.subresource === 'portforward' && route.name) {
      return state.portForward.onUpgrade(req, socket, head, route.namespace, route.name, state.tokens);
    }
    const isWebSocket = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    if (!route || route.resource !== 'pods' || (route.subresource !== 'exec' && route.subresource !== 'attach')) {
      const user = authenticate(req, state.tokens);
      if (!user) return rawStatus(socket, unauthorized());
      return rawStatus(socket, badRequest(`kubesim: upgrade is only supported for pods/exec and pods/attach, not ${target.path}`));
    }
    const method = req.method ?? 'GET';
    const check = checkStream(route, target.query, method === 'GET' ? 'get' : 'create', req);
    if ('code' in check) return rawStatus(socket, check);
    if (!isWebSocket) {
      // kubectl retries a refused WebSocket upgrade over SPDY (POST, Upgrade: SPDY/3.1); the
      // checks above give it the same Status a real server would. Streaming SPDY is not modelled.
      return rawStatus(socket, failure(500, 'InternalError', `kubesim: ${req.headers.upgrade ?? 'this'} streaming is not implemented; use a WebSocket (${V5})`));
    }
    if (route.subresource === 'attach') return state.runtime.onUpgrade(req, socket, head, check);

    // PodExecOptions as the API server decodes them (any spelling but "0" and "false" is true);
    // it then passes them to the kubelet re-encoded as "1", which is all the kubelet accepts.
    const q = target.query;
    const command = q.getAll('command');
    const tty = queryBool(q, 'tty');
    const stdin = queryBool(q, 'stdin');
    const stdout = queryBool(q, 'stdout');
    // The kubelet drops stderr on a terminal: the PTY merges it into stdout.
    const stderr = queryBool(q, 'stderr') && !tty;

    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const protocol = negotiateProtocol(offered);
    // What the kubelet refuses before upgrading, and how each path reports it.
    let kubeletError: string | undefined;
    if (!stdin && !stdout && !stderr) kubeletError = 'you must specify at least 1 of stdin, stdout, stderr';
    else if (!containerRunning(check.pod, check.container)) kubeletError = `container not found ("${check.container}")`;

    if (protocol !== V5) {
      // Proxied to the kubelet as is: its refusals are plain text, its handshake failure a bare 403.
      if (kubeletError) return rawResponse(socket, kubeletError.startsWith('you must') ? 400 : 500, kubeletError, 'text/plain; charset=utf-8');
      if (protocol === undefined) return rawResponse(socket, 403, '', undefined);
    }
    if (command.length === 0 && !kubeletError) {
      return rawStatus(socket, badRequest('you must specify at least one command for the container'));
    }

    (req as IncomingMessage & { kubesimProtocol?: string }).kubesimProtocol = protocol;
    wss.handleUpgrade(req, socket, head, (ws) => {
      const request: ExecRequest = { pod: check.pod, container: check.container, image: check.image, command, stdin, stdout, stderr, tty, protocol: protocol ?? '' };
      if (kubeletError) {
        // The translator has already upgraded the client when the kubelet refuses.
        const status = internalError(`unable to upgrade connection: ${kubeletError}`);
        const ready = stdout ? 1 : stderr ? 2 : 3;
        ws.send(Buffer.from([ready]));
        ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(status))]), () => ws.close(1000));
        return;
      }
      void state.exec.serve(ws, request).catch((err: Error) => {
        ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(internalError(`kubesim: ${err.message}`)))]), () => ws.close(1000));
      });
    });
  }

  return {
    onRequest: (req, res) => {
      onRequest(req, res).catch((err: Error) => {
        if (!res.headersSent) sendStatus(res, internalError(`kubesim: ${err.stack ?? err.message}`));
        else res.destroy();
      });
    },
    onUpgrade: (req, socket, head) => {
      onUpgrade(req, socket, head).catch((err: Error) => rawStatus(socket, internalError(`kubesim: ${err.message}`)));
    },
    close: () => {
      writes.stop();
      controllers.stop();
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
  };
}

function reasonFor(code: number): string {
  switch (code) {
    case 400: return 'BadRequest';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 409: return 'Conflict';
    case 410: return 'Expired';
    case 429: return 'TooManyRequests';
    case 500: return 'InternalError';
    case 503: return 'ServiceUnavailable';
    case 504: return 'Timeout';
    default: return 'Unknown';
  }
}
