// Turns results into the console table, the Markdown report and the chart's bars.
import type { BenchResults, CheckResult, MachineInfo, MetricDef, ScenarioResult } from './model.ts';
import type { RatioBar } from './svg.ts';
import { summarize, type Summary } from './stats.ts';

export function fmt(value: number, unit = ''): string {
  if (!Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  const text = value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return unit ? `${text} ${unit}` : text;
}

export function fmtRatio(r: number): string {
  return Number.isFinite(r) ? `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×` : 'n/a';
}

export interface Row {
  scenario: string;
  metric: MetricDef;
  variant: string;
  side: string;
  summary?: Summary;
  /** median(ours) / median(this kubectl variant) for this metric. */
  ratio?: number;
  errors: string[];
}

export function rows(s: ScenarioResult): Row[] {
  const out: Row[] = [];
  const ours = s.variants.find((v) => v.side === 'ours');
  for (const metric of s.metrics) {
    const values = (key: string) =>
      (s.variants.find((v) => v.key === key)?.samples ?? []).map((x) => x[metric.key]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    const oursValues = ours ? values(ours.key) : [];
    for (const v of s.variants) {
      const vals = values(v.key);
      if (vals.length === 0 && v.samples.length > 0) continue; // this variant does not report this metric
      const row: Row = { scenario: `${s.id} ${s.title}`, metric, variant: v.label, side: v.side, errors: v.errors };
      if (vals.length > 0) row.summary = summarize(vals);
      if (v.side === 'kubectl' && row.summary && oursValues.length > 0) row.ratio = summarize(oursValues).median / row.summary.median;
      out.push(row);
    }
  }
  return out;
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** The one table `npm run bench` prints. */
export function consoleTable(results: BenchResults): string {
  const header = ['scenario', 'measure', 'variant', 'median', 'min', 'max', 'ours/kubectl'];
  const body: string[][] = [];
  for (const s of results.scenarios) {
    let lastScenario = '';
    let lastMetric = '';
    for (const r of rows(s)) {
      body.push([
        r.scenario === lastScenario ? '' : r.scenario,
        r.metric.label === lastMetric && r.scenario === lastScenario ? '' : `${r.metric.label} (${r.metric.unit})`,
        r.variant,
        r.summary ? fmt(r.summary.median) : r.errors.length ? 'FAILED' : '',
        r.summary ? fmt(r.summary.min) : '',
        r.summary ? fmt(r.summary.max) : '',
        r.ratio !== undefined ? fmtRatio(r.ratio) : '',
      ]);
      lastScenario = r.scenario;
      lastMetric = r.metric.label;
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i]!, i >= 3)).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  out.push('', 'targets (issue 4):');
  for (const s of results.scenarios) for (const c of s.checks) out.push(`  ${c.met ? 'met   ' : 'MISSED'} ${s.id} ${c.label}: ${checkValue(c, unitOf(s, c))}`);
  return out.join('\n');
}

export function checkValue(c: CheckResult, unit = ''): string {
  const vs = `(${fmt(c.oursMedian, unit)} vs ${fmt(c.theirsMedian ?? Number.NaN, unit)})`;
  if (c.kind === 'ratio') return `${fmtRatio(c.value)} ${vs}`;
  if (c.kind === 'difference') return `${c.value >= 0 ? '+' : ''}${fmt(c.value, unit)} ${vs}`;
  return fmt(c.value, unit);
}

function unitOf(s: ScenarioResult, c: CheckResult): string {
  return s.metrics.find((m) => m.key === c.metric)?.unit ?? '';
}

export function chartBars(results: BenchResults): RatioBar[] {
  const bars: RatioBar[] = [];
  for (const s of results.scenarios) {
    for (const c of s.checks) {
      if (c.kind === 'absolute' || c.theirsMedian === undefined) continue;
      const metric = s.metrics.find((m) => m.key === c.metric)!;
      const theirs = s.variants.find((v) => v.key === c.theirs)!;
      bars.push({
        label: `${s.id} ${s.title}`,
        note: `${metric.label} vs ${theirs.label}`,
        ratio: c.oursMedian / c.theirsMedian,
        ...(c.kind === 'ratio' ? { target: c.limit } : { detail: `(${c.value >= 0 ? '+' : ''}${fmt(c.value)} ${metric.unit}; target ≤ +${c.limit})` }),
        met: c.met,
      });
    }
  }
  return bars;
}

function partialRunLine(ids: string[], run: MachineInfo, main: MachineInfo): string {
  const which = ids.length === 1 ? `Scenario ${ids[0]} comes` : `Scenarios ${ids.join(', ')} come`;
  const same = run.cpu === main.cpu && run.cores === main.cores && run.node === main.node && run.kubectl === main.kubectl;
  const where = same ? 'the same machine, Node and kubectl' : `${run.cores} cores (${run.cpu}), Node ${run.node}, kubectl ${run.kubectl}`;
  const load = run.loadAverage ? `; load average ${run.loadAverage[0].toFixed(1)} to ${run.loadAverage[1].toFixed(1)}` : '';
  return `${which} from a later run of only ${ids.length === 1 ? 'that scenario' : 'those'} (\`--only ${ids.join(',')} --merge\`) on ${run.date}: ${where}${load}.`;
}

function mdEscape(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export interface ReportText {
  /** Scenario id -> what bounds its numbers (analysis written after profiling). */
  bounds: Record<string, string>;
  /** Free Markdown placed after the results (kubesim's ceiling, profiling notes). */
  discussion: string;
}

export function markdownReport(results: BenchResults, text: ReportText, chartFile: string, jsonFile: string): string {
  const m = results.machine;
  const out: string[] = [];
  out.push('# Kube Exec vs kubectl: benchmark report', '');
  out.push(
    `Generated by \`npm run bench\` on ${m.date}. Raw numbers: [${jsonFile}](${jsonFile}).`,
    '',
    '## Machine and method',
    '',
    `- ${m.cores} cores (${m.cpu}), ${m.memoryGiB.toFixed(0)} GiB RAM, ${m.os}; Node ${m.node}; kubectl ${m.kubectl}.`,
    '- Cluster: kubesim (the project\'s test API server) on loopback HTTPS, in its own process; exec runs real processes under real PTYs.',
    '- Each scenario warms up, then runs rounds in which ours and kubectl alternate (A B A B ...) so both see the same machine state. Medians of rounds are reported, with min and max; ratios are median(ours) / median(kubectl).',
    '- Our CLI and the child processes (engine worker, listing, bare client, activation) run from esbuild bundles built at the start of the run, the way `npm run build` builds dist/: the shipped form, not TypeScript sources.',
    '- Whole-process numbers are spawn to exit. Peak RSS comes from GNU time (`%M`). In-process numbers are timed inside a long-lived Node process that holds the engine with a warm client, as the extension host does.',
    ...(m.loadAverage ? [`- 1-minute load average ${m.loadAverage[0].toFixed(1)} at the start and ${m.loadAverage[1].toFixed(1)} at the end of the run (the machine is shared).`] : []),
    ...(results.partialRuns ?? []).map((r) => `- ${partialRunLine(r.scenarios, r.machine, m)}`),
    `- Sizes: ${Object.entries(results.sizes).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ')}. Whole run: ${fmt(results.totalSeconds / 60)} min.`,
    '',
    '## Summary',
    '',
    `![ours / kubectl per scenario](${chartFile})`,
    '',
    '| Target (issue 4) | Result | |',
    '| --- | --- | --- |',
  );
  for (const s of results.scenarios) for (const c of s.checks) out.push(`| ${s.id} ${mdEscape(c.label)} | ${mdEscape(checkValue(c, unitOf(s, c)))} | ${c.met ? 'met' : '**missed**'} |`);
  out.push('', '## Results', '', '| Scenario | Measure | Variant | Median | Min | Max | ours/kubectl |', '| --- | --- | --- | ---: | ---: | ---: | ---: |');
  for (const s of results.scenarios) {
    for (const r of rows(s)) {
      const cells = r.summary ? [fmt(r.summary.median), fmt(r.summary.min), fmt(r.summary.max)] : [r.errors.length ? 'failed' : '', '', ''];
      out.push(`| ${mdEscape(r.scenario)} | ${mdEscape(r.metric.label)} (${r.metric.unit}) | ${mdEscape(r.variant)}${r.side === 'ceiling' ? ' *' : ''} | ${cells.join(' | ')} | ${r.ratio !== undefined ? fmtRatio(r.ratio) : ''} |`);
    }
  }
  out.push('', '\\* kubesim ceiling: what a bare client gets from this server, so a ratio is not read as a measure of kubesim.', '');
  out.push('## Scenarios: how each is measured and what bounds it', '');
  for (const s of results.scenarios) {
    out.push(`### ${s.id}. ${s.title}`, '', s.method, '');
    const bound = text.bounds[s.id];
    if (bound) out.push(`**What bounds it.** ${bound}`, '');
    const errors = s.variants.flatMap((v) => v.errors.map((e) => `${v.label}: ${e}`));
    if (errors.length > 0) out.push('Failures during the run:', '', ...errors.slice(0, 5).map((e) => `- ${mdEscape(e)}`), '');
  }
  if (text.discussion.trim()) out.push(text.discussion.trim(), '');
  return out.join('\n');
}
