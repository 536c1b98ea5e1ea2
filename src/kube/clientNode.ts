// @kubernetes/client-node, loaded on first use rather than when the extension activates: it is
// over a megabyte of code (the generated API, auth providers and their dependencies), and
// compiling it would be most of the activation time. Listing contexts does not need it; the
// first request to a cluster does. The release build puts it in a file of its own
// (dist/client-node.js) that this import resolves to, so it is not even parsed before then.
import type { KubeConfig } from '@kubernetes/client-node';

/** What the engine uses of client-node at run time (the release build's file holds only this). */
export interface ClientNode {
  KubeConfig: typeof KubeConfig;
}

let loading: Promise<ClientNode> | undefined;

export function loadClientNode(): Promise<ClientNode> {
  loading ??= import('@kubernetes/client-node').then(
    // A CommonJS module imported as ESM may have its exports under `default`.
    (mod) => (mod.KubeConfig ? mod : (mod as unknown as { default: ClientNode }).default),
    (err: unknown) => {
      loading = undefined;
      throw new Error(`Could not load the Kubernetes client library: ${(err as Error).message}`, { cause: err });
    },
  );
  return loading;
}
