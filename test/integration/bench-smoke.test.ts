// `npm run bench` cannot rot: one tiny round of every scenario, ours and kubectl, against a real
// kubesim, and the report files written. Numbers are only checked to exist, never for speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { allScenarios, mergeResults, runBench } from '../../bench/run.ts';
import { evaluateCheck } from '../../bench/harness.ts';
import { runMeasured } from '../../bench/proc.ts';
import { percentile, summarize } from '../../bench/stats.ts';
import { ratioChart } from '../../bench/svg.ts';
import type { BenchResults, MachineInfo, ScenarioResult } from '../../bench/model.ts';
import { markdownReport } from '../../bench/report.ts';

test('percentiles interpolate between ranks and ignore failed (non-finite) samples', () => {
  assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
  assert.equal(percentile([10, 0, 5], 100), 10);
  assert.ok(Math.abs(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99) - 99.01) < 1e-9);
  assert.deepEqual(summarize([3, Number.NaN, 1, 2]), { median: 2, min: 1, max: 3, n: 3 });
  assert.throws(() => summarize([]), /No samples/);
});

test('checks compare medians: ratio, difference, absolute; a side without data is a miss', () => {
  const variants = [
    { key: 'a', label: 'ours', side: 'ours' as const, samples: [{ ms: 10 }, { ms: 30 }, { ms: 20 }], errors: [] },
    { key: 'b', label: 'kubectl', side: 'kubectl' as const, samples: [{ ms: 100 }], errors: [] },
    { key: 'c', label: 'broken', side: 'kubectl' as const, samples: [], errors: ['boom'] },
  ];
  const ratio = evaluateCheck({ label: 'r', metric: 'ms', ours: 'a', theirs: 'b', kind: 'ratio', op: '<=', limit: 0.2 }, variants);
  assert.equal(ratio.value, 0.2);
  assert.equal(ratio.met, true);
  const diff = evaluateCheck({ label: 'd', metric: 'ms', ours: 'a', theirs: 'b', kind: 'difference', op: '<=', limit: 1 }, variants);
  assert.equal(diff.value, -80);
  const abs = evaluateCheck({ label: 'x', metric: 'ms', ours: 'a', kind: 'absolute', op: '<', limit: 20 }, variants);
  assert.equal(abs.met, false);
  const missing = evaluateCheck({ label: 'm', metric: 'ms', ours: 'a', theirs: 'c', kind: 'ratio', op: '<=', limit: 1 }, variants);
  assert.equal(missing.met, false);
  assert.ok(Number.isNaN(missing.value));
});

test('the chart draws one bar per ratio, on the side of 1x it belongs to', () => {
  const svg = ratioChart('t <&>', [
    { label: 'fast', note: 'n', ratio: 0.1, target: 0.2, met: true },
    { label: 'slow', note: 'n', ratio: 4, met: false },
  ]);
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /t &lt;&amp;&gt;/);
  const bars = [...svg.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"[^>]*fill="(#[0-9a-f]+)"/g)].map((m) => ({ x: Number(m[1]), w: Number(m[2]), fill: m[3] }));
  assert.equal(bars.length, 2);
  // The fast bar ends where the slow one starts: both are anchored at 1x.
  assert.ok(Math.abs(bars[0]!.x + bars[0]!.w - bars[1]!.x) < 0.2);
  assert.equal(bars[0]!.fill, '#2da44e');
  assert.equal(bars[1]!.fill, '#cf222e');
});

test('a partial run (--merge) replaces only its scenarios, keeps the order, and the report says so', () => {
  const machine = (date: string, cpu: string): MachineInfo => ({ date, cpu, cores: 2, memoryGiB: 24, os: 'Linux', node: '24', kubectl: 'v1' });
  const scenario = (id: string, ms: number): ScenarioResult => ({
    id,
    title: `s${id}`,
    method: 'm',
    metrics: [{ key: 'ms', label: 'wall time', unit: 'ms', better: 'lower' }],
    variants: [{ key: 'cli', label: 'ours', side: 'ours', samples: [{ ms }], errors: [] }],
    checks: [],
    seconds: 1,
  });
  const saved: BenchResults = { machine: machine('then', 'A'), sizes: { a: 1 }, scenarios: [scenario('1a', 1), scenario('5', 1)], totalSeconds: 60 };
  const partial: BenchResults = { machine: machine('now', 'B'), sizes: { a: 1, b: 2 }, scenarios: [scenario('4', 2), scenario('5', 2)], totalSeconds: 5 };
  const merged = mergeResults(saved, partial);
  assert.deepEqual(merged.scenarios.map((s) => [s.id, s.variants[0]!.samples[0]!['ms']]), [['1a', 1], ['4', 2], ['5', 2]]);
  assert.deepEqual(merged.sizes, { a: 1, b: 2 });
  assert.equal(merged.machine.date, 'then');
  assert.equal(merged.totalSeconds, 60);
  // Re-running the same scenarios again replaces the note rather than adding a second one.
  const again = mergeResults(merged, { ...partial, machine: machine('later', 'A') });
  assert.deepEqual(again.partialRuns?.map((r) => r.machine.date), ['later']);
  const md = markdownReport(merged, { bounds: {}, discussion: '' }, 'r.svg', 'r.json');
  assert.match(md, /Scenarios 4, 5 come from a later run of only those \(`--only 4,5 --merge`\) on now: 2 cores \(B\)/);
});

test('a measured command that overruns is killed with everything it started, so the run goes on', { timeout: 10_000 }, async () => {
  const started = Date.now();
  // Under GNU time, with a grandchild holding our pipes: killing only the direct child would hang.
  await assert.rejects(runMeasured('sh', ['-c', 'sleep 30 & sleep 30'], { rss: { tmp: tmpdir() }, timeoutMs: 300 }), /did not finish within 300 ms/);
  assert.ok(Date.now() - started < 5000);
});

test('one tiny round of every scenario runs for ours and kubectl and writes the report', { timeout: 240_000 }, async () => {
  const out = await mkdtemp(path.join(tmpdir(), 'bench-smoke-'));
  try {
    const lines: string[] = [];
    const results = await runBench({ smoke: true, outDir: out, log: (l) => lines.push(l) });
    assert.deepEqual(
      results.scenarios.map((s) => s.id),
      allScenarios().map((s) => s.id),
    );
    for (const s of results.scenarios) {
      for (const v of s.variants) {
        assert.deepEqual(v.errors, [], `${s.id} ${v.label} failed:\n${lines.join('\n')}`);
        assert.equal(v.samples.length, 1, `${s.id} ${v.label}`);
        const values = Object.values(v.samples[0]!);
        assert.ok(values.length > 0 && values.every((n) => Number.isFinite(n) && n >= 0), `${s.id} ${v.label}: ${JSON.stringify(v.samples[0])}`);
      }
      for (const c of s.checks) assert.ok(Number.isFinite(c.value), `${s.id} check "${c.label}" has no value`);
    }
    const md = await readFile(path.join(out, 'report.md'), 'utf8');
    for (const s of results.scenarios) assert.match(md, new RegExp(`### ${s.id}\\. `));
    assert.match(md, /\| Scenario \| Measure \| Variant \| Median \| Min \| Max \| ours\/kubectl \|/);
    assert.match(await readFile(path.join(out, 'report.svg'), 'utf8'), /<rect /);
    assert.equal(JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8')).sizes.keystrokes, 5);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
