// Aggregated discovery (apidiscovery.k8s.io/v2, GA since 1.30): what a 1.35 API server answers on
// /api and /apis when the client asks for it, as kubectl and client-go do first. Clients that
// do not ask get the legacy APIVersions / APIGroupList.

export const AGGREGATED_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

interface LegacyResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  group?: string;
  version?: string;
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

/** The core group ("") as an APIGroupDiscoveryList, from the legacy /api/v1 resource list. */
export function coreDiscovery(resources: LegacyResource[]): unknown {
  const top = resources.filter((r) => !r.name.includes('/'));
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: [{
      metadata: { creationTimestamp: null },
      versions: [{
        version: 'v1',
        resources: top.map((r) => {
          const entry: Record<string, unknown> = {
            resource: r.name,
            responseKind: { group: '', version: '', kind: r.kind },
            scope: r.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: r.singularName,
            verbs: r.verbs,
          };
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
    }],
  };
}

/** kubesim serves no API groups beyond the core one. */
export function groupsDiscovery(): unknown {
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items: [] };
}
