// Label and field selectors with the API server's grammar and error texts
// (apimachinery pkg/labels/selector.go, pkg/fields/selector.go).
import type { KubeObject } from './store.ts';

export type LabelRequirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export class SelectorError extends Error {}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string, whole: string): void {
  if (!KEY.test(key)) throw new SelectorError(`unable to parse requirement: invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') in "${whole}"`);
}

function checkValue(value: string): void {
  if (!VALUE.test(value) || value.length > 63) {
    throw new SelectorError(`unable to parse requirement: values[0][${value}]: Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`);
  }
}

export function parseLabelSelector(s: string): LabelRequirement[] {
  const reqs: LabelRequirement[] = [];
  for (const part of splitTopLevel(s)) {
    let m: RegExpExecArray | null;
    if ((m = /^!\s*([^\s=!(),]+)$/.exec(part))) {
      checkKey(m[1]!, s);
      reqs.push({ op: 'notexists', key: m[1]! });
    } else if ((m = /^([^\s=!(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part))) {
      checkKey(m[1]!, s);
      const values = m[3]!.split(',').map((v) => v.trim()).filter((v, i, all) => v.length > 0 || all.length === 1);
      values.forEach(checkValue);
      reqs.push({ op: m[2] === 'in' ? 'in' : 'notin', key: m[1]!, values });
    } else if ((m = /^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/.exec(part))) {
      checkKey(m[1]!, s);
      checkValue(m[3]!);
      reqs.push({ op: m[2] === '!=' ? 'neq' : 'eq', key: m[1]!, value: m[3]! });
    } else if ((m = /^([^\s=!(),]+)$/.exec(part))) {
      checkKey(m[1]!, s);
      reqs.push({ op: 'exists', key: m[1]! });
    } else {
      throw new SelectorError(`unable to parse requirement: found '${part}', expected: identifier`);
    }
  }
  return reqs;
}

export function matchesLabels(reqs: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of reqs) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'eq': if (!has || v !== r.value) return false; break;
      case 'neq': if (has && v === r.value) return false; break;
      case 'in': if (!has || !r.values.includes(v!)) return false; break;
      case 'notin': if (has && r.values.includes(v!)) return false; break;
      case 'exists': if (!has) return false; break;
      case 'notexists': if (has) return false; break;
    }
  }
  return true;
}

export interface FieldRequirement {
  field: string;
  op: 'eq' | 'neq';
  value: string;
}

export function parseFieldSelector(s: string, supported: ReadonlySet<string>): FieldRequirement[] {
  const reqs: FieldRequirement[] = [];
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(part);
    if (!m) throw new SelectorError(`invalid selector: '${s}'; can't understand '${part}'`);
    const field = m[1]!.trim();
    if (!supported.has(field)) throw new SelectorError(`field label not supported: ${field}`);
    reqs.push({ field, op: m[2] === '!=' ? 'neq' : 'eq', value: m[3]!.trim() });
  }
  return reqs;
}

export function matchesFields(reqs: FieldRequirement[], fields: (name: string) => string): boolean {
  for (const r of reqs) {
    const v = fields(r.field);
    if (r.op === 'eq' ? v !== r.value : v === r.value) return false;
  }
  return true;
}

/** The field set the pod registry exposes to selectors (pkg/registry/core/pod/strategy.go ToSelectableFields). */
export const POD_FIELDS: ReadonlySet<string> = new Set([
  'metadata.name', 'metadata.namespace', 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName',
  'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.podIPs',
  'status.nominatedNodeName',
]);

export const NAMESPACE_FIELDS: ReadonlySet<string> = new Set(['metadata.name', 'status.phase']);

export const NODE_FIELDS: ReadonlySet<string> = new Set(['metadata.name', 'spec.unschedulable']);

/**
 * The workload registries' field sets: generic.DefaultNamespaceScopedAttr, plus a ReplicaSet's
 * `status.replicas` and a Job's `status.successful` (its status.succeeded).
 */
export const WORKLOAD_FIELDS: Record<'deployments' | 'replicasets' | 'statefulsets' | 'daemonsets' | 'jobs', ReadonlySet<string>> = {
  deployments: new Set(['metadata.name', 'metadata.namespace']),
  replicasets: new Set(['metadata.name', 'metadata.namespace', 'status.replicas']),
  statefulsets: new Set(['metadata.name', 'metadata.namespace']),
  daemonsets: new Set(['metadata.name', 'metadata.namespace']),
  jobs: new Set(['metadata.name', 'metadata.namespace', 'status.successful']),
};

function dig(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

export function fieldValue(obj: KubeObject, field: string): string {
  // The event registry's `source` is source.component, or reportingComponent when that is empty.
  if (field === 'source' && obj.kind === 'Event') return fieldValue(obj, 'source.component') || fieldValue(obj, 'reportingComponent');
  // Int32 fields are converted with strconv.Itoa: an absent count is "0".
  if (field === 'status.successful' && obj.kind === 'Job') return String(dig(obj, 'status.succeeded') ?? 0);
  if (field === 'status.replicas' && obj.kind === 'ReplicaSet') return String(dig(obj, field) ?? 0);
  if (field === 'spec.hostNetwork') return String(dig(obj, field) === true);
  if (field === 'spec.unschedulable') return String(dig(obj, field) === true);
  if (field === 'status.podIPs') {
    const ips = dig(obj, field) as Array<{ ip: string }> | undefined;
    return ips && ips.length > 0 ? ips[0]!.ip : '';
  }
  const v = dig(obj, field);
  return v === undefined || v === null ? '' : String(v);
}
