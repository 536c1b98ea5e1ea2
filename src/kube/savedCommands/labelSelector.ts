// Label selectors as kubectl takes them (`app=web,tier!=db`, `env in (a,b)`, `!canary`), parsed
// so a definition with a broken one is reported when it loads, and matched against a pod we
// already hold (a tree node) without asking the server again.

export type Requirement =
  | { key: string; op: 'exists' | 'notExists' }
  | { key: string; op: 'in' | 'notIn'; values: string[] };

export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

// A label key: optional DNS-subdomain prefix and a name of at most 63 characters.
const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Parses a selector; throws SelectorError saying which part is wrong. Empty selects everything. */
export function parseLabelSelector(text: string): Requirement[] {
  const requirements: Requirement[] = [];
  for (const part of splitTopLevel(text)) {
    const p = part.trim();
    if (p === '') {
      if (text.trim() === '') continue;
      throw new SelectorError(`"${text}" has an empty requirement (two commas in a row, or a comma at an end).`);
    }
    requirements.push(parseRequirement(p));
  }
  return requirements;
}

export function matchesSelector(requirements: readonly Requirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  return requirements.every((r) => {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case 'notExists':
        return !has;
      case 'in':
        return has && r.values.includes(l[r.key]);
      case 'notIn':
        return !has || !r.values.includes(l[r.key]);
    }
  });
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '(') depth += 1;
    if (c === ')') depth -= 1;
    if (c === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

function parseRequirement(p: string): Requirement {
  if (p.startsWith('!')) return { key: checkKey(p.slice(1).trim(), p), op: 'notExists' };
  const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(p);
  if (set) {
    const values = set[3].split(',').map((v) => checkValue(v.trim(), p));
    if (values.length === 0 || (values.length === 1 && values[0] === '')) throw new SelectorError(`"${p}" needs at least one value in the parentheses.`);
    return { key: checkKey(set[1], p), op: set[2] === 'in' ? 'in' : 'notIn', values };
  }
  const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(p);
  if (eq) return { key: checkKey(eq[1], p), op: eq[2] === '!=' ? 'notIn' : 'in', values: [checkValue(eq[3], p)] };
  if (/[\s=!<>()]/.test(p)) throw new SelectorError(`"${p}" is not a label requirement; write key=value, key!=value, key in (a,b), key notin (a,b), key or !key.`);
  return { key: checkKey(p, p), op: 'exists' };
}

function checkKey(key: string, part: string): string {
  const name = key.includes('/') ? key.slice(key.indexOf('/') + 1) : key;
  if (!KEY.test(key) || name.length > 63) throw new SelectorError(`"${key}" in "${part}" is not a valid label key.`);
  return key;
}

function checkValue(value: string, part: string): string {
  if (!VALUE.test(value) || value.length > 63) throw new SelectorError(`"${value}" in "${part}" is not a valid label value.`);
  return value;
}
