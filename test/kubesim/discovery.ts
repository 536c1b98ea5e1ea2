// Aggregated discovery (apidiscovery.k8s.io/v2, GA since 1.30): what a 1.35 API server answers on
// /api and /apis when the client asks for it, as kubectl and client-go do first. Clients that
// do not ask get the legacy APIVersions / APIGroupList.

export const AGGREGATED_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

export interface LegacyResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  group?: string;
  version?: string;
  storageVersionHash?: string;
}

/** True when the Accept header's first usable type is the v2 aggregated discovery document. */
export function wantsAggregated(accept: string | undefined): boolean {
  if (!accept) return false;
  for (const raw of accept.split(',')) {
    const [type, ...params] = raw.split(';').map((s) => s.trim());
    const p = new Map(params.map((kv) => kv.split('=').map((s) => s.trim()) as [string, string]));
    if (type !== 'application/json' && type !== '*/*') continue;
    if (p.get('as') === 'APIGroupDiscoveryList') {
      if (p.get('g') === 'apidiscovery.k8s.io' && p.get('v') === 'v2') return true;
      continue;
    }
    return false;
  }
  return false;
}

/** One group's APIGroupDiscovery (its v1 only), from its legacy APIResourceList entries. */
function groupDiscovery(group: string, resources: LegacyResource[]): Record<string, unknown> {
  const top = resources.filter((r) => !r.name.includes('/'));
  const metadata: Record<string, unknown> = { creationTimestamp: null };
  if (group) metadata['name'] = group;
  return {
    metadata,
    versions: [{
      version: 'v1',
      resources: top.map((r) => {
        const entry: Record<string, unknown> = {
          resource: r.name,
          responseKind: { group, version: 'v1', kind: r.kind },
          scope: r.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: r.singularName,
          verbs: r.verbs,
        };
        // The core group's responseKind leaves group and version empty.
        if (!group) entry['responseKind'] = { group: '', version: '', kind: r.kind };
        if (r.shortNames) entry['shortNames'] = r.shortNames;
        if (r.categories) entry['categories'] = r.categories;
        const subs = resources.filter((s) => s.name.startsWith(`${r.name}/`)).map((s) => ({
          subresource: s.name.slice(r.name.length + 1),
          responseKind: { group: s.group ?? '', version: s.version ?? '', kind: s.kind },
          verbs: s.verbs,
        }));
        if (subs.length > 0) entry['subresources'] = subs;
        return entry;
      }),
      freshness: 'Current',
    }],
  };
}

/** The core group ("") as an APIGroupDiscoveryList, from the legacy /api/v1 resource list. */
export function coreDiscovery(resources: LegacyResource[]): unknown {
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items: [groupDiscovery('', resources)] };
}

/** The named groups kubesim serves (apps, batch), each with its v1 resources. */
export interface ApiGroup {
  name: string;
  resources: LegacyResource[];
}

/** /apis as an APIGroupDiscoveryList (none: a server that serves only the core group). */
export function groupsDiscovery(groups: ApiGroup[] = []): unknown {
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items: groups.map((g) => groupDiscovery(g.name, g.resources)) };
}

function apiGroup(g: ApiGroup): Record<string, unknown> {
  const gv = { groupVersion: `${g.name}/v1`, version: 'v1' };
  return { name: g.name, versions: [gv], preferredVersion: gv };
}

/** The legacy documents: /apis (APIGroupList), /apis/{group} (APIGroup), /apis/{group}/v1 (APIResourceList). */
export function legacyGroupDocument(groups: ApiGroup[], path: string): unknown {
  if (path === '/apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(apiGroup) };
  for (const g of groups) {
    if (path === `/apis/${g.name}`) return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g) };
    if (path === `/apis/${g.name}/v1`) return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${g.name}/v1`, resources: g.resources };
  }
  return undefined;
}
