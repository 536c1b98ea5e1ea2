// `npm run bench`: kubesim on loopback, every scenario for our engine and for kubectl, one
// table on stdout, and results.json + report.md + report.svg next to this file.
// Flags: --smoke (tiny sizes, one round, for the smoke test), --only 1a,4 (some scenarios),
// --rounds N (override every scenario's rounds), --out DIR, --render (rewrite report.md and
// report.svg from the results.json already in --out, e.g. after editing notes.ts), --merge (with
// --only: replace just those scenarios in the results.json in --out, then rewrite the report
// from the whole; the report says which scenarios came from the later run). The CLI and the child processes
// are bundled into a scratch directory, so the shared dist/ is never touched.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleChildren } from './childBundle.ts';
import { FULL_SIZES, SMOKE_SIZES, type BenchContext, type Sizes } from './context.ts';
import { EngineClient } from './engineClient.ts';
import { runScenario, type Log } from './harness.ts';
import { startKubesimProcess } from './kubesimProcess.ts';
import type { BenchResults, MachineInfo, Scenario, ScenarioResult } from './model.ts';
import { REPORT_TEXT } from './notes.ts';
import { hasGnuTime, killMeasuredProcesses, runMeasured } from './proc.ts';
import { chartBars, consoleTable, markdownReport } from './report.ts';
import { keystrokeEcho, oneShotClick, oneShotCli, shellReady } from './scenarioExec.ts';
import { extensionItself } from './scenarioExtension.ts';
import { fanOut } from './scenarioFanOut.ts';
import { listingAtScale } from './scenarioListing.ts';
import { outputThroughput, stalledReaders, stdinUpload } from './scenarioStreams.ts';
import { ratioChart } from './svg.ts';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(BENCH_DIR, '..');
const KUBECTL = '/usr/bin/kubectl';

export function allScenarios(): Scenario<BenchContext>[] {
  return [
    oneShotCli(),
    oneShotClick(),
    shellReady(),
    keystrokeEcho(),
    outputThroughput(),
    stdinUpload(),
    listingAtScale(),
    fanOut(),
    extensionItself(),
    stalledReaders(),
  ];
}

export interface BenchOptions {
  smoke?: boolean;
  only?: string[];
  rounds?: number;
  /** Where results.json, report.md and report.svg go; default bench/. */
  outDir?: string;
  /**
   * With `only`: put the scenarios run into the results.json already in outDir, in place of
   * their earlier results, and write the report from the whole (the run is noted in it).
   */
  merge?: boolean;
  log?: Log;
}

async function machineInfo(): Promise<MachineInfo> {
  let kubectl = 'unknown';
  try {
    const r = await runMeasured(KUBECTL, ['version', '--client', '-o', 'json'], { captureStdout: true });
    kubectl = (JSON.parse(r.stdout.toString('utf8')) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion ?? kubectl;
  } catch {
    // reported as unknown
  }
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu,
    cores: cpus().length,
    memoryGiB: totalmem() / 2 ** 30,
    os: `Linux ${release()}`,
    node: process.versions.node,
    kubectl,
  };
}

export async function runBench(options: BenchOptions = {}): Promise<BenchResults> {
  const log = options.log ?? ((line: string) => console.error(line));
  const started = performance.now();
  if (!(await hasGnuTime())) throw new Error('GNU time (/usr/bin/time) is needed for peak RSS; install the "time" package.');
  const sizes: Sizes = options.smoke ? SMOKE_SIZES : FULL_SIZES;
  const scenarios = allScenarios().filter((s) => !options.only || options.only.includes(s.id));
  const tmp = await mkdtemp(join(tmpdir(), 'kube-exec-bench-'));
  let engine: EngineClient | undefined;
  let kubesim: Awaited<ReturnType<typeof startKubesimProcess>> | undefined;
  const results: ScenarioResult[] = [];
  const loadBefore = loadavg()[0]!;
  try {
    const children = await bundleChildren(join(tmp, 'children'));
    engine = new EngineClient(children.engineWorker);
    log(`starting kubesim with ${sizes.listingPods} bulk pods in ${sizes.listingNamespaces} namespaces`);
    kubesim = await startKubesimProcess({ root: ROOT, node: process.execPath, kubeconfig: join(tmp, 'kubeconfig'), pods: sizes.listingPods, bulkNamespaces: sizes.listingNamespaces });
    const ctx: BenchContext = {
      root: ROOT,
      tmp,
      kubeconfig: kubesim.kubeconfig,
      context: 'kubesim',
      kubesimPid: kubesim.pid,
      kubectl: KUBECTL,
      node: process.execPath,
      cli: children.cli,
      engine,
      children,
      sizes,
    };
    await engine.request({ op: 'init', kubeconfig: ctx.kubeconfig, context: ctx.context });
    for (const scenario of scenarios) {
      const tuned: Scenario<BenchContext> = options.smoke
        ? { ...scenario, rounds: 1, warmup: 0 }
        : options.rounds !== undefined
          ? { ...scenario, rounds: options.rounds }
          : scenario;
      results.push(await runScenario(tuned, ctx, log));
    }
  } finally {
    await engine?.stop();
    await kubesim?.stop();
    await rm(tmp, { recursive: true, force: true });
  }
  const machine = await machineInfo();
  machine.loadAverage = [loadBefore, loadavg()[0]!];
  const bench: BenchResults = { machine, sizes: { ...sizes }, scenarios: results, totalSeconds: (performance.now() - started) / 1000 };
  const outDir = options.outDir ?? BENCH_DIR;
  if (options.merge) {
    const saved = JSON.parse(await readFile(join(outDir, 'results.json'), 'utf8')) as BenchResults;
    await writeReport(mergeResults(saved, bench), outDir);
  } else if (options.outDir !== undefined || !options.smoke) {
    await writeReport(bench, outDir);
  }
  return bench;
}

/** `saved` with the scenarios of a partial run in place of its own, in the usual order. */
export function mergeResults(saved: BenchResults, partial: BenchResults): BenchResults {
  const ids = partial.scenarios.map((s) => s.id);
  const order = allScenarios().map((s) => s.id);
  const byId = new Map([...saved.scenarios, ...partial.scenarios].map((s) => [s.id, s]));
  const scenarios = [...byId.values()].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  return {
    ...saved,
    // Sizes added since the saved run come from the partial one; the others are the same.
    sizes: { ...partial.sizes, ...saved.sizes },
    scenarios,
    partialRuns: [...(saved.partialRuns ?? []).filter((r) => !r.scenarios.every((id) => ids.includes(id))), { scenarios: ids, machine: partial.machine }],
  };
}

export async function writeReport(results: BenchResults, outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(outDir, 'report.svg'), ratioChart('Kube Exec vs kubectl', chartBars(results)));
  await writeFile(join(outDir, 'report.md'), markdownReport(results, REPORT_TEXT, 'report.svg', 'results.json'));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      smoke: { type: 'boolean', default: false },
      only: { type: 'string' },
      rounds: { type: 'string' },
      out: { type: 'string' },
      render: { type: 'boolean', default: false },
      merge: { type: 'boolean', default: false },
    },
  });
  if (values.merge && (!values.only || values.smoke)) throw new Error('--merge needs --only and a full-size run (no --smoke)');
  const outDir = values.out ?? BENCH_DIR;
  if (values.render) {
    const saved = JSON.parse(await readFile(join(outDir, 'results.json'), 'utf8')) as BenchResults;
    await writeReport(saved, outDir);
    console.log(consoleTable(saved));
    return;
  }
  const results = await runBench({
    smoke: values.smoke,
    only: values.only?.split(',').map((s) => s.trim()),
    rounds: values.rounds ? Number(values.rounds) : undefined,
    outDir,
    merge: values.merge,
  });
  console.log(consoleTable(results));
  console.log(`\nwrote ${['results.json', 'report.md', 'report.svg'].map((f) => relative(process.cwd(), join(outDir, f))).join(', ')}`);
}

if (import.meta.main) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killMeasuredProcesses();
      process.exit(130);
    });
  }
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  });
}
