// Scenario 7: one command on many pods. The engine runs sessions with bounded concurrency on
// its warm client; kubectl needs one process per pod, in a loop or under `xargs -P`.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bulkNamespaceName } from '../test/kubesim/fixtures.ts';
import { kubectlBase, SERVER_CPU, withServerCpu, type BenchContext } from './context.ts';
import type { PodRef } from './engineProtocol.ts';
import type { Sample, Scenario } from './model.ts';
import { runMeasured } from './proc.ts';

export function fanOutTargets(ctx: BenchContext): PodRef[] {
  return Array.from({ length: ctx.sizes.fanOutPods }, (_, i) => ({ namespace: bulkNamespaceName(i, ctx.sizes.listingNamespaces), pod: `bulk-${i}` }));
}

async function engineFanOut(ctx: BenchContext): Promise<Sample> {
  const reply = await ctx.engine.request<{ ms: number }>(
    { op: 'fanOut', targets: fanOutTargets(ctx), command: ['true'], concurrency: ctx.sizes.fanOutConcurrency },
    300_000,
  );
  return { ms: reply.ms };
}

export function fanOut(): Scenario<BenchContext> {
  let listFile = '';
  return {
    id: '7',
    title: 'Fan-out: one command on 100 pods',
    method:
      '`true` in 100 running bulk pods spread over the bulk namespaces. Engine: the saved-commands fan-out runner (`runFanOut` + `execStarter`, output captured) in the warm worker, at most 10 sessions open at once; kubectl: a sequential `while read` loop of `kubectl exec`, and `xargs -P 10 -L 1 kubectl exec`. Wall time for all 100.',
    metrics: [{ key: 'ms', label: 'all pods done', unit: 'ms', better: 'lower' }, SERVER_CPU],
    rounds: 3,
    // The warm-up is one engine pass in setup (it makes kubesim create the 100 container roots);
    // a warm-up of the kubectl loop would only cost a minute.
    warmup: 0,
    async setup(ctx) {
      listFile = join(ctx.tmp, 'fanout-targets.txt');
      await writeFile(listFile, fanOutTargets(ctx).map((t) => `-n ${t.namespace} ${t.pod} -- true\n`).join(''));
      await engineFanOut(ctx);
    },
    variants: [
      {
        key: 'engine',
        label: `engine, in-process, 10 at a time`,
        side: 'ours',
        run: (ctx) => withServerCpu(ctx, () => engineFanOut(ctx)),
      },
      {
        key: 'loop',
        label: 'kubectl, sequential loop',
        side: 'kubectl',
        run: (ctx) =>
          withServerCpu(ctx, async () => {
            const script = `while read -r n ns pod rest; do "$0" "$@" exec -n "$ns" "$pod" -- true || exit 1; done`;
            return { ms: (await runMeasured('sh', ['-c', script, ctx.kubectl, ...kubectlBase(ctx)], { stdinFile: listFile, timeoutMs: 300_000 })).ms };
          }),
      },
      {
        key: 'xargs',
        label: 'xargs -P 10 kubectl exec',
        side: 'kubectl',
        run: (ctx) =>
          withServerCpu(ctx, async () => ({
            ms: (
              await runMeasured('xargs', ['-P', String(ctx.sizes.fanOutConcurrency), '-L', '1', ctx.kubectl, ...kubectlBase(ctx), 'exec'], {
                stdinFile: listFile,
                timeoutMs: 300_000,
              })
            ).ms,
          })),
      },
    ],
    checks: [
      { label: '≥ 5× faster than the sequential loop', metric: 'ms', ours: 'engine', theirs: 'loop', kind: 'ratio', op: '<=', limit: 0.2 },
      { label: 'no slower than xargs -P 10', metric: 'ms', ours: 'engine', theirs: 'xargs', kind: 'ratio', op: '<=', limit: 1 },
    ],
  };
}
