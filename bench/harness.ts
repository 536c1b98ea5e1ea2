// Runs a scenario: warm-up, then rounds in which every variant runs once in a fixed order, so
// ours and kubectl alternate (A B A B ...) and share whatever the machine is doing at the time.
import { performance } from 'node:perf_hooks';
import type { Check, CheckResult, Scenario, ScenarioResult, VariantResult } from './model.ts';
import { median } from './stats.ts';

export type Log = (line: string) => void;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function runScenario<C>(scenario: Scenario<C>, ctx: C, log: Log): Promise<ScenarioResult> {
  const started = performance.now();
  const variants: VariantResult[] = scenario.variants.map((v) => ({ key: v.key, label: v.label, side: v.side, samples: [], errors: [] }));
  log(`[${scenario.id}] ${scenario.title}`);
  try {
    await scenario.setup?.(ctx);
    for (let i = 0; i < scenario.warmup; i++) {
      for (const variant of scenario.variants) {
        // A warm-up failure is reported with the round failures: a variant that cannot run at
        // all should say why once, not abort the whole benchmark.
        await variant.run(ctx).catch((err: unknown) => variants.find((r) => r.key === variant.key)!.errors.push(`warm-up: ${message(err)}`));
      }
    }
    for (let round = 0; round < scenario.rounds; round++) {
      for (const [i, variant] of scenario.variants.entries()) {
        const result = variants[i]!;
        try {
          const sample = await variant.run(ctx);
          result.samples.push(sample);
          log(`  ${round + 1}/${scenario.rounds} ${variant.label}: ${formatSample(sample)}`);
        } catch (err) {
          result.errors.push(message(err));
          log(`  ${round + 1}/${scenario.rounds} ${variant.label}: FAILED ${message(err)}`);
        }
      }
    }
  } finally {
    await scenario.teardown?.(ctx);
  }
  return {
    id: scenario.id,
    title: scenario.title,
    method: scenario.method,
    metrics: scenario.metrics,
    variants,
    checks: scenario.checks.map((check) => evaluateCheck(check, variants)),
    seconds: (performance.now() - started) / 1000,
  };
}

function formatSample(sample: Record<string, number>): string {
  return Object.entries(sample)
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(2)}`)
    .join(' ');
}

export function metricValues(variants: readonly VariantResult[], variant: string, metric: string): number[] {
  const found = variants.find((v) => v.key === variant);
  if (!found) throw new Error(`check refers to variant "${variant}", which the scenario does not have`);
  return found.samples.map((s) => s[metric]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

function medianOrNaN(values: number[]): number {
  return values.length > 0 ? median(values) : Number.NaN;
}

export function evaluateCheck(check: Check, variants: readonly VariantResult[]): CheckResult {
  const oursMedian = medianOrNaN(metricValues(variants, check.ours, check.metric));
  const theirsMedian = check.theirs === undefined ? undefined : medianOrNaN(metricValues(variants, check.theirs, check.metric));
  let value: number;
  if (check.kind === 'absolute') value = oursMedian;
  else if (theirsMedian === undefined) throw new Error(`check "${check.label}" compares with nothing: set "theirs"`);
  else value = check.kind === 'ratio' ? oursMedian / theirsMedian : oursMedian - theirsMedian;
  const met = Number.isFinite(value) && (check.op === '<=' ? value <= check.limit : check.op === '<' ? value < check.limit : value >= check.limit);
  return { ...check, value, met, oursMedian, ...(theirsMedian === undefined ? {} : { theirsMedian }) };
}
