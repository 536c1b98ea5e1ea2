// Writing pods: create (POST), update (PUT) and patch (PATCH), as the API server's registry does
// them (apiserver/pkg/endpoints/handlers/{create,update,patch}.go, pkg/registry/core/pod/strategy.go,
// pkg/apis/core/validation/validation.go), then what the scheduler and kubelet do to a new pod.
//
// Create, in the server's order: decode; the namespace in the body must match the URL's (400);
// the NamespaceLifecycle admission plugin refuses a namespace that does not exist (404
// `namespaces "x" not found`); defaulting (SetDefaults_Pod*, plus the ServiceAccount,
// DefaultTolerationSeconds and Priority admission plugins' additions); validation (422 Invalid,
// one cause per field error, worded as apimachinery's field.Error prints them); storage, where a
// name taken is `409 AlreadyExists`. The stored pod is Pending with no node, as PrepareForCreate
// leaves it; the scheduler then binds it (MODIFIED: nodeName, PodScheduled) and the kubelet pulls
// and starts it (MODIFIED: Running, ready), or reports ErrImagePull then ImagePullBackOff for an
// image kubesim cannot "pull" (images.ts kubesimImage), as containerd words it.
//
// Update and patch: the new object's status is the old one's (PrepareForUpdate: the main resource
// cannot write status); a resourceVersion in the body that is not the current one is
// `409 Conflict` (GuaranteedUpdate's precondition, NewConflict's wording); a pod's spec may
// change only in the fields ValidatePodUpdate allows, else 422 with its message; labels and
// annotations (metadata) change freely. Server-side apply (application/apply-patch+yaml) is not
// modelled (managed fields and ownership conflicts): it is refused with the 415 a server gives
// for a patch type it does not serve, and the list of accepted types says so.
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { imageID, iso, qualifiedImage, type ContainerSpec, type ContainerStatus, type Namespace, type Pod } from './fixtures.ts';
import { imageBase, kubesimImage } from './images.ts';
import { isObject, jsonPatch, mergePatch, PatchError, strategicMerge, type Json } from './patch.ts';
import { badRequest, failure, internalError, notFound, type Status, type StatusCause } from './status.ts';
import type { Collection, KubeObject } from './store.ts';

export interface Answer {
  code: number;
  body: unknown;
}

export interface LifecycleTimings {
  /** From creation to the scheduler's binding. */
  scheduleAfterMs: number;
  /** From binding to the containers running (or the image pull failing). */
  startAfterMs: number;
  /** From ErrImagePull to ImagePullBackOff. */
  backOffAfterMs: number;
}

/** Shortened like kubesim's other delays; a cluster takes about a second for each. */
const DEFAULT_TIMINGS: LifecycleTimings = { scheduleAfterMs: 20, startAfterMs: 150, backOffAfterMs: 1000 };

// ---------------------------------------------------------------------------------------------
// Field errors, as apimachinery's field.Error prints them

interface FieldError {
  reason: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueDuplicate' | 'FieldValueForbidden';
  field: string;
  /** ErrorBody(): the message without the field. */
  body: string;
}

const q = (s: unknown) => JSON.stringify(s);

const required = (field: string, detail = ''): FieldError => ({ reason: 'FieldValueRequired', field, body: detail ? `Required value: ${detail}` : 'Required value' });
const invalid = (field: string, value: string, detail: string): FieldError => ({ reason: 'FieldValueInvalid', field, body: `Invalid value: ${q(value)}: ${detail}` });
const duplicate = (field: string, value: string): FieldError => ({ reason: 'FieldValueDuplicate', field, body: `Duplicate value: ${q(value)}` });
const forbidden = (field: string, detail: string): FieldError => ({ reason: 'FieldValueForbidden', field, body: `Forbidden: ${detail}` });

/** errors.NewInvalid(Kind=Pod, name, errs): `Pod "x" is invalid: <one>` or `[<a>, <b>]`. */
function invalidPod(name: string, errors: FieldError[]): Status {
  const messages = [...new Set(errors.map((e) => `${e.field}: ${e.body}`))];
  const aggregate = messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`;
  const causes: StatusCause[] = errors.map((e) => ({ reason: e.reason, message: e.body, field: e.field }));
  return failure(422, 'Invalid', `Pod ${q(name)} is invalid: ${aggregate}`, { name, kind: 'Pod', causes });
}

// apimachinery/pkg/util/validation/validation.go: the messages and regexes as printed.
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_LABEL_MESSAGE = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_SUBDOMAIN_MESSAGE = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_VALUE_MESSAGE = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const QUALIFIED_NAME_MESSAGE = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

/** ValidateLabels: IsQualifiedName for keys, IsValidLabelValue for values. */
function validateLabels(labels: Record<string, string> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    const slash = k.lastIndexOf('/');
    const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
    const name = slash >= 0 ? k.slice(slash + 1) : k;
    if (prefix !== undefined && (prefix.length === 0 || !DNS1123_SUBDOMAIN.test(prefix))) errs.push(invalid(field, k, `prefix part ${DNS1123_SUBDOMAIN_MESSAGE}`));
    if (name.length === 0) errs.push(invalid(field, k, 'name part must be non-empty'));
    else if (name.length > 63) errs.push(invalid(field, k, 'name part must be no more than 63 characters'));
    else if (!QUALIFIED_NAME.test(name)) errs.push(invalid(field, k, QUALIFIED_NAME_MESSAGE));
    if (typeof v !== 'string') continue;
    if (v.length > 63) errs.push(invalid(field, v, 'must be no more than 63 characters'));
    if (!LABEL_VALUE.test(v)) errs.push(invalid(field, v, LABEL_VALUE_MESSAGE));
  }
  return errs;
}

/** ValidatePodCreate / ValidatePodUpdate's common part: ValidateObjectMeta, then the containers of ValidatePodSpec. */
function validatePod(pod: Pod): FieldError[] {
  const errs: FieldError[] = [];
  const name = pod.metadata.name ?? '';
  if (!name) errs.push(required('metadata.name', 'name or generateName is required'));
  else {
    // ValidatePodName is NameIsDNSSubdomain; each message is its own error.
    if (name.length > 253) errs.push(invalid('metadata.name', name, 'must be no more than 253 characters'));
    if (!DNS1123_SUBDOMAIN.test(name)) errs.push(invalid('metadata.name', name, DNS1123_SUBDOMAIN_MESSAGE));
  }
  errs.push(...validateLabels(pod.metadata.labels, 'metadata.labels'));
  const seen = new Set<string>();
  const check = (list: ContainerSpec[] | undefined, path: string) => (list ?? []).forEach((c, i) => {
    const at = `${path}[${i}]`;
    const cname = typeof c.name === 'string' ? c.name : '';
    if (!cname) errs.push(required(`${at}.name`));
    else {
      if (cname.length > 63) errs.push(invalid(`${at}.name`, cname, 'must be no more than 63 characters'));
      if (!DNS1123_LABEL.test(cname)) errs.push(invalid(`${at}.name`, cname, DNS1123_LABEL_MESSAGE));
    }
    if (cname && seen.has(cname)) errs.push(duplicate(`${at}.name`, cname));
    else if (cname) seen.add(cname);
    const image = typeof c.image === 'string' ? c.image : '';
    if (!image) errs.push(required(`${at}.image`));
    else if (image.trim() !== image) errs.push(invalid(`${at}.image`, image, 'must not have leading or trailing whitespace'));
  });
  check(pod.spec.initContainers, 'spec.initContainers');
  if (!Array.isArray(pod.spec.containers) || pod.spec.containers.length === 0) errs.push(required('spec.containers'));
  else check(pod.spec.containers, 'spec.containers');
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Defaulting

function defaultPullPolicy(image: string): string {
  if (image.includes('@')) return 'IfNotPresent';
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const tag = colon > slash ? image.slice(colon + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** SetDefaults_Container. */
function defaultContainer(c: ContainerSpec): void {
  c['resources'] ??= {};
  c['terminationMessagePath'] ??= '/dev/termination-log';
  c['terminationMessagePolicy'] ??= 'File';
  if (typeof c.image === 'string' && c.image) c['imagePullPolicy'] ??= defaultPullPolicy(c.image);
  for (const p of (c['ports'] as Array<Record<string, unknown>> | undefined) ?? []) p['protocol'] ??= 'TCP';
}

/** The scheme's defaults (SetDefaults_Pod, SetDefaults_PodSpec): applied to every decoded pod, on update too. */
function applyDefaults(pod: Pod): void {
  pod.metadata ??= { name: '' };
  if (!isObject(pod.spec)) pod.spec = { containers: [] };
  pod.status ??= {};
  const s = pod.spec;
  for (const c of [...(Array.isArray(s.containers) ? s.containers : []), ...(s.initContainers ?? [])]) if (isObject(c)) defaultContainer(c);
  s['restartPolicy'] ??= 'Always';
  s['terminationGracePeriodSeconds'] ??= 30;
  s['dnsPolicy'] ??= 'ClusterFirst';
  s['securityContext'] ??= {};
  s['schedulerName'] ??= 'default-scheduler';
  s['enableServiceLinks'] ??= true;
  // The deprecated serviceAccount mirrors serviceAccountName (conversion to v1).
  if (typeof s['serviceAccountName'] === 'string') s['serviceAccount'] = s['serviceAccountName'];
}

/** What the ServiceAccount, DefaultTolerationSeconds and Priority admission plugins add on create. */
function admit(pod: Pod): void {
  const s = pod.spec;
  s['serviceAccountName'] ??= 'default';
  s['serviceAccount'] = s['serviceAccountName'];
  if (s['automountServiceAccountToken'] !== false) {
    const volume = `kube-api-access-${randomSuffix()}`;
    const volumes = (s['volumes'] as Array<Record<string, unknown>> | undefined) ?? [];
    volumes.push({
      name: volume,
      projected: {
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
        defaultMode: 420,
      },
    });
    s['volumes'] = volumes;
    for (const c of [...s.containers, ...(s.initContainers ?? [])]) {
      const mounts = (c['volumeMounts'] as Array<Record<string, unknown>> | undefined) ?? [];
      mounts.push({ name: volume, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' });
      c['volumeMounts'] = mounts;
    }
  }
  const tolerations = (s['tolerations'] as Array<Record<string, unknown>> | undefined) ?? [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!tolerations.some((t) => t['key'] === key)) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  s['tolerations'] = tolerations;
  s['priority'] ??= 0;
  s['preemptionPolicy'] ??= 'PreemptLowerPriority';
}

/** names.SimpleNameGenerator: five characters from a consonant-and-digit alphabet. */
function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
}

function now(): string {
  return iso(0);
}

// ---------------------------------------------------------------------------------------------
// ValidatePodUpdate's spec rule

const UPDATE_FORBIDDEN = 'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/**
 * ValidatePodUpdate: the old spec with the mutable fields taken from the new one must equal the
 * new spec. The server appends cmp.Diff of the internal core.PodSpec; kubesim prints the fields
 * that differ in that shape (Go field names, `-` old, `+` new), not cmp's exact layout.
 */
function validateSpecUpdate(next: Pod, old: Pod): FieldError[] {
  const munged = structuredClone(old.spec) as Record<string, unknown>;
  const n = next.spec as Record<string, unknown>;
  for (const list of ['containers', 'initContainers'] as const) {
    const o = munged[list] as ContainerSpec[] | undefined;
    const x = n[list] as ContainerSpec[] | undefined;
    if (Array.isArray(o) && Array.isArray(x) && o.length === x.length) o.forEach((c, i) => { c.image = x[i]!.image; });
  }
  // activeDeadlineSeconds may be set, or lowered, never removed or raised.
  const oldDeadline = old.spec['activeDeadlineSeconds'] as number | undefined;
  const newDeadline = n['activeDeadlineSeconds'] as number | undefined;
  if (newDeadline !== undefined && (oldDeadline === undefined || newDeadline <= oldDeadline)) munged['activeDeadlineSeconds'] = newDeadline;
  const oldTol = (old.spec['tolerations'] as unknown[] | undefined) ?? [];
  const newTol = (n['tolerations'] as unknown[] | undefined) ?? [];
  if (oldTol.every((t) => newTol.some((u) => same(t, u)))) munged['tolerations'] = n['tolerations'];
  if ((old.spec['terminationGracePeriodSeconds'] as number) < 0 && n['terminationGracePeriodSeconds'] === 1) munged['terminationGracePeriodSeconds'] = 1;
  if (same(munged, n)) return [];
  const lines = ['  core.PodSpec{'];
  for (const key of new Set([...Object.keys(munged), ...Object.keys(n)])) {
    if (same(munged[key], n[key])) continue;
    const field = key.charAt(0).toUpperCase() + key.slice(1);
    if (munged[key] !== undefined) lines.push(`- \t${field}: ${JSON.stringify(munged[key])},`);
    if (n[key] !== undefined) lines.push(`+ \t${field}: ${JSON.stringify(n[key])},`);
  }
  lines.push('  }');
  return [forbidden('spec', `${UPDATE_FORBIDDEN}\n${lines.join('\n')}\n`)];
}

/** Semantic equality: key order does not matter. */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (isObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  return v;
}

// ---------------------------------------------------------------------------------------------
// Statuses the scheduler and kubelet write

function condition(type: string, status: boolean, at: string, reason?: string, message?: string): Record<string, unknown> {
  const c: Record<string, unknown> = { type, status: status ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: at };
  if (reason) c['reason'] = reason;
  if (message) c['message'] = message;
  return c;
}

function containerId(): string {
  return `containerd://${randomBytes(32).toString('hex')}`;
}

/** The kubelet's nodeSelector check as the scheduler's NodeAffinity filter applies it. */
function nodeMatches(node: KubeObject, selector: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => node.metadata.labels?.[k] === v);
}

// ---------------------------------------------------------------------------------------------

export class PodWrites {
  private readonly pods: Collection<Pod>;
  private readonly namespaces: Collection<Namespace>;
  private readonly nodes: Collection<KubeObject>;
  private readonly timings: LifecycleTimings;
  private readonly timers = new Set<NodeJS.Timeout>();
  private scheduled = 0;
  private ips = 0;

  constructor(pods: Collection<Pod>, namespaces: Collection<Namespace>, nodes: Collection<KubeObject>, timings: Partial<LifecycleTimings> = {}) {
    this.pods = pods;
    this.namespaces = namespaces;
    this.nodes = nodes;
    this.timings = { ...DEFAULT_TIMINGS, ...timings };
  }

  /** POST /api/v1/namespaces/{ns}/pods. */
  create(namespace: string, body: string, query: URLSearchParams): Answer {
    const decoded = decodePod(body);
    if ('error' in decoded) return answer(decoded.error);
    const pod = decoded.pod;
    pod.metadata.namespace ??= namespace;
    // rest.BeforeCreate's first check, before admission.
    if (pod.metadata.namespace !== namespace) return answer(badRequest('the namespace of the provided object does not match the namespace sent on the request'));
    if (!this.namespaces.has(namespace)) return answer(notFound('namespaces', namespace));
    const generateName = pod.metadata['generateName'];
    if (!pod.metadata.name && typeof generateName === 'string' && generateName) pod.metadata.name = `${generateName}${randomSuffix()}`.slice(0, 253);
    applyDefaults(pod);
    admit(pod);
    const errors = validatePod(pod);
    if (errors.length > 0) return answer(invalidPod(pod.metadata.name ?? '', errors));
    // PrepareForCreate: a new pod has a Pending status the server writes, nothing else.
    pod.status = { phase: 'Pending', qosClass: 'BestEffort' };
    // 1.35 (PodObservedGenerationTracking): a pod starts at generation 1.
    pod.metadata['generation'] = 1;
    pod.metadata.uid = randomUUID();
    pod.metadata.creationTimestamp = now();
    delete pod.metadata.deletionTimestamp;
    delete pod.metadata.deletionGracePeriodSeconds;
    if (pod.metadata.resourceVersion) return answer(internalError('resourceVersion should not be set on objects to be created'));
    const key = `${namespace}/${pod.metadata.name}`;
    if (this.pods.has(key)) return answer(alreadyExists(pod.metadata.name));
    const created = ordered(pod);
    if (dryRun(query)) return { code: 201, body: created };
    const event = this.pods.add(key, created);
    this.lifecycle(key, event.obj.metadata.uid!);
    return { code: 201, body: event.obj };
  }

  /** PUT /api/v1/namespaces/{ns}/pods/{name}. */
  update(namespace: string, name: string, body: string, query: URLSearchParams): Answer {
    const decoded = decodePod(body);
    if ('error' in decoded) return answer(decoded.error);
    return this.write(namespace, name, decoded.pod, query);
  }

  /** PATCH /api/v1/namespaces/{ns}/pods/{name}, by the request's patch type. */
  patch(namespace: string, name: string, contentType: string, body: string, query: URLSearchParams): Answer {
    const type = contentType.split(';')[0]!.trim().toLowerCase();
    if (!['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'].includes(type)) {
      return answer(failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`));
    }
    const current = this.pods.get(`${namespace}/${name}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (err) {
      return answer(badRequest((err as Error).message));
    }
    if (!current) return answer(notFound('pods', name));
    let result: Json;
    try {
      const doc = structuredClone(current) as unknown as Json;
      if (type === 'application/json-patch+json') result = jsonPatch(doc, parsed);
      else if (type === 'application/merge-patch+json') result = mergePatch(doc, parsed as Json);
      else result = strategicMerge(doc, parsed as Json);
    } catch (err) {
      if (err instanceof PatchError) return answer(err.status);
      throw err;
    }
    if (!isObject(result)) return answer(badRequest('the patch did not produce an object'));
    return this.write(namespace, name, result as unknown as Pod, query);
  }

  /** The update path shared by PUT and PATCH (rest.BeforeUpdate, then GuaranteedUpdate). */
  private write(namespace: string, name: string, next: Pod, query: URLSearchParams): Answer {
    next.metadata ??= { name: '' };
    next.metadata.namespace ??= namespace;
    if (next.metadata.namespace !== namespace) return answer(badRequest('the namespace of the provided object does not match the namespace sent on the request'));
    if (next.metadata.name !== name) return answer(badRequest(`the name of the object (${next.metadata.name ?? ''}) does not match the name on the URL (${name})`));
    const key = `${namespace}/${name}`;
    const old = this.pods.get(key);
    // Pods are not created by an update (AllowCreateOnUpdate is false).
    if (!old) return answer(notFound('pods', name));
    const rv = next.metadata.resourceVersion;
    if (rv && rv !== old.metadata.resourceVersion) return answer(conflict(name));
    applyDefaults(next);
    // PrepareForUpdate: status is the status subresource's to write; identity fields stay.
    next.status = structuredClone(old.status);
    next.metadata.uid = old.metadata.uid;
    next.metadata.creationTimestamp = old.metadata.creationTimestamp;
    if (old.metadata.deletionTimestamp) next.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
    if (old.metadata.deletionGracePeriodSeconds !== undefined) next.metadata.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    const errors = [...validatePod(next), ...validateSpecUpdate(next, old)];
    if (errors.length > 0) return answer(invalidPod(name, errors));
    if (!same(next.spec, old.spec)) next.metadata['generation'] = ((old.metadata['generation'] as number | undefined) ?? 1) + 1;
    else if (old.metadata['generation'] !== undefined) next.metadata['generation'] = old.metadata['generation'];
    const result = ordered(next);
    // An update that changes nothing is not written: no new resourceVersion, no watch event.
    if (same({ ...result, metadata: { ...result.metadata, resourceVersion: undefined } }, { ...old, metadata: { ...old.metadata, resourceVersion: undefined } })) {
      return { code: 200, body: old };
    }
    if (dryRun(query)) return { code: 200, body: { ...result, metadata: { ...result.metadata, resourceVersion: old.metadata.resourceVersion } } };
    const event = this.pods.update(key, (p) => {
      p.metadata = result.metadata;
      p.spec = result.spec;
    });
    return { code: 200, body: event.obj };
  }

  /** The scheduler's binding, then the kubelet starting the containers. */
  private lifecycle(key: string, uid: string): void {
    this.after(this.timings.scheduleAfterMs, () => {
      const pod = this.current(key, uid);
      if (!pod || pod.metadata.deletionTimestamp) return;
      if (pod.spec.nodeName) return this.start(key, uid);
      const fitting = this.nodes.keys().map((k) => this.nodes.get(k)!).filter((n) => nodeMatches(n, pod.spec.nodeSelector));
      const at = now();
      if (fitting.length === 0) {
        const total = this.nodes.size;
        this.pods.update(key, (p) => {
          p.status.conditions = [condition('PodScheduled', false, at, 'Unschedulable',
            `0/${total} nodes are available: ${total} node(s) didn't match Pod's node affinity/selector. preemption: 0/${total} nodes are available: ${total} Preemption is not helpful for scheduling.`)];
        });
        return;
      }
      const node = fitting[this.scheduled++ % fitting.length]!;
      this.pods.update(key, (p) => {
        p.spec.nodeName = node.metadata.name;
        p.status.conditions = [condition('PodScheduled', true, at)];
      });
      this.start(key, uid);
    });
  }

  private start(key: string, uid: string): void {
    const created = this.current(key, uid);
    if (!created) return;
    const node = this.nodes.get(created.spec.nodeName ?? '');
    const hostIP = ((node?.['status'] as { addresses?: Array<{ type: string; address: string }> } | undefined)?.addresses ?? []).find((a) => a.type === 'InternalIP')?.address ?? '172.18.0.2';
    const index = this.ips++;
    const podIP = `10.244.${200 + ((index >> 8) % 50)}.${2 + (index % 250)}`;
    const startTime = now();
    // The kubelet's first status: sandbox coming up, containers being created.
    this.pods.update(key, (p) => {
      const at = now();
      p.status = {
        ...p.status,
        phase: 'Pending',
        conditions: [
          condition('PodReadyToStartContainers', false, at),
          condition('Initialized', true, at),
          condition('Ready', false, at, 'ContainersNotReady', `containers with unready status: [${p.spec.containers.map((c) => c.name).join(' ')}]`),
          condition('ContainersReady', false, at, 'ContainersNotReady', `containers with unready status: [${p.spec.containers.map((c) => c.name).join(' ')}]`),
          ...(p.status.conditions ?? []).filter((c) => c['type'] === 'PodScheduled'),
        ],
        hostIP, hostIPs: [{ ip: hostIP }], startTime,
        containerStatuses: p.spec.containers.map((c) => waiting(c, 'ContainerCreating')),
      };
      if (p.spec.initContainers?.length) p.status.initContainerStatuses = p.spec.initContainers.map((c) => waiting(c, 'PodInitializing'));
    });
    this.after(this.timings.startAfterMs, () => {
      const pod = this.current(key, uid);
      if (!pod || pod.metadata.deletionTimestamp) return;
      const unpullable = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].filter((c) => !pullable(c.image));
      if (unpullable.length > 0) return this.pullFailed(key, uid, unpullable);
      const at = now();
      this.pods.update(key, (p) => {
        const conditions = [
          condition('PodReadyToStartContainers', true, at),
          condition('Initialized', true, at),
          condition('Ready', true, at),
          condition('ContainersReady', true, at),
          ...(p.status.conditions ?? []).filter((c) => c['type'] === 'PodScheduled'),
        ];
        p.status = {
          ...p.status, phase: 'Running', conditions, podIP, podIPs: [{ ip: podIP }],
          containerStatuses: p.spec.containers.map((c): ContainerStatus => ({
            name: c.name, state: { running: { startedAt: at } }, lastState: {}, ready: true, restartCount: 0,
            image: qualifiedImage(c.image), imageID: imageID(c.image), containerID: containerId(), started: true,
          })),
        };
        if (p.spec.initContainers?.length) {
          p.status.initContainerStatuses = p.spec.initContainers.map((c): ContainerStatus => {
            const id = containerId();
            return {
              name: c.name, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: startTime, finishedAt: at, containerID: id } },
              lastState: {}, ready: true, restartCount: 0, image: qualifiedImage(c.image), imageID: imageID(c.image), containerID: id, started: false,
            };
          });
        }
      });
    });
  }

  /** containerd's refusal for an image no registry has, then the kubelet's back-off. */
  private pullFailed(key: string, uid: string, containers: ContainerSpec[]): void {
    const pullError = (image: string) => {
      const ref = qualifiedImage(image.trim());
      return `Failed to pull image ${q(image)}: rpc error: code = NotFound desc = failed to pull and unpack image ${q(ref)}: failed to resolve reference ${q(ref)}: ${ref}: not found`;
    };
    const names = new Set(containers.map((c) => c.name));
    const set = (reason: string, message: (image: string) => string) => this.pods.update(key, (p) => {
      for (const s of [...(p.status.containerStatuses ?? []), ...(p.status.initContainerStatuses ?? [])]) {
        if (names.has(s.name)) s.state = { waiting: { reason, message: message(s.image) } };
      }
    });
    set('ErrImagePull', pullError);
    this.after(this.timings.backOffAfterMs, () => {
      if (!this.current(key, uid)) return;
      set('ImagePullBackOff', (image) => `Back-off pulling image ${q(image)}: ErrImagePull: ${pullError(image)}`);
    });
  }

  private current(key: string, uid: string): Pod | undefined {
    const pod = this.pods.get(key);
    return pod?.metadata.uid === uid ? pod : undefined;
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

function waiting(c: ContainerSpec, reason: string): ContainerStatus {
  return { name: c.name, state: { waiting: { reason } }, lastState: {}, ready: false, restartCount: 0, image: c.image, imageID: '', started: false };
}

/** Images kubesim has tools for (images.ts), and the Node.js image its fixtures run. */
function pullable(image: string): boolean {
  return kubesimImage(image) !== undefined || imageBase(image) === 'kubesim/node';
}

function dryRun(query: URLSearchParams): boolean {
  return query.getAll('dryRun').some((v) => v === 'All');
}

/** Fields in the order the API server serialises a v1.Pod. */
function ordered(pod: Pod): Pod {
  const { apiVersion: _a, kind: _k, metadata, spec, status, ...rest } = pod;
  void rest;
  return { kind: 'Pod', apiVersion: 'v1', metadata, spec, status };
}

/** NewAlreadyExists(pods, name). */
function alreadyExists(name: string): Status {
  return failure(409, 'AlreadyExists', `pods ${q(name)} already exists`, { name, kind: 'pods' });
}

/** NewConflict(pods, name, registry.OptimisticLockErrorMsg). */
function conflict(name: string): Status {
  return failure(409, 'Conflict', `Operation cannot be fulfilled on pods ${q(name)}: the object has been modified; please apply your changes to the latest version and try again`, { name, kind: 'pods' });
}

/** The JSON serializer's decode of a body meant to be a v1 Pod. */
function decodePod(body: string): { pod: Pod } | { error: Status } {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    return { error: badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`) };
  }
  if (!isObject(raw)) return { error: badRequest("couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }") };
  const kind = raw['kind'];
  const apiVersion = raw['apiVersion'];
  if ((kind !== undefined && kind !== 'Pod') || (apiVersion !== undefined && apiVersion !== 'v1')) {
    return { error: badRequest(`the API version in the data (${String(apiVersion ?? '')}) does not match the expected API version (v1)`) };
  }
  const pod = raw as unknown as Pod;
  if (!isObject(pod.metadata)) pod.metadata = { name: '' };
  return { pod };
}

function answer(status: Status): Answer {
  return { code: status.code, body: status };
}

/** Reads a request body. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
