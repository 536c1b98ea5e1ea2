// The object store behind kubesim: one global resourceVersion counter (as etcd's revision),
// per-kind collections kept in key order (as etcd lists them), an event history that watches and
// paginated lists are served from, and a compaction point below which history is gone (410).
// Serialised JSON is cached per object so listing 10,000 pods is a string join, not a stringify.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent<T extends KubeObject> {
  rv: number;
  type: EventType;
  key: string;
  /** The object after the change (for DELETED: the last state, carrying the deletion's rv). */
  obj: T;
  /** The object before the change; undefined for ADDED. */
  prev: T | undefined;
}

export interface Watcher<T extends KubeObject> {
  onEvent(event: StoreEvent<T>): void;
}

interface Entry<T> {
  obj: T;
  /** The object as a list item (no kind/apiVersion), UTF-8, built on first use. */
  item: Buffer | undefined;
}

/** Serialises an object the way list items are sent: without kind and apiVersion. */
export function itemBytes(obj: KubeObject): Buffer {
  const { kind: _kind, apiVersion: _apiVersion, ...rest } = obj;
  return Buffer.from(JSON.stringify(rest));
}

/** A full object (with kind/apiVersion) from its list-item bytes, without re-serialising. */
export function objectBytes(obj: KubeObject, item: Buffer): Buffer {
  if (!obj.kind) return item;
  const head = Buffer.from(`{"kind":${JSON.stringify(obj.kind)},"apiVersion":${JSON.stringify(obj.apiVersion ?? 'v1')}${item.length > 2 ? ',' : ''}`);
  return Buffer.concat([head, item.subarray(1)]);
}

/** Shared revision counter and compaction point for every collection, like a single etcd. */
export class Revision {
  current: number;
  /** Lowest resourceVersion still served from history; older ones get 410. */
  compacted: number;

  constructor(start: number) {
    this.current = start;
    this.compacted = start;
  }

  next(): number {
    this.current += 1;
    return this.current;
  }
}

/** Events kept per collection before older ones are compacted away. */
const HISTORY_LIMIT = 20_000;

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export class Collection<T extends KubeObject> {
  readonly revision: Revision;
  private readonly items = new Map<string, Entry<T>>();
  private sortedKeys: string[] | undefined;
  private readonly history: StoreEvent<T>[] = [];
  /** Per collection: the history start can be later than the global compaction point. */
  private historyStart: number;
  private readonly watchers = new Set<Watcher<T>>();

  constructor(revision: Revision) {
    this.revision = revision;
    this.historyStart = revision.current;
  }

  get size(): number {
    return this.items.size;
  }

  /** The oldest resourceVersion a watch or continue token may start from. */
  get oldestServable(): number {
    return Math.max(this.historyStart, this.revision.compacted);
  }

  get(key: string): T | undefined {
    return this.items.get(key)?.obj;
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  /** A stored object serialised as a list item, cached until it changes. */
  item(key: string): Buffer | undefined {
    const entry = this.items.get(key);
    if (!entry) return undefined;
    entry.item ??= itemBytes(entry.obj);
    return entry.item;
  }

  /** A stored object serialised in full. */
  bytes(key: string): Buffer | undefined {
    const entry = this.items.get(key);
    if (!entry) return undefined;
    return objectBytes(entry.obj, this.item(key)!);
  }

  keys(): string[] {
    if (!this.sortedKeys) this.sortedKeys = [...this.items.keys()].sort();
    return this.sortedKeys;
  }

  /** Inserts without an event; for building the initial state before anyone can watch. */
  seed(key: string, obj: T): void {
    obj.metadata.resourceVersion = String(this.revision.next());
    this.items.set(key, { obj, item: undefined });
    this.sortedKeys = undefined;
    this.historyStart = this.revision.current;
  }

  add(key: string, obj: T): StoreEvent<T> {
    if (this.items.has(key)) throw new Error(`kubesim: ${key} already exists`);
    this.sortedKeys = undefined;
    return this.commit('ADDED', key, obj, undefined);
  }

  update(key: string, mutate: (obj: T) => void): StoreEvent<T> {
    const entry = this.items.get(key);
    if (!entry) throw new Error(`kubesim: ${key} does not exist`);
    const prev = entry.obj;
    const next = structuredClone(prev);
    mutate(next);
    return this.commit('MODIFIED', key, next, prev);
  }

  delete(key: string): StoreEvent<T> {
    const entry = this.items.get(key);
    if (!entry) throw new Error(`kubesim: ${key} does not exist`);
    this.sortedKeys = undefined;
    const last = structuredClone(entry.obj);
    return this.commit('DELETED', key, last, entry.obj);
  }

  private commit(type: EventType, key: string, obj: T, prev: T | undefined): StoreEvent<T> {
    const rv = this.revision.next();
    obj.metadata.resourceVersion = String(rv);
    if (type === 'DELETED') this.items.delete(key);
    else this.items.set(key, { obj, item: undefined });
    const event: StoreEvent<T> = { rv, type, key, obj, prev };
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) {
      const dropped = this.history.splice(0, this.history.length - HISTORY_LIMIT);
      this.historyStart = dropped[dropped.length - 1]!.rv;
    }
    for (const w of [...this.watchers]) w.onEvent(event);
    return event;
  }

  /** Events with rv > after, in order. The caller checks `after >= oldestServable` first. */
  eventsAfter(after: number): StoreEvent<T>[] {
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid]!.rv <= after) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  /**
   * The objects as they were at resourceVersion `rv`: current state with every later change
   * undone. Returns only the keys that differ from now (undefined = did not exist then).
   */
  changesSince(rv: number): Map<string, T | undefined> {
    const then = new Map<string, T | undefined>();
    for (const event of this.eventsAfter(rv)) {
      if (!then.has(event.key)) then.set(event.key, event.prev);
    }
    return then;
  }

  watch(watcher: Watcher<T>): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  get watcherCount(): number {
    return this.watchers.size;
  }
}

/** Where `key` is, or would go, in sorted `keys` (a collection's keys, for prefix and range scans). */
export function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
