// What every scenario gets: where kubesim is, how to run kubectl and our CLI against it, the
// warm engine worker, and the sizes of the run (a smoke run shrinks them).
import type { ChildScripts } from './childBundle.ts';
import type { EngineClient } from './engineClient.ts';
import type { MetricDef, Sample } from './model.ts';
import { processCpuMs } from './proc.ts';

export interface Sizes {
  /** Scenario 4: bytes of `head -c N /dev/zero`. */
  throughputBytes: number;
  /** Scenario 5: bytes piped into sha256sum. */
  uploadBytes: number;
  /** Scenario 3: keystrokes per round. */
  keystrokes: number;
  /** Scenario 6: bulk pods and the namespaces they are spread over. */
  listingPods: number;
  listingNamespaces: number;
  /** Scenario 7: pods one command runs on, and the engine's / xargs' parallelism. */
  fanOutPods: number;
  fanOutConcurrency: number;
  /** Scenario 9: bytes through a stalled reader each way, and how long the reader stalls. */
  stallBytes: number;
  stallMs: number;
}

export const FULL_SIZES: Sizes = {
  throughputBytes: 256 * 2 ** 20,
  uploadBytes: 64 * 2 ** 20,
  keystrokes: 1000,
  listingPods: 10_000,
  listingNamespaces: 50,
  fanOutPods: 100,
  fanOutConcurrency: 10,
  stallBytes: 256 * 2 ** 20,
  stallMs: 2000,
};

export const SMOKE_SIZES: Sizes = {
  throughputBytes: 2 ** 20,
  uploadBytes: 2 ** 20,
  keystrokes: 5,
  listingPods: 40,
  listingNamespaces: 4,
  fanOutPods: 4,
  fanOutConcurrency: 2,
  stallBytes: 2 ** 20,
  stallMs: 100,
};

export interface BenchContext {
  /** Repository root. */
  root: string;
  /** Scratch directory for this run (removed at the end). */
  tmp: string;
  kubeconfig: string;
  context: string;
  /** kubesim's process, to charge the server's CPU time to each round. */
  kubesimPid: number;
  kubectl: string;
  /** Node 24, the one the runner itself runs on. */
  node: string;
  /** The CLI bundle (src/cli.ts built like dist/cli.js, into the scratch directory). */
  cli: string;
  engine: EngineClient;
  /** Bundled child-process scripts. */
  children: ChildScripts;
  sizes: Sizes;
  /** Rounds and warm-ups forced to these (smoke runs); otherwise each scenario's own. */
  rounds?: number;
  warmup?: number;
}

/** The flags every kubectl call gets: our kubeconfig and context, never the user's. */
export function kubectlBase(ctx: BenchContext): string[] {
  return ['--kubeconfig', ctx.kubeconfig, '--context', ctx.context];
}

export function cliBase(ctx: BenchContext): string[] {
  return [ctx.cli, 'exec', '--kubeconfig', ctx.kubeconfig, '--context', ctx.context];
}

export const SERVER_CPU: MetricDef = { key: 'serverCpuMs', label: 'kubesim CPU time meanwhile', unit: 'ms', better: 'lower' };

/** Runs `fn` and adds the CPU time kubesim spent meanwhile: the server's share of the round. */
export async function withServerCpu(ctx: BenchContext, fn: () => Promise<Sample>): Promise<Sample> {
  const before = await processCpuMs(ctx.kubesimPid);
  const sample = await fn();
  return { ...sample, serverCpuMs: (await processCpuMs(ctx.kubesimPid)) - before };
}
