// One loaded kubeconfig and the clients made from it, one per context, made on first use.
// A kubeconfig change builds a new set and disposes the old one, so no client outlives
// the configuration it was made from.
import { ClusterClient } from './cluster.ts';
import type { ContextConfig } from './contextConfig.ts';
import { kubeConfigForContext, type ContextInfo, type LoadedKubeconfig } from './kubeconfig.ts';

export class ClusterSet {
  readonly loaded: LoadedKubeconfig;
  private readonly configs = new Map<string, ContextConfig>();
  private readonly clients = new Map<string, ClusterClient>();
  private disposed = false;

  constructor(loaded: LoadedKubeconfig) {
    this.loaded = loaded;
  }

  get contexts(): ContextInfo[] {
    return this.loaded.contexts;
  }

  context(name: string): ContextInfo {
    const info = this.loaded.contexts.find((c) => c.name === name);
    if (!info) throw new Error(`Context "${name}" is not in the kubeconfig any more. Refresh the Kube Exec view.`);
    return info;
  }

  kubeConfig(context: string): ContextConfig {
    let kc = this.configs.get(context);
    if (!kc) {
      this.context(context);
      kc = kubeConfigForContext(this.loaded, context);
      this.configs.set(context, kc);
    }
    return kc;
  }

  client(context: string): ClusterClient {
    if (this.disposed) throw new Error('The kubeconfig was reloaded; try again.');
    let client = this.clients.get(context);
    if (!client) {
      client = new ClusterClient(this.kubeConfig(context));
      this.clients.set(context, client);
    }
    return client;
  }

  dispose(): void {
    this.disposed = true;
    for (const client of this.clients.values()) client.dispose();
    this.clients.clear();
    this.configs.clear();
  }
}
