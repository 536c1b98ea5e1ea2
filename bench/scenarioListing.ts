// Scenario 6: listing at scale. The engine as the tree uses it vs `kubectl get pods -A -o json`,
// which kubectl-based editor extensions run on every expand.
import { kubectlBase, type BenchContext } from './context.ts';
import type { Scenario } from './model.ts';
import { runMeasured } from './proc.ts';

interface ListingOutput {
  namespacesMs: number;
  firstPageMs: number;
  firstPagePods: number;
  firstAllPageMs: number;
  fullModelMs: number;
  pods: number;
}

/** The namespace expanded for "first page": one of the bulk namespaces. */
export function firstPageNamespace(ctx: BenchContext): string {
  return ctx.sizes.listingNamespaces <= 1 ? 'bulk' : 'bulk-0';
}

export function listingAtScale(): Scenario<BenchContext> {
  return {
    id: '6',
    title: 'Listing at scale',
    method:
      'kubesim holds 10,000 bulk pods over 50 namespaces (plus the fixtures). Engine, in a fresh process per round with the client warmed by a namespace list: first page = expanding one namespace (list its 200 pods, summarise the first 500 by name, as the tree renders them); full model = every pod of every namespace (`listAllPods`, 500 per page) summarised with its containers. kubectl: the whole `kubectl get pods -A -o json` process, output to /dev/null (not even parsed, in its favour). Peak RSS from GNU time for both.',
    metrics: [
      { key: 'firstPageMs', label: 'first page (namespace expand)', unit: 'ms', better: 'lower' },
      { key: 'fullMs', label: 'full pod model, all namespaces', unit: 'ms', better: 'lower' },
      { key: 'rss', label: 'peak RSS', unit: 'MiB', better: 'lower' },
      { key: 'cpuMs', label: 'CPU time of the process (user + sys)', unit: 'ms', better: 'lower' },
    ],
    rounds: 4,
    warmup: 1,
    variants: [
      {
        key: 'engine',
        label: 'engine (ClusterClient)',
        side: 'ours',
        run: async (ctx) => {
          const r = await runMeasured(ctx.node, [ctx.children.listing, ctx.kubeconfig, ctx.context, firstPageNamespace(ctx)], { rss: { tmp: ctx.tmp }, captureStdout: true });
          const out = JSON.parse(r.stdout.toString('utf8')) as ListingOutput;
          const expected = ctx.sizes.listingPods;
          if (out.pods < expected) throw new Error(`the engine listed ${out.pods} pods, expected at least ${expected}`);
          return { firstPageMs: out.firstPageMs, fullMs: out.fullModelMs, rss: r.rssMiB ?? Number.NaN, cpuMs: r.cpuMs ?? Number.NaN };
        },
      },
      {
        key: 'kubectl',
        label: 'kubectl get pods -A -o json',
        side: 'kubectl',
        run: async (ctx) => {
          const r = await runMeasured(ctx.kubectl, [...kubectlBase(ctx), 'get', 'pods', '-A', '-o', 'json', '--cache-dir', `${ctx.tmp}/kubectl-cache`], {
            rss: { tmp: ctx.tmp },
          });
          return { fullMs: r.ms, rss: r.rssMiB ?? Number.NaN, cpuMs: r.cpuMs ?? Number.NaN };
        },
      },
    ],
    checks: [
      { label: 'full model ≤ 0.5× kubectl', metric: 'fullMs', ours: 'engine', theirs: 'kubectl', kind: 'ratio', op: '<=', limit: 0.5 },
      { label: 'first page < 100 ms', metric: 'firstPageMs', ours: 'engine', kind: 'absolute', op: '<', limit: 100 },
    ],
  };
}
