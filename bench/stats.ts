// Order statistics for benchmark samples. Medians, not means: one slow round on a shared
// 2-core machine should not move the headline number.

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

function sorted(values: readonly number[]): number[] {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) throw new Error('No samples to summarise: every round of this measurement failed.');
  return finite.sort((a, b) => a - b);
}

/** Linear interpolation between closest ranks (the "R-7" definition spreadsheets use). */
export function percentile(values: readonly number[], p: number): number {
  if (p < 0 || p > 100) throw new RangeError(`percentile ${p} is outside 0..100`);
  const s = sorted(values);
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo]! + (s[hi]! - s[lo]!) * (rank - lo);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function summarize(values: readonly number[]): Summary {
  const s = sorted(values);
  return { median: percentile(s, 50), min: s[0]!, max: s[s.length - 1]!, n: s.length };
}
