// The shape of a benchmark: scenarios made of variants (ours, kubectl, a ceiling), each round
// of a variant yielding named numbers, and the targets of issue 4 stated as checks over medians.

export type Better = 'lower' | 'higher';
export type Side = 'ours' | 'kubectl' | 'ceiling';

export interface MetricDef {
  key: string;
  label: string;
  unit: string;
  better: Better;
}

/** One round of one variant: metric key -> value. A variant may report only some metrics. */
export type Sample = Record<string, number>;

export interface Variant<C> {
  key: string;
  label: string;
  side: Side;
  run(ctx: C): Promise<Sample>;
}

/**
 * A target from the issue. `ratio`: median(ours)/median(theirs) compared with `limit`;
 * `difference`: median(ours) - median(theirs); `absolute`: median(ours) alone.
 */
export interface Check {
  label: string;
  metric: string;
  ours: string;
  theirs?: string;
  kind: 'ratio' | 'difference' | 'absolute';
  op: '<=' | '>=' | '<';
  limit: number;
}

export interface Scenario<C> {
  id: string;
  title: string;
  /** How it is measured, in a sentence or two (goes into the report). */
  method: string;
  metrics: MetricDef[];
  variants: Variant<C>[];
  checks: Check[];
  /** Rounds after the warm-up; each round runs every variant once, in order (A B A B ...). */
  rounds: number;
  warmup: number;
  setup?(ctx: C): Promise<void>;
  teardown?(ctx: C): Promise<void>;
}

export interface VariantResult {
  key: string;
  label: string;
  side: Side;
  samples: Sample[];
  errors: string[];
}

export interface CheckResult extends Check {
  /** The ratio, difference or absolute value the limit applies to; NaN when a side has no data. */
  value: number;
  met: boolean;
  oursMedian: number;
  theirsMedian?: number;
}

export interface ScenarioResult {
  id: string;
  title: string;
  method: string;
  metrics: MetricDef[];
  variants: VariantResult[];
  checks: CheckResult[];
  seconds: number;
}

export interface MachineInfo {
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  kubectl: string;
  /** 1-minute load average when the run started and when it ended (other work on the machine). */
  loadAverage?: [number, number];
}

export interface BenchResults {
  machine: MachineInfo;
  /** Sizes used (bytes, counts), so a smoke run is never mistaken for a real one. */
  sizes: Record<string, number>;
  scenarios: ScenarioResult[];
  totalSeconds: number;
  /** Scenarios re-run on their own later (`--only ... --merge`), and where and when. */
  partialRuns?: Array<{ scenarios: string[]; machine: MachineInfo }>;
}
