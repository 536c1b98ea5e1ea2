// One context of the loaded kubeconfig, in the form the engine takes: what exec sessions,
// REST requests and cluster clients read of it. Credentials (TLS material, tokens, exec
// credential plugins, auth providers, proxies) are applied by client-node's own KubeConfig,
// made for this context alone when the first connection needs it.
import type { Cluster, Context, KubeConfig, User } from '@kubernetes/client-node';
import type { ClientOptions } from 'ws';
import { loadClientNode } from './clientNode.ts';
import type { KubeConfigLike } from './exec/connect.ts';
import { credentialsWithin } from './credentials.ts';
import { entryProblem, type KubeconfigEntries } from './kubeconfigEntries.ts';

export class ContextConfig implements KubeConfigLike {
  private readonly context: Context;
  private readonly cluster: Cluster | null;
  private readonly user: User | null;
  private full: Promise<KubeConfig> | undefined;

  /**
   * Copies the context, its cluster and its user out of `entries`, so nothing done through this
   * object (auth-provider caches) reaches the loaded kubeconfig. Throws when the context is not
   * defined.
   */
  constructor(entries: KubeconfigEntries, contextName: string) {
    const context = entries.contexts.find((c) => c.name === contextName);
    if (!context) {
      const known = entries.contexts.map((c) => c.name);
      throw new Error(`Context "${contextName}" is not defined in the kubeconfig${known.length ? ` (it has: ${known.join(', ')})` : ''}.`);
    }
    this.context = structuredClone(context);
    this.cluster = structuredClone(entries.clusters.find((c) => c.name === context.cluster) ?? null);
    this.user = structuredClone((context.user && entries.users.find((u) => u.name === context.user)) || null);
  }

  getCurrentContext(): string {
    return this.context.name;
  }

  getContextObject(name: string): Context | null {
    return name === this.context.name ? this.context : null;
  }

  getCluster(name: string): Cluster | null {
    return this.cluster && name === this.cluster.name ? this.cluster : null;
  }

  getUser(name: string): User | null {
    return this.user && name === this.user.name ? this.user : null;
  }

  getCurrentCluster(): Cluster | null {
    return this.cluster;
  }

  getCurrentUser(): User | null {
    return this.user;
  }

  async applyToHTTPSOptions(opts: ClientOptions): Promise<void> {
    if (this.context.user && !this.user) {
      // client-node would go on without credentials: an anonymous request nobody asked for.
      throw new Error(`Context "${this.context.name}" refers to user "${this.context.user}", which is not defined in the kubeconfig.`);
    }
    const problem = entryProblem(this.cluster) ?? entryProblem(this.user);
    if (problem) throw new Error(problem);
    const kubeConfig = await this.kubeConfig();
    await credentialsWithin(kubeConfig.applyToHTTPSOptions(opts), { user: this.user?.name ?? '', context: this.context.name });
  }

  /** client-node's KubeConfig for this context alone, made once. */
  private kubeConfig(): Promise<KubeConfig> {
    this.full ??= loadClientNode().then(({ KubeConfig }) => {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: this.cluster ? [this.cluster] : [],
        users: this.user ? [this.user] : [],
        contexts: [this.context],
        currentContext: this.context.name,
      });
      return kc;
    });
    // A failed load is not kept: the next connection tries again.
    this.full.catch(() => (this.full = undefined));
    return this.full;
  }
}
