// Where and how to open an exec WebSocket: the URL of the pod subresource and the TLS and
// credential options for `ws`, taken from the kubeconfig's current context.
import type { ClientOptions } from 'ws';

/**
 * The part of client-node's KubeConfig the engine uses. KubeConfig satisfies it as is; the CLI
 * passes a lighter loader so that a one-shot exec does not load the whole REST client.
 */
export interface KubeConfigLike {
  getCurrentContext(): string;
  getCurrentCluster(): { readonly name: string; readonly server: string } | null;
  /** Puts TLS material, bearer token / exec-plugin credentials, proxy agent onto `opts`. */
  applyToHTTPSOptions(opts: ClientOptions): Promise<void>;
}

export interface Endpoint {
  /** API server base URL without a trailing slash. */
  readonly server: string;
  readonly options: ClientOptions;
}

interface CacheEntry {
  readonly endpoint: Promise<Endpoint>;
  readonly created: number;
}

// Client setup reads certificate files and may run an exec credential plugin, so it is done
// once per kubeconfig object and context and reused. Credentials can expire behind our back
// (exec plugins, rotated token files); a 401 drops the entry (see `forgetEndpoint`) and the
// entry is also refreshed after a while so a rotated token file is picked up.
const MAX_AGE_MS = 5 * 60_000;
const cache = new WeakMap<object, Map<string, CacheEntry>>();

export function resolveEndpoint(kubeConfig: KubeConfigLike): { endpoint: Promise<Endpoint>; cached: boolean } {
  const context = kubeConfig.getCurrentContext();
  let perConfig = cache.get(kubeConfig);
  if (!perConfig) {
    perConfig = new Map();
    cache.set(kubeConfig, perConfig);
  }
  const entry = perConfig.get(context);
  if (entry && Date.now() - entry.created < MAX_AGE_MS) return { endpoint: entry.endpoint, cached: true };
  const endpoint = buildEndpoint(kubeConfig, context);
  perConfig.set(context, { endpoint, created: Date.now() });
  // A failed setup is not cached: the kubeconfig may be fixed before the next attempt.
  endpoint.catch(() => {
    if (perConfig.get(context)?.endpoint === endpoint) perConfig.delete(context);
  });
  return { endpoint, cached: false };
}

export function forgetEndpoint(kubeConfig: KubeConfigLike): void {
  cache.get(kubeConfig)?.delete(kubeConfig.getCurrentContext());
}

async function buildEndpoint(kubeConfig: KubeConfigLike, context: string): Promise<Endpoint> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster || !cluster.server) {
    throw new Error(
      context
        ? `The kubeconfig context "${context}" has no cluster with a server URL. Check the context's cluster entry in your kubeconfig.`
        : 'The kubeconfig has no current context. Pick a context (kubectl config use-context NAME) or pass one explicitly.',
    );
  }
  const options: ClientOptions = {};
  await kubeConfig.applyToHTTPSOptions(options);
  return { server: cluster.server.replace(/\/+$/, ''), options };
}

export interface SubresourceQuery {
  namespace: string;
  pod: string;
  subresource: 'exec' | 'attach';
  container?: string;
  command?: readonly string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** `.../pods/{pod}/exec?command=..&command=..&container=..&stdin=true...`; false flags are left out, as kubectl does. */
export function subresourcePath(q: SubresourceQuery): string {
  let query = '';
  const add = (key: string, value: string): void => {
    query += `${query ? '&' : '?'}${key}=${encodeURIComponent(value)}`;
  };
  if (q.subresource === 'exec') for (const arg of q.command ?? []) add('command', arg);
  if (q.container) add('container', q.container);
  if (q.stdin) add('stdin', 'true');
  if (q.stdout) add('stdout', 'true');
  if (q.stderr) add('stderr', 'true');
  if (q.tty) add('tty', 'true');
  return `/api/v1/namespaces/${encodeURIComponent(q.namespace)}/pods/${encodeURIComponent(q.pod)}/${q.subresource}${query}`;
}

/** "Unable to connect to https://host:port: connect ECONNREFUSED ..." from a socket/TLS/DNS error. */
export function connectErrorMessage(server: string, err: unknown): string {
  const detail = err instanceof Error ? err.message : String(err);
  return `Unable to connect to ${server}: ${detail}`;
}
