// Child process for scenario 6: the engine listing pods as the tree does, in a process of its
// own so that GNU time's peak RSS is the engine's. Timing starts once the client is warm
// (namespaces listed, as when the user expands a context), like in a loaded extension.
// Usage: node bench/listingChild.ts KUBECONFIG CONTEXT NAMESPACE
// Prints { namespacesMs, firstPageMs, firstPagePods, firstAllPageMs, fullModelMs, pods }.
import { performance } from 'node:perf_hooks';
import { ClusterClient } from '../src/kube/cluster.ts';
import { kubeConfigForContext, loadKubeconfig } from '../src/kube/kubeconfig.ts';
import { summarizeContainers, summarizePod } from '../src/kube/podSummary.ts';
import type { V1Pod } from '@kubernetes/client-node';

/** What the tree renders for a namespace before "show more" (PODS_PER_PAGE in the tree). */
const SHOWN = 500;

function model(pods: V1Pod[]): unknown[] {
  const now = Date.now();
  return pods.map((pod) => ({ summary: summarizePod(pod, now), containers: summarizeContainers(pod) }));
}

const [kubeconfig, context, namespace] = process.argv.slice(2);
if (!kubeconfig || !context || !namespace) {
  console.error('usage: listingChild.ts KUBECONFIG CONTEXT NAMESPACE');
  process.exit(2);
}
const client = new ClusterClient(kubeConfigForContext(await loadKubeconfig({ files: [kubeconfig] }), context));
try {
  const t0 = performance.now();
  const { names } = await client.listNamespaces();
  const namespacesMs = performance.now() - t0;

  // Expanding a namespace: the tree lists its pods and renders the first SHOWN, by name.
  const t1 = performance.now();
  const { pods: nsPods } = await client.listAllPods(namespace);
  nsPods.sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
  const firstPage = model(nsPods.slice(0, SHOWN));
  const firstPageMs = performance.now() - t1;

  // Every pod of every namespace, summarised the way the tree shows them.
  const t2 = performance.now();
  let firstAllPageMs = Number.NaN;
  const { pods } = await client.listAllPods(undefined, {
    onPage: (_page, { index }) => {
      if (index === 0) firstAllPageMs = performance.now() - t2;
    },
  });
  const full = model(pods);
  const fullModelMs = performance.now() - t2;

  process.stdout.write(
    `${JSON.stringify({ namespaces: names.length, namespacesMs, firstPageMs, firstPagePods: firstPage.length, firstAllPageMs, fullModelMs, pods: full.length })}\n`,
  );
} finally {
  client.dispose();
}
