// Scenarios 4, 5 and 9: bulk data through an exec, as whole processes (our CLI, kubectl, and
// for 4 and 5 the bare-WebSocket ceiling), each under GNU time for its peak RSS.
import { createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { cliBase, kubectlBase, SERVER_CPU, withServerCpu, type BenchContext } from './context.ts';
import type { MetricDef, Sample, Scenario } from './model.ts';
import { runMeasured, type RunResult } from './proc.ts';

const POD = 'web-0';
/** Below this, outputs are small enough to capture and check (smoke runs). */
const CHECK_OUTPUT_UP_TO = 8 * 2 ** 20;

const metrics: MetricDef[] = [
  { key: 'mibs', label: 'throughput', unit: 'MiB/s', better: 'higher' },
  { key: 'rss', label: 'peak RSS', unit: 'MiB', better: 'lower' },
  { key: 'ms', label: 'wall time', unit: 'ms', better: 'lower' },
  { key: 'cpuMs', label: 'CPU time (user + sys)', unit: 'ms', better: 'lower' },
  SERVER_CPU,
];


function sample(r: RunResult, bytes: number): Sample {
  const s: Sample = { mibs: bytes / 2 ** 20 / (r.ms / 1000), ms: r.ms };
  if (r.rssMiB !== undefined) s['rss'] = r.rssMiB;
  if (r.cpuMs !== undefined) s['cpuMs'] = r.cpuMs;
  return s;
}

function bareArgs(ctx: BenchContext, extra: string[], command: string[]): string[] {
  return [ctx.children.bareWs, ctx.kubeconfig, ctx.context, 'default', POD, ...extra, '--', ...command];
}

export function outputThroughput(): Scenario<BenchContext> {
  const command = (ctx: BenchContext) => ['head', '-c', String(ctx.sizes.throughputBytes), '/dev/zero'];
  const run = async (ctx: BenchContext, file: string, args: string[]): Promise<Sample> => {
    const capture = ctx.sizes.throughputBytes <= CHECK_OUTPUT_UP_TO;
    const r = await runMeasured(file, args, { rss: { tmp: ctx.tmp }, captureStdout: capture, timeoutMs: 120_000 });
    if (capture && r.stdout.length !== ctx.sizes.throughputBytes) {
      throw new Error(`${file} wrote ${r.stdout.length} bytes, expected ${ctx.sizes.throughputBytes}`);
    }
    return sample(r, ctx.sizes.throughputBytes);
  };
  return {
    id: '4',
    title: 'Output throughput',
    method:
      '`head -c 256MiB /dev/zero` in web-0; our CLI (`node dist/cli.js exec`) vs `kubectl exec`, stdout to /dev/null; MiB/s over the whole process, peak RSS from GNU time (%M). Ceiling: a bare `ws` reader in its own Node process.',
    metrics,
    rounds: 4,
    warmup: 1,
    variants: [
      { key: 'cli', label: 'kube-exec CLI', side: 'ours', run: (ctx) => withServerCpu(ctx, () => run(ctx, ctx.node, [...cliBase(ctx), POD, '--', ...command(ctx)])) },
      { key: 'kubectl', label: 'kubectl', side: 'kubectl', run: (ctx) => withServerCpu(ctx, () => run(ctx, ctx.kubectl, [...kubectlBase(ctx), 'exec', POD, '--', ...command(ctx)])) },
      {
        key: 'bare',
        label: 'bare ws reader (kubesim ceiling)',
        side: 'ceiling',
        run: (ctx) =>
          withServerCpu(ctx, async () => {
            const r = await runMeasured(ctx.node, bareArgs(ctx, [], command(ctx)), { rss: { tmp: ctx.tmp }, captureStdout: true, timeoutMs: 120_000 });
            const { bytes } = JSON.parse(r.stdout.toString('utf8')) as { bytes: number };
            if (bytes !== ctx.sizes.throughputBytes) throw new Error(`bare reader got ${bytes} bytes, expected ${ctx.sizes.throughputBytes}`);
            return sample(r, bytes);
          }),
      },
    ],
    checks: [
      { label: 'throughput ≥ 1.0× kubectl', metric: 'mibs', ours: 'cli', theirs: 'kubectl', kind: 'ratio', op: '>=', limit: 1 },
      { label: 'peak RSS < 150 MiB', metric: 'rss', ours: 'cli', kind: 'absolute', op: '<', limit: 150 },
    ],
  };
}

interface UploadState {
  file: string;
  digest: string;
}

async function writeUploadFile(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const fh = await open(path, 'w');
  try {
    // Random data, so nothing on the way can win by compressing it.
    for (let left = bytes; left > 0; ) {
      const chunk = randomBytes(Math.min(left, 2 ** 20));
      hash.update(chunk);
      await fh.write(chunk);
      left -= chunk.length;
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

export function stdinUpload(): Scenario<BenchContext> {
  let state: UploadState | undefined;
  const check = (r: RunResult, who: string): void => {
    const got = r.stdout.toString('utf8').trim().split(/\s+/)[0];
    if (got !== state!.digest) throw new Error(`${who}: sha256sum printed ${JSON.stringify(r.stdout.toString('utf8').slice(0, 100))}, expected ${state!.digest}`);
  };
  const run = async (ctx: BenchContext, who: string, file: string, args: string[]): Promise<Sample> => {
    const r = await runMeasured(file, args, { rss: { tmp: ctx.tmp }, stdinFile: state!.file, captureStdout: true, timeoutMs: 120_000 });
    check(r, who);
    return sample(r, ctx.sizes.uploadBytes);
  };
  return {
    id: '5',
    title: 'Stdin upload',
    method:
      '64 MiB of random bytes from a file into `sha256sum` in web-0 with `-i` (the digest is checked every round); our CLI vs `kubectl exec -i`; MiB/s over the whole process. Ceiling: a bare `ws` writer in its own Node process.',
    metrics,
    rounds: 4,
    warmup: 1,
    async setup(ctx) {
      const file = join(ctx.tmp, 'upload.bin');
      state = { file, digest: await writeUploadFile(file, ctx.sizes.uploadBytes) };
    },
    variants: [
      {
        key: 'cli',
        label: 'kube-exec CLI',
        side: 'ours',
        run: (ctx) => withServerCpu(ctx, () => run(ctx, 'kube-exec CLI', ctx.node, [...cliBase(ctx), '-i', POD, '--', 'sha256sum'])),
      },
      {
        key: 'kubectl',
        label: 'kubectl',
        side: 'kubectl',
        run: (ctx) => withServerCpu(ctx, () => run(ctx, 'kubectl', ctx.kubectl, [...kubectlBase(ctx), 'exec', '-i', POD, '--', 'sha256sum'])),
      },
      {
        key: 'bare',
        label: 'bare ws writer (kubesim ceiling)',
        side: 'ceiling',
        run: (ctx) =>
          withServerCpu(ctx, async () => {
            const r = await runMeasured(ctx.node, bareArgs(ctx, ['--stdin', state!.file], ['sha256sum']), { rss: { tmp: ctx.tmp }, captureStdout: true, timeoutMs: 120_000 });
            const { stdout } = JSON.parse(r.stdout.toString('utf8')) as { stdout: string };
            check({ ...r, stdout: Buffer.from(stdout) }, 'bare ws writer');
            return sample(r, ctx.sizes.uploadBytes);
          }),
      },
    ],
    checks: [{ label: 'upload ≥ 1.0× kubectl', metric: 'mibs', ours: 'cli', theirs: 'kubectl', kind: 'ratio', op: '>=', limit: 1 }],
  };
}

const STALL_METRICS: MetricDef[] = [
  { key: 'outRss', label: 'peak RSS, stdout into a stalled reader', unit: 'MiB', better: 'lower' },
  { key: 'inPipeRss', label: 'peak RSS, stdin from a pipe, remote reader stalled', unit: 'MiB', better: 'lower' },
  { key: 'inFileRss', label: 'peak RSS, stdin from a file, remote reader stalled', unit: 'MiB', better: 'lower' },
];

/**
 * Issue 10's memory bound: a client whose reader stalls must hold the data back (backpressure),
 * not take it in. Each round of a variant makes three runs, one per metric.
 */
export function stalledReaders(): Scenario<BenchContext> {
  let state: UploadState | undefined;
  const measure = async (ctx: BenchContext, who: string, file: string, argv: (flags: string[], command: string[]) => string[]): Promise<Sample> => {
    const bytes = ctx.sizes.stallBytes;
    const rss = { tmp: ctx.tmp };
    const out = await runMeasured(file, argv([], ['head', '-c', String(bytes), '/dev/zero']), { rss, stallStdoutMs: ctx.sizes.stallMs, timeoutMs: 120_000 });
    if (out.stdoutBytes !== bytes) throw new Error(`${who} wrote ${out.stdoutBytes} bytes, expected ${bytes}`);
    const sample: Sample = { outRss: out.rssMiB ?? Number.NaN };
    // The remote command reads nothing at first: a deliberate stall, as the local reader's above.
    const upload = ['sh', '-c', `sleep ${ctx.sizes.stallMs / 1000}; exec sha256sum`];
    for (const [key, stdinViaPipe] of [['inPipeRss', true], ['inFileRss', false]] as const) {
      const r = await runMeasured(file, argv(['-i'], upload), { rss, stdinFile: state!.file, stdinViaPipe, captureStdout: true, timeoutMs: 120_000 });
      const got = r.stdout.toString('utf8').trim().split(/\s+/)[0];
      if (got !== state!.digest) throw new Error(`${who}, stdin ${stdinViaPipe ? 'from a pipe' : 'from a file'}: sha256sum printed ${JSON.stringify(got)}, expected ${state!.digest}`);
      sample[key] = r.rssMiB ?? Number.NaN;
    }
    return sample;
  };
  return {
    id: '9',
    title: 'Memory with a stalled reader',
    method:
      'Peak RSS (GNU time `%M`, the kernel\'s high-water mark of the process) while 256 MiB go through a reader that stalls, our CLI vs `kubectl exec`, three runs per round: `head -c 256MiB /dev/zero` in web-0 into a stdout pipe that the runner leaves unread for 2 s and then drains; and 256 MiB of random bytes with `-i` into `sh -c \'sleep 2; exec sha256sum\'` (the digest is checked), from a pipe the runner fills as it takes data (a socket pair, which the CLI reads as it reads any pipe) and from the file itself (the CLI\'s own 1 MiB-buffer copy). Stalled, the client must hold the data back rather than take it in. `test/integration/cli-memory.test.ts` asserts the same bound (< 150 MiB) for the CLI.',
    metrics: STALL_METRICS,
    // Peak RSS does not depend on warm caches; each round is three 256 MiB runs with stalls.
    rounds: 3,
    warmup: 0,
    async setup(ctx) {
      const file = join(ctx.tmp, 'stalled-upload.bin');
      state = { file, digest: await writeUploadFile(file, ctx.sizes.stallBytes) };
    },
    variants: [
      { key: 'cli', label: 'kube-exec CLI', side: 'ours', run: (ctx) => measure(ctx, 'kube-exec CLI', ctx.node, (flags, command) => [...cliBase(ctx), ...flags, POD, '--', ...command]) },
      { key: 'kubectl', label: 'kubectl', side: 'kubectl', run: (ctx) => measure(ctx, 'kubectl', ctx.kubectl, (flags, command) => [...kubectlBase(ctx), 'exec', ...flags, POD, '--', ...command]) },
    ],
    checks: [
      { label: 'peak RSS < 150 MiB, stdout into a stalled reader (issue 10)', metric: 'outRss', ours: 'cli', kind: 'absolute', op: '<', limit: 150 },
      { label: 'peak RSS < 150 MiB, stdin from a pipe (issue 10)', metric: 'inPipeRss', ours: 'cli', kind: 'absolute', op: '<', limit: 150 },
      { label: 'peak RSS < 150 MiB, stdin from a file (issue 10)', metric: 'inFileRss', ours: 'cli', kind: 'absolute', op: '<', limit: 150 },
    ],
  };
}
