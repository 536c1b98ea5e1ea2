// Scenarios 1-3: what a click costs. One-shot exec (whole processes, and in-process on a warm
// client), a TTY shell's first prompt byte, and keystroke echo latency.
import { kubectlBase, cliBase, SERVER_CPU, withServerCpu, type BenchContext } from './context.ts';
import type { Sample, Scenario } from './model.ts';
import { runMeasured } from './proc.ts';
import { spawnPty } from './pty.ts';
import { typeKeys } from './keys.ts';
import { percentile } from './stats.ts';

/** A pod with a bash image, and one whose only shell is sh (both run the same dash binary). */
const WEB = { namespace: 'default', pod: 'web-0', container: 'app' };
const SH_ONLY = { namespace: 'default', pod: 'busybox-0', container: 'main' };

const wall = { key: 'ms', label: 'wall time', unit: 'ms', better: 'lower' } as const;
const cpu = { key: 'cpuMs', label: 'CPU time (user + sys)', unit: 'ms', better: 'lower' } as const;
const rss = { key: 'rss', label: 'peak RSS', unit: 'MiB', better: 'lower' } as const;

/** A whole process under GNU time: wall, CPU and peak RSS. */
async function whole(ctx: BenchContext, file: string, args: string[]): Promise<Sample> {
  const r = await runMeasured(file, args, { rss: { tmp: ctx.tmp } });
  return { ms: r.ms, cpuMs: r.cpuMs ?? Number.NaN, rss: r.rssMiB ?? Number.NaN };
}

export function oneShotCli(): Scenario<BenchContext> {
  return {
    id: '1a',
    title: 'One-shot exec, whole process',
    method:
      '`node dist/cli.js exec web-0 -- true` vs `kubectl exec web-0 -- true`: spawn to exit (both under GNU time, for CPU time and peak RSS), stdout to /dev/null.',
    metrics: [wall, cpu, rss, SERVER_CPU],
    rounds: 12,
    warmup: 2,
    variants: [
      {
        key: 'cli',
        label: 'kube-exec CLI',
        side: 'ours',
        run: (ctx) => withServerCpu(ctx, () => whole(ctx, ctx.node, [...cliBase(ctx), WEB.pod, '--', 'true'])),
      },
      {
        key: 'kubectl',
        label: 'kubectl',
        side: 'kubectl',
        run: (ctx) => withServerCpu(ctx, () => whole(ctx, ctx.kubectl, [...kubectlBase(ctx), 'exec', WEB.pod, '--', 'true'])),
      },
    ],
    checks: [{ label: 'CLI within 1.5× kubectl', metric: 'ms', ours: 'cli', theirs: 'kubectl', kind: 'ratio', op: '<=', limit: 1.5 }],
  };
}

export function oneShotClick(): Scenario<BenchContext> {
  return {
    id: '1b',
    title: 'One-shot exec, a click in the loaded extension',
    method:
      'Engine already loaded with a warm client (a long-lived worker process): `ExecSession.start` of `true` to its exit status, timed inside the worker (CPU time: what the worker used, from `process.cpuUsage`); vs the whole `kubectl exec web-0 -- true` process a kubectl-based tool spawns per action. Ceiling: a bare `ws` client doing the same exec in-process.',
    metrics: [wall, cpu, SERVER_CPU],
    rounds: 12,
    warmup: 2,
    variants: [
      {
        key: 'engine',
        label: 'engine, in-process',
        side: 'ours',
        run: (ctx) => withServerCpu(ctx, () => ctx.engine.request<{ ms: number; cpuMs: number }>({ op: 'oneShot', target: WEB, command: ['true'] })),
      },
      {
        key: 'kubectl',
        label: 'kubectl process',
        side: 'kubectl',
        run: (ctx) =>
          withServerCpu(ctx, async () => {
            const { ms, cpuMs } = await whole(ctx, ctx.kubectl, [...kubectlBase(ctx), 'exec', WEB.pod, '--', 'true']);
            return { ms: ms!, cpuMs: cpuMs! };
          }),
      },
      {
        key: 'bare',
        label: 'bare ws client (kubesim floor)',
        side: 'ceiling',
        run: (ctx) => withServerCpu(ctx, async () => ({ ms: (await ctx.engine.request<{ ms: number }>({ op: 'bareExec', target: WEB, command: ['true'] })).ms })),
      },
    ],
    checks: [{ label: 'click ≤ 0.15× kubectl process', metric: 'ms', ours: 'engine', theirs: 'kubectl', kind: 'ratio', op: '<=', limit: 0.15 }],
  };
}

export function shellReady(): Scenario<BenchContext> {
  return {
    id: '2',
    title: 'Shell ready (first prompt byte)',
    method:
      '`openShell` on busybox-0 with the default shell list (bash, ash, sh; after the warm-up the shell found is remembered, as in the extension) until the first output byte, in the warm worker; vs `kubectl exec -it busybox-0 -- sh` under a PTY, spawn to first byte. Both run the same sh (dash).',
    metrics: [{ key: 'ms', label: 'to first prompt byte', unit: 'ms', better: 'lower' }],
    rounds: 10,
    warmup: 2,
    variants: [
      {
        key: 'engine',
        label: 'engine, in-process',
        side: 'ours',
        run: async (ctx) => ({ ms: (await ctx.engine.request<{ ms: number }>({ op: 'shellReady', target: SH_ONLY })).ms }),
      },
      {
        key: 'kubectl',
        label: 'kubectl -it (PTY)',
        side: 'kubectl',
        run: async (ctx) => {
          const proc = spawnPty(ctx.kubectl, [...kubectlBase(ctx), 'exec', '-it', SH_ONLY.pod, '--', 'sh']);
          try {
            return { ms: await proc.firstOutput };
          } finally {
            await proc.end();
          }
        },
      },
    ],
    checks: [{ label: 'shell ready ≤ 0.3× kubectl', metric: 'ms', ours: 'engine', theirs: 'kubectl', kind: 'ratio', op: '<=', limit: 0.3 }],
  };
}

export function keystrokeEcho(): Scenario<BenchContext> {
  return {
    id: '3',
    title: 'Keystroke echo',
    method:
      'A TTY `sh` in busybox-0; keys typed one at a time, each after the previous echo arrived (the remote terminal echoes). Engine: `ExecSession` stdin/stdout in the warm worker; kubectl: `kubectl exec -it` under a PTY, as a terminal emulator drives it. p50/p99 per round of N keys; medians of rounds.',
    metrics: [
      { key: 'p50', label: 'echo p50', unit: 'ms', better: 'lower' },
      { key: 'p99', label: 'echo p99', unit: 'ms', better: 'lower' },
    ],
    rounds: 3,
    warmup: 1,
    variants: [
      {
        key: 'engine',
        label: 'engine, in-process',
        side: 'ours',
        run: async (ctx) => {
          const r = await ctx.engine.request<{ p50: number; p99: number }>({ op: 'keystrokes', target: SH_ONLY, command: ['sh'], count: ctx.sizes.keystrokes });
          return { p50: r.p50, p99: r.p99 };
        },
      },
      {
        key: 'kubectl',
        label: 'kubectl -it (PTY)',
        side: 'kubectl',
        run: async (ctx) => {
          const proc = spawnPty(ctx.kubectl, [...kubectlBase(ctx), 'exec', '-it', SH_ONLY.pod, '--', 'sh']);
          try {
            await proc.firstOutput;
            const latencies = await typeKeys(ctx.sizes.keystrokes, (key) => proc.term.write(key), (l) => proc.subscribe(l));
            return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
          } finally {
            await proc.end();
          }
        },
      },
    ],
    checks: [
      { label: 'p99 added over kubectl ≤ 1 ms', metric: 'p99', ours: 'engine', theirs: 'kubectl', kind: 'difference', op: '<=', limit: 1 },
    ],
  };
}
