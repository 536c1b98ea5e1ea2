// pods/{pod}/ephemeralcontainers as kube-apiserver v1.35 serves it, and the kubelet's part in
// starting what it adds.
//
// API side (registry/core/pod/storage EphemeralContainersREST, podEphemeralContainersStrategy,
// validation.ValidatePodEphemeralContainersUpdate):
// - GET returns the pod; PATCH takes strategic-merge, JSON-merge and JSON patches, PUT a whole
//   pod. Only spec.ephemeralContainers is taken from the result; any other change is dropped
//   silently, as the strategy's PrepareForUpdate does.
// - New entries are defaulted (terminationMessagePath/Policy, imagePullPolicy), then validated
//   with the API server's field errors and wording: name and image required, names unique
//   across all containers, targetContainerName must name a container or init container, ports,
//   resources, probes, lifecycle and restart policies "cannot be set for an Ephemeral
//   Container", existing entries may be neither changed nor removed. Failures are 422 Invalid
//   with one cause per field error.
// - With the feature off (the `ephemeralContainersDisabled` fault) the subresource does not
//   exist: 404 with empty details, which is how clients (kubectl debug) tell it from a missing pod.
// Authorization (patch on pods/ephemeralcontainers) happens in rest.ts before any of this.
//
// Kubelet side: a new entry's status goes Waiting (ContainerCreating, or PodInitializing in a pod
// with init containers), then Running, each step a MODIFIED event. The kubelet reports what its
// next relist of the runtime sees (PLEG, every second in a kubelet, shortened here like the other
// delays): a process still up by then is Running, one that has already exited (`echo hi`) is only
// ever seen Terminated, which is why `kubectl debug -i` then shows its log instead of attaching.
// Images kubesim has no tools for cannot be pulled: ErrImagePull, then ImagePullBackOff, with
// containerd's messages. A command that does not exist ends in Terminated/StartError (exit code
// 128); when the process exits (and its output is in the log) the container is Terminated with
// its exit code. Ephemeral containers are never restarted. The container's log is its process's
// output (attach.ts); the steps themselves are noted in kubesim's own log (journal.ts).
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ContainerRuntime } from './attach.ts';
import type { ContainerSpec, ContainerStatus, Pod } from './fixtures.ts';
import { kubesimImage } from './images.ts';
import type { Journal } from './journal.ts';
import { badRequest, failure, methodNotSupported, notFound, pathNotFound, type Status, type StatusCause } from './status.ts';
import { isObject, jsonPatch, mergePatch, PatchError, strategicMerge, type Json } from './patch.ts';
import type { Collection } from './store.ts';

export interface EphemeralTimings {
  /** From acceptance to the first Waiting status. */
  waitingAfterMs: number;
  /** From Waiting to the process starting (or to ErrImagePull). */
  startAfterMs: number;
  /** From the process starting to the relist that reports its state. */
  observeAfterMs: number;
  /** From ErrImagePull to ImagePullBackOff. */
  backOffAfterMs: number;
}

const DEFAULT_TIMINGS: EphemeralTimings = { waitingAfterMs: 50, startAfterMs: 400, observeAfterMs: 200, backOffAfterMs: 1000 };

export interface Answer {
  code: number;
  body: unknown;
}

// ---------------------------------------------------------------------------------------------
// Field errors, as apimachinery's field.Error prints them

type ErrorType = 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueDuplicate' | 'FieldValueNotFound' | 'FieldValueForbidden' | 'FieldValueNotSupported';

interface FieldError {
  type: ErrorType;
  field: string;
  /** ErrorBody(): the message without the field. */
  body: string;
}

const q = (s: unknown) => JSON.stringify(s);

const fieldError = {
  required: (field: string): FieldError => ({ type: 'FieldValueRequired', field, body: 'Required value' }),
  invalid: (field: string, value: string, detail: string): FieldError => ({ type: 'FieldValueInvalid', field, body: `Invalid value: ${q(value)}: ${detail}` }),
  duplicate: (field: string, value: string): FieldError => ({ type: 'FieldValueDuplicate', field, body: `Duplicate value: ${q(value)}` }),
  notFound: (field: string, value: string): FieldError => ({ type: 'FieldValueNotFound', field, body: `Not found: ${q(value)}` }),
  forbidden: (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, body: `Forbidden: ${detail}` }),
  notSupported: (field: string, value: string, supported: string[]): FieldError => ({
    type: 'FieldValueNotSupported', field, body: `Unsupported value: ${q(value)}: supported values: ${supported.map(q).join(', ')}`,
  }),
};

/** errors.NewInvalid(Kind=Pod, name, errs): the aggregate message and one cause per error. */
function invalidPod(name: string, errors: FieldError[]): Status {
  const messages = [...new Set(errors.map((e) => `${e.field}: ${e.body}`))];
  const aggregate = messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`;
  const causes: StatusCause[] = errors.map((e) => ({ reason: e.type, message: e.body, field: e.field }));
  return failure(422, 'Invalid', `Pod ${q(name)} is invalid: ${aggregate}`, { name, kind: 'Pod', causes });
}

// ---------------------------------------------------------------------------------------------
// The EphemeralContainer type: its fields in Go struct order, and which may be set

/** EphemeralContainerCommon + targetContainerName, in the order the API serialises them. */
const FIELDS = [
  'name', 'image', 'command', 'args', 'workingDir', 'ports', 'envFrom', 'env', 'resources', 'resizePolicy', 'restartPolicy',
  'restartPolicyRules', 'volumeMounts', 'volumeDevices', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle',
  'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty',
  'targetContainerName',
] as const;

/** validation.allowedEphemeralContainerFields: everything else "cannot be set for an Ephemeral Container". */
const FORBIDDEN = ['ports', 'resources', 'resizePolicy', 'restartPolicy', 'restartPolicyRules', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle'];

/** A Go field holds something other than its zero value (nil pointer/slice/map, empty struct). */
function isSet(field: string, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  // ResourceRequirements is a struct, not a pointer: `{}` is its zero value.
  if (field === 'resources') return typeof value === 'object' && Object.values(value as object).some((v) => v !== null && v !== undefined);
  return true;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_LABEL_MESSAGE = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

function defaultPullPolicy(image: string): string {
  const at = image.indexOf('@');
  if (at >= 0) return 'IfNotPresent';
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const tag = colon > slash ? image.slice(colon + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

class DecodeError extends Error {}

/**
 * Decodes one list entry the way the API server's JSON decoder would (unknown fields dropped,
 * wrong types refused), then defaults it, in serialisation order.
 */
function decodeContainer(raw: unknown): ContainerSpec {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new DecodeError(`json: cannot unmarshal ${jsonType(raw)} into Go struct field PodSpec.spec.ephemeralContainers of type v1.EphemeralContainer`);
  }
  const input = raw as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) {
    const v = input[f];
    if (v === undefined || v === null) continue;
    const expect = STRING_FIELDS.has(f) ? 'string' : BOOL_FIELDS.has(f) ? 'boolean' : ARRAY_FIELDS.has(f) ? 'array' : 'object';
    const actual = Array.isArray(v) ? 'array' : typeof v;
    if (actual !== expect) {
      throw new DecodeError(`json: cannot unmarshal ${jsonType(v)} into Go struct field EphemeralContainer.spec.ephemeralContainers.${f} of type ${GO_TYPES[expect]}`);
    }
    // omitempty: false and "" are not written out.
    if (v === false || v === '') continue;
    out[f] = v;
  }
  out['resources'] ??= {};
  out['terminationMessagePath'] ??= '/dev/termination-log';
  out['terminationMessagePolicy'] ??= 'File';
  if (typeof out['image'] === 'string') out['imagePullPolicy'] ??= defaultPullPolicy(out['image']);
  // Back into field order (defaults were appended).
  const ordered: Record<string, unknown> = {};
  for (const f of FIELDS) if (out[f] !== undefined) ordered[f] = out[f];
  return ordered as ContainerSpec;
}

const STRING_FIELDS = new Set(['name', 'image', 'workingDir', 'restartPolicy', 'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy', 'targetContainerName']);
const BOOL_FIELDS = new Set(['stdin', 'stdinOnce', 'tty']);
const ARRAY_FIELDS = new Set(['command', 'args', 'ports', 'envFrom', 'env', 'resizePolicy', 'restartPolicyRules', 'volumeMounts', 'volumeDevices']);
const GO_TYPES: Record<string, string> = { string: 'string', boolean: 'bool', array: '[]interface {}', object: 'struct' };

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/** validateEphemeralContainers + the update rules, in the API server's order. */
function validate(pod: Pod, list: ContainerSpec[], old: ContainerSpec[]): FieldError[] {
  const errs: FieldError[] = [];
  const others = new Set([...pod.spec.containers, ...(pod.spec.initContainers ?? [])].map((c) => c.name));
  const all = new Set(others);
  list.forEach((ec, i) => {
    const path = `spec.ephemeralContainers[${i}]`;
    const name = typeof ec.name === 'string' ? ec.name : '';
    // validateContainerCommon
    if (!name) errs.push(fieldError.required(`${path}.name`));
    else if (name.length > 63) errs.push(fieldError.invalid(`${path}.name`, name, 'must be no more than 63 characters'));
    else if (!DNS1123_LABEL.test(name)) errs.push(fieldError.invalid(`${path}.name`, name, DNS1123_LABEL_MESSAGE));
    const image = typeof ec.image === 'string' ? ec.image : '';
    if (!image) errs.push(fieldError.required(`${path}.image`));
    const policy = ec['terminationMessagePolicy'] as string | undefined;
    if (policy !== 'File' && policy !== 'FallbackToLogsOnError') {
      errs.push(fieldError.notSupported(`${path}.terminationMessagePolicy`, policy ?? '', ['File', 'FallbackToLogsOnError']));
    }
    const pull = ec['imagePullPolicy'] as string | undefined;
    if (pull !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(pull)) {
      errs.push(fieldError.notSupported(`${path}.imagePullPolicy`, pull, ['Always', 'IfNotPresent', 'Never']));
    }
    // validateContainerOnlyForPod
    if (image && image.trim() !== image) errs.push(fieldError.invalid(`${path}.image`, image, 'must not have leading or trailing whitespace'));
    // Unique across all container types.
    if (all.has(name)) errs.push(fieldError.duplicate(`${path}.name`, name));
    else all.add(name);
    const target = ec['targetContainerName'];
    if (typeof target === 'string' && target !== '' && !others.has(target)) errs.push(fieldError.notFound(`${path}.targetContainerName`, target));
    for (const f of FORBIDDEN) if (isSet(f, ec[f])) errs.push(fieldError.forbidden(`${path}.${f}`, 'cannot be set for an Ephemeral Container'));
    ((ec['volumeMounts'] as Array<Record<string, unknown>> | undefined) ?? []).forEach((vm, j) => {
      for (const sub of ['subPath', 'subPathExpr']) {
        if (vm[sub]) errs.push(fieldError.forbidden(`${path}.volumeMounts[${j}].${sub}`, 'cannot be set for an Ephemeral Container'));
      }
    });
  });
  // Existing entries may not change. (The real message carries a cmp.Diff of the two.)
  const byName = new Map(list.map((c) => [c.name, c]));
  for (const o of old) {
    const n = byName.get(o.name);
    if (!n) errs.push(fieldError.forbidden('spec.ephemeralContainers', `existing ephemeral containers ${q(o.name)} may not be removed\n`));
    else if (!semanticEqual(o, n)) errs.push(fieldError.forbidden('spec.ephemeralContainers', `existing ephemeral containers ${q(o.name)} may not be changed\n${diff(o, n)}`));
  }
  return errs;
}

/** apiequality.Semantic: empty and absent (nil) are the same. */
function semanticEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map(normalize);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const n = normalize((v as Record<string, unknown>)[k]);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return v === false || v === '' || v === null ? undefined : v;
}

function diff(a: ContainerSpec, b: ContainerSpec): string {
  const lines = ['  core.EphemeralContainer{'];
  for (const f of FIELDS) {
    const x = JSON.stringify(normalize(a[f]));
    const y = JSON.stringify(normalize(b[f]));
    if (x === y) continue;
    if (x !== undefined) lines.push(`- \t${f}: ${x},`);
    if (y !== undefined) lines.push(`+ \t${f}: ${y},`);
  }
  lines.push('  }');
  return lines.join('\n') + '\n';
}

function hex(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

function qualifiedImage(image: string): string {
  const withTag = /:[^/]+$/.test(image) || image.includes('@') ? image : `${image}:latest`;
  const parts = withTag.split('/');
  if (parts.length >= 3 || (parts.length === 2 && /[.:]/.test(parts[0]!))) return withTag;
  return parts.length === 1 ? `docker.io/library/${withTag}` : `docker.io/${withTag}`;
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function waitingStatus(name: string, image: string, reason: string, message?: string): ContainerStatus {
  const waiting: Record<string, unknown> = { reason };
  if (message) waiting['message'] = message;
  return { name, state: { waiting }, lastState: {}, ready: false, restartCount: 0, image, imageID: '' };
}

// ---------------------------------------------------------------------------------------------
// The subresource

export class EphemeralContainers {
  /** The feature switched off: the subresource is not served at all. */
  disabled = false;
  private readonly pods: Collection<Pod>;
  private readonly runtime: ContainerRuntime;
  private readonly timings: EphemeralTimings;
  private readonly journal: Journal | undefined;
  private readonly lifetime = new AbortController();

  constructor(pods: Collection<Pod>, runtime: ContainerRuntime, timings: Partial<EphemeralTimings> = {}, journal?: Journal) {
    this.pods = pods;
    this.runtime = runtime;
    this.timings = { ...DEFAULT_TIMINGS, ...timings };
    this.journal = journal;
  }

  /** An authorised request for pods/{name}/ephemeralcontainers. */
  async serve(method: string, namespace: string, name: string, req: IncomingMessage): Promise<Answer> {
    const body = await readBody(req);
    if (this.disabled) return answer(pathNotFound());
    const key = `${namespace}/${name}`;
    const pod = this.pods.get(key);
    if (method === 'GET' || method === 'HEAD') return pod ? { code: 200, body: pod } : answer(notFound('pods', name));
    if (method !== 'PATCH' && method !== 'PUT') return answer(methodNotSupported('pods/ephemeralcontainers', method.toLowerCase()));
    if (!pod) return answer(notFound('pods', name));

    let list: unknown;
    try {
      list = method === 'PUT' ? this.fromPut(pod, name, body) : this.fromPatch(pod, req.headers['content-type'] ?? '', body);
    } catch (err) {
      if (err instanceof PatchError) return answer(err.status);
      throw err;
    }
    if (list !== undefined && list !== null && !Array.isArray(list)) {
      return answer(badRequest(`json: cannot unmarshal ${jsonType(list)} into Go struct field PodSpec.spec.ephemeralContainers of type []v1.EphemeralContainer`));
    }
    const old = pod.spec.ephemeralContainers ?? [];
    let next: ContainerSpec[];
    try {
      next = ((list as unknown[] | null | undefined) ?? []).map((raw) => {
        // Entries that exist are kept as stored; only what is new gets decoded and defaulted.
        const existing = old.find((o) => isObject(raw) && o.name === raw['name'] && semanticEqual(o, raw));
        return existing ?? decodeContainer(raw);
      });
    } catch (err) {
      if (err instanceof DecodeError) return answer(badRequest(err.message));
      throw err;
    }
    const errors = validate(pod, next, old);
    if (errors.length > 0) return answer(invalidPod(name, errors));

    const added = next.filter((c) => !old.some((o) => o.name === c.name));
    const event = this.pods.update(key, (p) => {
      if (next.length > 0) p.spec.ephemeralContainers = next;
      else delete p.spec.ephemeralContainers;
    });
    for (const c of added) void this.start(key, event.obj.metadata.uid ?? '', c);
    return { code: 200, body: event.obj };
  }

  private fromPut(pod: Pod, name: string, body: string): unknown {
    const parsed = parseJson(body);
    if (!isObject(parsed)) throw new PatchError(badRequest(`json: cannot unmarshal ${jsonType(parsed)} into Go value of type v1.Pod`));
    const obj = parsed as { metadata?: { name?: string; resourceVersion?: string }; spec?: { ephemeralContainers?: unknown } };
    if (obj.metadata?.name !== undefined && obj.metadata.name !== name) {
      throw new PatchError(badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`));
    }
    const rv = obj.metadata?.resourceVersion;
    if (rv && rv !== pod.metadata.resourceVersion) {
      throw new PatchError(failure(409, 'Conflict', `Operation cannot be fulfilled on pods ${q(name)}: the object has been modified; please apply your changes to the latest version and try again`, { name, kind: 'pods' }));
    }
    return obj.spec?.ephemeralContainers;
  }

  private fromPatch(pod: Pod, contentType: string, body: string): unknown {
    const type = contentType.split(';')[0]!.trim().toLowerCase();
    const current = structuredClone(pod) as unknown as Json;
    let patched: Json;
    switch (type) {
      case 'application/strategic-merge-patch+json':
        patched = strategicMerge(current, parseJson(body), '');
        break;
      case 'application/merge-patch+json':
        patched = mergePatch(current, parseJson(body));
        break;
      case 'application/json-patch+json':
        patched = jsonPatch(current, parseJson(body));
        break;
      case 'application/apply-patch+yaml':
        throw new PatchError(failure(415, 'UnsupportedMediaType', 'kubesim: server-side apply is not implemented; use a strategic merge, merge or JSON patch'));
      default:
        throw new PatchError(failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`));
    }
    return isObject(patched) && isObject(patched['spec']) ? patched['spec']['ephemeralContainers'] : undefined;
  }

  /** The kubelet noticing a new ephemeral container and starting it. */
  private async start(key: string, uid: string, spec: ContainerSpec): Promise<void> {
    const t = this.timings;
    if (!(await this.sleep(t.waitingAfterMs))) return;
    let pod = this.current(key, uid);
    if (!pod) return;
    const creating = pod.spec.initContainers?.length ? 'PodInitializing' : 'ContainerCreating';
    this.setStatus(key, uid, waitingStatus(spec.name, spec.image, creating));
    // A pod that is not running has no sandbox for the container to join.
    if (pod.status.phase !== 'Running' || !pod.spec.nodeName) return;
    if (!(await this.sleep(t.startAfterMs))) return;
    pod = this.current(key, uid);
    if (!pod) return;

    const image = kubesimImage(spec.image);
    const where = `ephemeral container ${spec.name} of pod ${key}`;
    if (!image) {
      const ref = qualifiedImage(spec.image.trim());
      const pull = `Failed to pull image ${q(spec.image)}: rpc error: code = NotFound desc = failed to pull and unpack image ${q(ref)}: failed to resolve reference ${q(ref)}: ${ref}: not found`;
      this.journal?.note(`${where}: ${pull}`);
      this.setStatus(key, uid, waitingStatus(spec.name, spec.image, 'ErrImagePull', pull));
      if (!(await this.sleep(t.backOffAfterMs))) return;
      this.setStatus(key, uid, waitingStatus(spec.name, spec.image, 'ImagePullBackOff', `Back-off pulling image ${q(spec.image)}: ErrImagePull: ${pull}`));
      return;
    }

    const id = `containerd://${hex(`${key}/${uid}/${spec.name}`)}`;
    const base = { name: spec.name, lastState: {}, ready: false, restartCount: 0, image: qualifiedImage(spec.image.trim()), imageID: `${qualifiedImage(spec.image.trim()).replace(/:[^/]+$/, '')}@sha256:${hex(image)}`, containerID: id };
    const startedAt = now();
    const started = await this.runtime.startEphemeral({ pod, spec, image, containerID: id }).catch((err: Error) => ({ error: err.message }));
    if ('error' in started) {
      this.journal?.note(`${where} could not start: ${started.error}`);
      this.setStatus(key, uid, { ...base, state: { terminated: { exitCode: 128, reason: 'StartError', message: started.error, startedAt: '1970-01-01T00:00:00Z', finishedAt: now(), containerID: id } } });
      return;
    }
    this.journal?.note(`${where} started (${id})`);
    const main = started.process;
    // The exit's time is when it happened, even if the relist that reports it comes later.
    const ended = main.exited.then((exit) => {
      this.journal?.note(`${where} exited with code ${exit.exitCode}`);
      return { exit, finishedAt: now() };
    });
    if (!(await this.sleep(t.observeAfterMs)) || !this.current(key, uid)) {
      main.kill();
      return;
    }
    if (main.running) this.setStatus(key, uid, { ...base, state: { running: { startedAt } } });
    const { exit, finishedAt } = await ended;
    const reason = exit.exitCode === 0 ? 'Completed' : 'Error';
    this.setStatus(key, uid, { ...base, state: { terminated: { exitCode: exit.exitCode, reason, startedAt, finishedAt, containerID: id } } });
  }

  /** The pod under `key` if it is still the same pod (not deleted, nor re-created). */
  private current(key: string, uid: string): Pod | undefined {
    const pod = this.pods.get(key);
    return pod && (pod.metadata.uid ?? '') === uid && !this.lifetime.signal.aborted ? pod : undefined;
  }

  private setStatus(key: string, uid: string, status: ContainerStatus): void {
    if (!this.current(key, uid)) return;
    this.pods.update(key, (p) => {
      const list = ((p.status['ephemeralContainerStatuses'] as ContainerStatus[] | undefined) ?? []).filter((s) => s.name !== status.name);
      list.push(status);
      // Statuses follow the order of spec.ephemeralContainers.
      const order = (p.spec.ephemeralContainers ?? []).map((c) => c.name);
      list.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
      p.status['ephemeralContainerStatuses'] = list;
    });
  }

  /** Resolves false when kubesim stops meanwhile. */
  private sleep(ms: number): Promise<boolean> {
    const signal = this.lifetime.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  stop(): void {
    this.lifetime.abort();
  }
}

function answer(status: Status): Answer {
  return { code: status.code, body: status };
}

function parseJson(body: string): Json {
  try {
    return JSON.parse(body) as Json;
  } catch (err) {
    throw new PatchError(badRequest(`error decoding patch: ${(err as Error).message}`));
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
