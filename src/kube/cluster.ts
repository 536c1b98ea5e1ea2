// Read access to one cluster (the current context of a KubeConfig): namespaces, pods, nodes,
// and pod watches. Requests go out over node:http(s) directly rather than through client-node's
// generated API classes, for three reasons: the API server's Status message must reach the
// user (client-node's Watch drops it), watches must be abortable and resumable, and listing
// thousands of pods must not pay for ObjectSerializer (see podFromJson).
import type * as http from 'node:http';
import type * as https from 'node:https';
import { readFile } from 'node:fs/promises';
import type { Cluster, Context, KubeConfig, User, V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import { loadClientNode } from './clientNode.ts';
import { loadTransport, type Transport } from './transport.ts';
import { apiErrorFromResponse, describeError, KubeApiError } from './errors.ts';
import { readBody, readErrorBody } from './httpBody.ts';
import { podFromJson, PodWatcher, type PodWatchSource } from './podWatch.ts';
import { nodePath, podPath, podsPath } from './names.ts';
import { checkCertificateAuthority, checkClientIdentity, credentialsWithin, CredentialsTimeoutError, serverUrl } from './credentials.ts';
import { timeRequestConnection } from './exec/connect.ts';
import { entryProblem } from './kubeconfigEntries.ts';

export interface PodWatchListener {
  /** The full state after a (re-)list: replace whatever was known before. */
  onSync(pods: V1Pod[]): void;
  onEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: V1Pod): void;
  /** A human message; willRetry false means the watch has stopped for good. */
  onError(message: string, willRetry: boolean): void;
}

export interface PodWatch {
  dispose(): void;
}

export interface ListPodsOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continueToken?: string;
  signal?: AbortSignal;
}

export interface ListAllPodsOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Pods per request; 500 like kubectl. */
  pageSize?: number;
  /**
   * Pods in the first request. Defaults to min(pageSize, 100) when onPage is given, so the
   * first pods can be shown before a full page has been built, sent and parsed.
   */
  firstPageSize?: number;
  /**
   * Called with each page as it arrives, so a view can show the first pods at once.
   * `restarted` is true on the first page of a list that started over (its continue token
   * expired): pages delivered before it are stale and should be dropped.
   */
  onPage?: (pods: V1Pod[], page: { index: number; restarted: boolean }) => void;
  signal?: AbortSignal;
}

export interface WatchPodsOptions {
  labelSelector?: string;
  /** E.g. `metadata.name=web-0` to follow one pod. */
  fieldSelector?: string;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long the server keeps each watch request open before the watcher renews it; default 5 to 10 minutes. */
  timeoutSeconds?: number;
}

interface ListJson<T> {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[] | null;
}

/** Everything needed to send requests, with certificate and key files already read. */
interface Prepared {
  kc: KubeConfig;
  server: string;
  proxied: boolean;
  tokenFile?: string;
}

const REQUEST_TIMEOUT_MS = 30_000;
/** Extra time a watch may stay silent beyond its server-side timeout before we call it dead. */
const WATCH_GRACE_MS = 30_000;
/** client-go re-reads token files at most once a minute. */
const TOKEN_FILE_TTL_MS = 60_000;
const MAX_LIST_RESTARTS = 3;

/** What a client reads of its kubeconfig: client-node's KubeConfig and ContextConfig both fit. */
export interface ClusterSource {
  getCurrentContext(): string;
  getContextObject(name: string): Context | null;
  getCluster(name: string): Cluster | null;
  getUser(name: string): User | null;
}

export class ClusterClient {
  readonly server: string | undefined;
  private readonly source: ClusterSource;
  private readonly contextName: string;
  private readonly context: Context | null;
  private readonly lifetime = new AbortController();
  private readonly watches = new Set<PodWatch>();
  private prepared: Promise<Prepared> | undefined;
  private token: { file: string; value: string; readAt: number } | undefined;
  private agent: { key: string; agent: http.Agent } | undefined;
  private readonly retiredAgents: http.Agent[] = [];

  /** Talks to the cluster of `kubeConfig`'s current context. */
  constructor(kubeConfig: ClusterSource) {
    this.source = kubeConfig;
    this.contextName = kubeConfig.getCurrentContext();
    this.context = kubeConfig.getContextObject(this.contextName);
    this.server = this.context ? kubeConfig.getCluster(this.context.cluster)?.server : undefined;
  }

  /** The namespace the context names, or 'default'. */
  get namespace(): string {
    return this.context?.namespace || 'default';
  }

  /**
   * All namespace names. When the user may not list namespaces (403), the context's own
   * namespace is returned instead, with a reason to show, as a user of such a cluster can
   * still work in that namespace.
   */
  async listNamespaces(signal?: AbortSignal): Promise<{ names: string[]; fallbackReason?: string }> {
    try {
      const names: string[] = [];
      let token: string | undefined;
      do {
        const query = new URLSearchParams({ limit: '500' });
        if (token) query.set('continue', token);
        const list = await this.getJson<ListJson<V1Namespace>>(`/api/v1/namespaces?${query}`, signal);
        for (const ns of list.items ?? []) if (ns.metadata?.name) names.push(ns.metadata.name);
        token = list.metadata?.continue || undefined;
      } while (token);
      return { names };
    } catch (err) {
      if (err instanceof KubeApiError && err.httpStatus === 403) {
        return {
          names: [this.namespace],
          fallbackReason: `This user may not list namespaces, so only the context's namespace "${this.namespace}" is shown (${err.message}). Set a namespace on the context to work in another one.`,
        };
      }
      throw err;
    }
  }

  /** One page of pods; `namespace` undefined lists all namespaces. */
  async listPods(namespace: string | undefined, options: ListPodsOptions = {}): Promise<{ pods: V1Pod[]; continueToken?: string; resourceVersion: string }> {
    const query = new URLSearchParams();
    if (options.labelSelector) query.set('labelSelector', options.labelSelector);
    if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.continueToken) query.set('continue', options.continueToken);
    const qs = query.size > 0 ? `?${query}` : '';
    const list = await this.getJson<ListJson<V1Pod>>(`${podsPath(namespace)}${qs}`, options.signal);
    const items = list.items ?? [];
    for (const pod of items) podFromJson(pod);
    return { pods: items, continueToken: list.metadata?.continue || undefined, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  /**
   * Every pod, page by page. If the continue token expires midway (410), the list starts
   * over, because pages from two snapshots cannot be stitched together.
   */
  async listAllPods(namespace: string | undefined, options: ListAllPodsOptions = {}): Promise<{ pods: V1Pod[]; resourceVersion: string }> {
    const pageSize = options.pageSize ?? 500;
    const firstPageSize = options.firstPageSize ?? (options.onPage ? Math.min(pageSize, 100) : pageSize);
    for (let restarts = 0; ; restarts++) {
      const all: V1Pod[] = [];
      let token: string | undefined;
      let resourceVersion = '';
      let index = 0;
      try {
        do {
          const page = await this.listPods(namespace, {
            labelSelector: options.labelSelector,
            fieldSelector: options.fieldSelector,
            limit: index === 0 ? firstPageSize : pageSize,
            continueToken: token,
            signal: options.signal,
          });
          for (const pod of page.pods) all.push(pod);
          resourceVersion = page.resourceVersion;
          options.onPage?.(page.pods, { index, restarted: restarts > 0 && index === 0 });
          index++;
          token = page.continueToken;
        } while (token);
        return { pods: all, resourceVersion };
      } catch (err) {
        const expired = err instanceof KubeApiError && err.httpStatus === 410;
        if (!(token && expired && restarts < MAX_LIST_RESTARTS)) throw err;
      }
    }
  }

  async getPod(namespace: string, name: string, signal?: AbortSignal): Promise<V1Pod> {
    const pod = await this.getJson<V1Pod>(podPath(namespace, name), signal);
    return podFromJson(pod);
  }

  async getNode(name: string, signal?: AbortSignal): Promise<V1Node> {
    return this.getJson<V1Node>(nodePath(name), signal);
  }

  /**
   * The operating system of the pod's node ('linux', 'windows'), to choose a shell. Reading
   * nodes is often forbidden to ordinary users; then the pod's own nodeSelector is the best
   * evidence left. Undefined when neither says.
   */
  async nodeOperatingSystem(pod: V1Pod, signal?: AbortSignal): Promise<string | undefined> {
    const nodeName = pod.spec?.nodeName;
    if (nodeName) {
      try {
        const node = await this.getNode(nodeName, signal);
        const os = node.metadata?.labels?.['kubernetes.io/os'] ?? node.status?.nodeInfo?.operatingSystem;
        if (os) return os;
      } catch {
        // Forbidden or unreachable: fall back to what the pod says.
      }
    }
    return pod.spec?.nodeSelector?.['kubernetes.io/os'];
  }

  /** Lists, then watches, until disposed; see PodWatcher for how it recovers. */
  watchPods(namespace: string | undefined, listener: PodWatchListener, options: WatchPodsOptions = {}): PodWatch {
    if (this.lifetime.signal.aborted) throw new Error(this.closedMessage());
    // A name that cannot be sent is reported once, as a watch that stopped for good, rather than
    // retried by the watcher (a server may list a namespace called "..").
    let path: string;
    try {
      path = podsPath(namespace);
    } catch (err) {
      queueMicrotask(() => listener.onError((err as Error).message, false));
      return { dispose: () => undefined };
    }
    const selector = options.labelSelector;
    const fieldSelector = options.fieldSelector;
    const source: PodWatchSource = {
      server: this.server,
      listAll: (signal) => this.listAllPods(namespace, { labelSelector: selector, fieldSelector, signal }),
      openWatch: (resourceVersion, timeoutSeconds, signal) => {
        const query = new URLSearchParams({ watch: '1', allowWatchBookmarks: 'true', timeoutSeconds: String(timeoutSeconds) });
        if (resourceVersion) query.set('resourceVersion', resourceVersion);
        if (selector) query.set('labelSelector', selector);
        if (fieldSelector) query.set('fieldSelector', fieldSelector);
        return this.send(`${path}?${query}`, signal, timeoutSeconds * 1000 + WATCH_GRACE_MS);
      },
    };
    const watcher = new PodWatcher(source, listener, { minBackoffMs: options.minBackoffMs, maxBackoffMs: options.maxBackoffMs, timeoutSeconds: options.timeoutSeconds }, () =>
      this.watches.delete(watcher),
    );
    this.watches.add(watcher);
    watcher.start();
    return watcher;
  }

  /**
   * Sends a request with a JSON body (PATCH, PUT, POST) and returns the parsed answer; a
   * failure is a KubeApiError with the server's Status. `contentType` names the patch type,
   * e.g. `application/strategic-merge-patch+json`.
   */
  async requestJson<T>(method: string, pathAndQuery: string, body: unknown, contentType = 'application/json', signal?: AbortSignal): Promise<T> {
    const response = await this.send(pathAndQuery, signal, REQUEST_TIMEOUT_MS, { method, body: JSON.stringify(body), contentType });
    return this.parseJson<T>(response, pathAndQuery, signal);
  }

  /** Stops every watch and request of this client and closes its connections. */
  dispose(): void {
    if (this.lifetime.signal.aborted) return;
    this.lifetime.abort();
    for (const watch of [...this.watches]) watch.dispose();
    this.watches.clear();
    this.agent?.agent.destroy();
    this.agent = undefined;
    for (const agent of this.retiredAgents) agent.destroy();
    this.retiredAgents.length = 0;
  }

  private closedMessage(): string {
    return `The connection to context "${this.contextName}" was closed.`;
  }

  private async getJson<T>(pathAndQuery: string, signal: AbortSignal | undefined): Promise<T> {
    return this.parseJson<T>(await this.send(pathAndQuery, signal, REQUEST_TIMEOUT_MS), pathAndQuery, signal);
  }

  private async parseJson<T>(response: http.IncomingMessage, pathAndQuery: string, signal: AbortSignal | undefined): Promise<T> {
    let text: string;
    try {
      text = await readBody(response);
    } catch (err) {
      throw this.humanError(err, signal);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`The API server at ${this.server} answered ${pathAndQuery.split('?')[0]} with something that is not JSON.`);
    }
  }

  /**
   * Sends a request (a GET unless `init` says otherwise) and resolves with the response once it
   * is known to be a success; any other answer becomes a KubeApiError carrying the server's
   * Status. `timeoutMs` is how long the connection may stay silent.
   */
  private async send(
    pathAndQuery: string,
    signal: AbortSignal | undefined,
    timeoutMs: number,
    init: { method: string; body: string; contentType: string } = { method: 'GET', body: '', contentType: '' },
  ): Promise<http.IncomingMessage> {
    const combined = signal ? AbortSignal.any([signal, this.lifetime.signal]) : this.lifetime.signal;
    if (combined.aborted) throw this.humanError(combined.reason, signal);
    const prepared = await this.prepare();
    const transport = await loadTransport();
    const options = await this.requestOptions(prepared, transport);
    if (combined.aborted) throw this.humanError(combined.reason, signal);
    const url = new URL(prepared.server + pathAndQuery);
    const protocol = url.protocol === 'http:' ? transport.http : transport.https;

    return new Promise((resolve, reject) => {
      const request = protocol.request(
        url,
        {
          ...options,
          method: init.method,
          headers: {
            ...(options.headers as Record<string, string> | undefined),
            Accept: 'application/json',
            'User-Agent': 'kube-exec',
            ...(init.body ? { 'Content-Type': init.contentType, 'Content-Length': String(Buffer.byteLength(init.body)) } : {}),
          },
          signal: combined,
        },
        (response) => {
          const code = response.statusCode ?? 0;
          if (code >= 200 && code < 300) {
            resolve(response);
            return;
          }
          void readErrorBody(response).then((body) => reject(apiErrorFromResponse(code, body, prepared.server)));
        },
      );
      timeRequestConnection(request, prepared.server);
      request.setTimeout(timeoutMs, () => {
        const timeout = Object.assign(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`), { name: 'TimeoutError', timeoutMs });
        request.destroy(timeout);
      });
      // Stays attached after the response: a later socket error must not go unhandled.
      request.on('error', (err) => reject(this.humanError(err, signal)));
      request.end(init.body || undefined);
    });
  }

  private humanError(err: unknown, signal: AbortSignal | undefined): Error {
    if (err instanceof KubeApiError) return err;
    if (this.lifetime.signal.aborted && !signal?.aborted) return Object.assign(new Error(this.closedMessage(), { cause: err }), { name: 'AbortError' });
    // The caller's own reason says more than the request's generic AbortError (e.g. AbortSignal.timeout()).
    const cause = signal?.aborted && signal.reason !== undefined ? signal.reason : err;
    const error = new Error(describeError(cause, this.server), { cause });
    const name = (cause as { name?: unknown } | undefined)?.name;
    if (name === 'AbortError' || name === 'TimeoutError') error.name = name;
    return error;
  }

  /**
   * A private copy of the context's cluster and user with certificate, key and CA files read
   * (asynchronously: client-node would read them synchronously on every request).
   */
  private prepare(): Promise<Prepared> {
    if (!this.prepared) {
      this.prepared = this.load();
      // A file the user fixes later should be picked up by the next request.
      this.prepared.catch(() => (this.prepared = undefined));
    }
    return this.prepared;
  }

  private async load(): Promise<Prepared> {
    const ctx = this.context;
    if (!ctx) throw new Error(`Context "${this.contextName}" is not defined in the kubeconfig.`);
    const cluster = this.source.getCluster(ctx.cluster);
    if (!cluster) throw new Error(`Context "${ctx.name}" refers to cluster "${ctx.cluster}", which is not defined in the kubeconfig.`);
    const user = ctx.user ? this.source.getUser(ctx.user) : null;
    if (ctx.user && !user) throw new Error(`Context "${ctx.name}" refers to user "${ctx.user}", which is not defined in the kubeconfig.`);
    const problem = entryProblem(cluster) ?? entryProblem(user);
    if (problem) throw new Error(problem);
    const server = serverUrl(cluster.server, cluster.name);

    const plainHttp = server.startsWith('http:');
    const privateCluster: Cluster = {
      ...cluster,
      caFile: undefined,
      caData: cluster.caFile ? await readBase64(cluster.caFile, `certificate-authority file of cluster "${cluster.name}"`) : cluster.caData,
      // client-node refuses http:// servers unless TLS checks are off; kubectl allows them
      // (e.g. `kubectl proxy`), and there is no TLS to check.
      skipTLSVerify: cluster.skipTLSVerify || plainHttp,
    };
    let tokenFile: string | undefined;
    let privateUser: User = user ?? { name: `${ctx.name}-anonymous` };
    if (user) {
      const authProvider = user.authProvider as { name?: string; config?: { tokenFile?: string } } | undefined;
      tokenFile = authProvider?.config?.tokenFile;
      privateUser = {
        ...user,
        certFile: undefined,
        keyFile: undefined,
        certData: user.certFile ? await readBase64(user.certFile, `client-certificate file of user "${user.name}"`) : user.certData,
        keyData: user.keyFile ? await readBase64(user.keyFile, `client-key file of user "${user.name}"`) : user.keyData,
        // The token file is read here, asynchronously, instead of by client-node.
        authProvider: tokenFile ? undefined : user.authProvider,
      };
      // Checked once here: OpenSSL would quietly send no certificate for a mismatched pair.
      const decode = (data: string | undefined) => (data ? Buffer.from(data, 'base64') : undefined);
      await checkClientIdentity({ cert: decode(privateUser.certData), key: decode(privateUser.keyData) }, user.name);
    }
    if (privateCluster.caData) await checkCertificateAuthority(Buffer.from(privateCluster.caData, 'base64'), cluster.name);
    const { KubeConfig } = await loadClientNode();
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [privateCluster],
      users: [privateUser],
      contexts: [{ ...ctx, user: privateUser.name }],
      currentContext: ctx.name,
    });
    return { kc, server, proxied: !!cluster.proxyUrl, tokenFile };
  }

  private async requestOptions(prepared: Prepared, transport: Transport): Promise<https.RequestOptions> {
    const options: https.RequestOptions = {};
    try {
      await credentialsWithin(prepared.kc.applyToHTTPSOptions(options), { user: this.context?.user ?? '', context: this.contextName });
    } catch (err) {
      if (err instanceof CredentialsTimeoutError) throw err;
      const user = this.context?.user ?? '';
      const command = (prepared.kc.getCurrentUser()?.exec as { command?: unknown } | undefined)?.command;
      const plugin = typeof command === 'string' ? ` from its exec credential plugin "${command}"` : '';
      // client-node rejects with the plugin's stderr, which may be empty.
      const why = err instanceof Error && !err.message.trim() ? 'the plugin failed and printed no explanation' : describeError(err, prepared.server);
      throw new Error(`Could not get credentials for user "${user}" of context "${this.contextName}"${plugin}: ${why}`, { cause: err });
    }
    if (prepared.tokenFile) {
      options.headers = { ...options.headers, Authorization: `Bearer ${await this.readToken(prepared.tokenFile)}` };
    }
    // client-node's agent does not keep connections alive; paging through thousands of pods
    // would pay a TLS handshake per page. Proxies stay with client-node, which knows them.
    if (!prepared.proxied) options.agent = this.keepAliveAgent(transport, options, prepared.server.startsWith('http:'));
    return options;
  }

  private async readToken(file: string): Promise<string> {
    const now = Date.now();
    if (this.token && this.token.file === file && now - this.token.readAt < TOKEN_FILE_TTL_MS) return this.token.value;
    let value: string;
    try {
      value = (await readFile(file, 'utf8')).trim();
    } catch (err) {
      throw new Error(`Cannot read the token-file ${file} of user "${this.context?.user ?? ''}": ${(err as Error).message}`, { cause: err });
    }
    this.token = { file, value, readAt: now };
    return value;
  }

  /** One agent per TLS identity; a new identity (rotated exec-plugin certificate) gets a new one. */
  private keepAliveAgent({ http, https }: Transport, options: https.RequestOptions, plainHttp: boolean): http.Agent {
    const tls: https.AgentOptions = { keepAlive: true };
    for (const key of ['ca', 'cert', 'key', 'pfx', 'passphrase', 'servername', 'rejectUnauthorized'] as const) {
      if (options[key] !== undefined) (tls as Record<string, unknown>)[key] = options[key];
    }
    const identity = JSON.stringify([plainHttp, tls.ca, tls.cert, tls.key, tls.pfx, tls.passphrase, tls.servername, tls.rejectUnauthorized], (_k, v: unknown) =>
      Buffer.isBuffer(v) ? v.toString('base64') : v,
    );
    if (this.agent?.key === identity) return this.agent.agent;
    if (this.agent) this.retiredAgents.push(this.agent.agent);
    const agent = plainHttp ? new http.Agent({ keepAlive: true }) : new https.Agent(tls);
    this.agent = { key: identity, agent };
    return agent;
  }
}


async function readBase64(file: string, what: string): Promise<string> {
  try {
    return (await readFile(file)).toString('base64');
  } catch (err) {
    throw new Error(`Cannot read the ${what}: ${(err as Error).message}`, { cause: err });
  }
}
