// The three patch types the API server accepts for pods (apiserver/pkg/endpoints/handlers/patch.go):
// RFC 7386 JSON merge patch, RFC 6902 JSON patch (evanphx/json-patch, whose errors the server
// returns as a 422 "the server rejected our request due to an error in our request"), and
// strategic merge patch (apimachinery/pkg/util/strategicpatch), where lists with a patchMergeKey
// in the Go types merge element by element instead of being replaced.
import { failure, type Status } from './status.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class PatchError extends Error {
  readonly status: Status;
  constructor(status: Status) {
    super(status.message);
    this.status = status;
  }
}

export function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const q = (s: unknown) => JSON.stringify(s);

/** RFC 7386: objects merge key by key, `null` deletes, anything else (lists too) replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

/**
 * patchMergeKey / patchStrategy of the core/v1 Pod fields (k8s.io/api/core/v1/types.go), by path
 * with list indices dropped. Lists not named here are atomic: a patch replaces them.
 */
const MERGE_KEYS: Record<string, string> = {
  'metadata.ownerReferences': 'uid',
  'spec.volumes': 'name',
  'spec.containers': 'name',
  'spec.initContainers': 'name',
  'spec.ephemeralContainers': 'name',
  'spec.imagePullSecrets': 'name',
  'spec.hostAliases': 'ip',
  'spec.resourceClaims': 'name',
  'status.conditions': 'type',
  'status.podIPs': 'ip',
  'status.hostIPs': 'ip',
};
for (const c of ['spec.containers', 'spec.initContainers', 'spec.ephemeralContainers']) {
  MERGE_KEYS[`${c}.ports`] = 'containerPort';
  MERGE_KEYS[`${c}.env`] = 'name';
  MERGE_KEYS[`${c}.volumeMounts`] = 'mountPath';
  MERGE_KEYS[`${c}.volumeDevices`] = 'devicePath';
}
/** `patchStrategy:"merge"` lists of scalars: the patch's items are added (a set union). */
const MERGED_SCALAR_LISTS = new Set(['metadata.finalizers']);

/**
 * Strategic merge: maps merge, `null` deletes, lists with a merge key merge by it (honouring
 * `$patch: delete|replace` in an element), merged scalar lists take the union, `$patch: replace`
 * on a map replaces it. The ordering directives kubectl sends (`$setElementOrder/<list>`,
 * `$retainKeys`) change order only, which this does not model; `$deleteFromPrimitiveList/<list>`
 * removes values from a merged scalar list.
 */
export function strategicMerge(target: Json, patch: Json, path = ''): Json {
  if (!isObject(patch)) return patch;
  if (patch['$patch'] === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return rest;
  }
  if (patch['$patch'] === 'delete') return null;
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const list = k.slice('$deleteFromPrimitiveList/'.length);
      const drop = new Set((Array.isArray(v) ? v : []).map((x) => q(x)));
      if (Array.isArray(out[list])) out[list] = (out[list] as Json[]).filter((x) => !drop.has(q(x)));
      continue;
    }
    if (k.startsWith('$')) continue;
    const child = path ? `${path}.${k}` : k;
    if (v === null) {
      delete out[k];
    } else if (Array.isArray(v) && MERGE_KEYS[child]) {
      out[k] = mergeList(Array.isArray(out[k]) ? (out[k] as Json[]) : [], v, MERGE_KEYS[child]!, child);
    } else if (Array.isArray(v) && MERGED_SCALAR_LISTS.has(child)) {
      const have = Array.isArray(out[k]) ? [...(out[k] as Json[])] : [];
      for (const x of v) if (!have.some((h) => q(h) === q(x))) have.push(x);
      out[k] = have;
    } else {
      out[k] = strategicMerge(out[k] ?? null, v, child);
    }
  }
  return out;
}

function mergeList(target: Json[], patch: Json[], key: string, path: string): Json[] {
  if (patch.some((p) => isObject(p) && p['$patch'] === 'replace')) {
    return patch.filter((p) => !(isObject(p) && p['$patch'] === 'replace'));
  }
  const out = [...target];
  for (const item of patch) {
    if (!isObject(item)) continue;
    const at = out.findIndex((t) => isObject(t) && q(t[key]) === q(item[key]));
    if (item['$patch'] === 'delete') {
      if (at >= 0) out.splice(at, 1);
    } else if (at >= 0) {
      out[at] = strategicMerge(out[at]!, item, path);
    } else {
      out.push(strategicMerge(null, item, path));
    }
  }
  return out;
}

/** RFC 6902, as evanphx/json-patch applies it (and words its failures). */
export function jsonPatch(doc: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw new PatchError(failure(400, 'BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch'));
  let out = structuredClone(doc);
  for (const raw of ops) {
    const op = isObject(raw) ? raw : {};
    const kind = op['op'];
    const path = typeof op['path'] === 'string' ? op['path'] : '';
    switch (kind) {
      case 'add':
        out = pointerAdd(out, path, op['value'] ?? null, 'add');
        break;
      case 'remove':
        out = pointerRemove(out, path, 'remove');
        break;
      case 'replace': {
        if (pointerGet(out, path) === undefined) throw applyError(`replace operation does not apply: doc is missing key: ${path}: missing value`);
        out = pointerRemove(out, path, 'replace');
        out = pointerAdd(out, path, op['value'] ?? null, 'replace');
        break;
      }
      case 'move':
      case 'copy': {
        const from = typeof op['from'] === 'string' ? op['from'] : '';
        const value = pointerGet(out, from);
        if (value === undefined) throw applyError(`${kind} operation does not apply: doc is missing from path: ${from}: missing value`);
        if (kind === 'move') out = pointerRemove(out, from, 'move');
        out = pointerAdd(out, path, structuredClone(value), kind);
        break;
      }
      case 'test': {
        const value = pointerGet(out, path);
        if (JSON.stringify(value) !== JSON.stringify(op['value'] ?? null)) throw applyError(`testing value ${path} failed: test failed`);
        break;
      }
      default:
        throw applyError(`Unexpected kind: ${String(kind)}`);
    }
  }
  return out;
}

/** NewGenericServerResponse(422, ...): how the API server reports a JSON patch that does not apply. */
function applyError(message: string): PatchError {
  return new PatchError(failure(422, 'Invalid', 'the server rejected our request due to an error in our request', { causes: [{ reason: 'UnexpectedServerResponse', message }] }));
}

function parsePointer(path: string): string[] {
  if (path === '') return [];
  return path.split('/').slice(1).map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function joinPointer(parts: string[]): string {
  return parts.length === 0 ? '' : '/' + parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
}

function pointerGet(doc: Json, path: string): Json | undefined {
  let cur: Json | undefined = doc;
  for (const part of parsePointer(path)) {
    if (Array.isArray(cur)) cur = /^\d+$/.test(part) ? cur[Number(part)] : undefined;
    else if (isObject(cur)) cur = cur[part];
    else return undefined;
  }
  return cur;
}

function pointerAdd(doc: Json, path: string, value: Json, op: string): Json {
  const parts = parsePointer(path);
  if (parts.length === 0) return value;
  const parent = pointerGet(doc, joinPointer(parts.slice(0, -1)));
  const last = parts[parts.length - 1]!;
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : /^\d+$/.test(last) ? Number(last) : NaN;
    if (!(index >= 0 && index <= parent.length)) throw applyError(`Unable to access invalid index: ${last}: invalid index referenced`);
    parent.splice(index, 0, value);
  } else if (isObject(parent)) {
    parent[last] = value;
  } else {
    throw applyError(`${op} operation does not apply: doc is missing path: ${q(path)}: missing value`);
  }
  return doc;
}

function pointerRemove(doc: Json, path: string, op: string): Json {
  const parts = parsePointer(path);
  const parent = pointerGet(doc, joinPointer(parts.slice(0, -1)));
  const last = parts[parts.length - 1]!;
  if (Array.isArray(parent) && /^\d+$/.test(last) && Number(last) < parent.length) parent.splice(Number(last), 1);
  else if (isObject(parent) && last in parent) delete parent[last];
  else throw applyError(`${op} operation does not apply: doc is missing path: ${q(path)}: missing value`);
  return doc;
}
