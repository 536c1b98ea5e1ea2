// A small SVG bar chart of ours/kubectl ratios. Log scale centred on 1.0, so "4× faster" and
// "4× slower" are bars of the same length on either side; no charting dependency.

export interface RatioBar {
  label: string;
  /** Shown under the label, e.g. "wall time, lower is better". */
  note: string;
  ratio: number;
  /** The target for this ratio, drawn as a tick; omitted when the target is not a ratio. */
  target?: number;
  /** Replaces "(target N×)" after the ratio, for targets that are not ratios. */
  detail?: string;
  met: boolean;
}

const ROW = 36;
const LEFT = 380;
const PLOT = 360;
const RIGHT = 260;
const TOP = 74;
const WIDTH = LEFT + PLOT + RIGHT;

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function ticksBetween(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let exp = Math.floor(Math.log10(lo)); exp <= Math.ceil(Math.log10(hi)); exp++) {
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** exp;
      if (t >= lo * 0.999 && t <= hi * 1.001) ticks.push(Number(t.toPrecision(3)));
    }
  }
  return ticks;
}

function tickLabel(t: number): string {
  return `${Number(t.toPrecision(2))}×`;
}

function fmtRatio(r: number): string {
  if (!Number.isFinite(r)) return 'n/a';
  return r >= 10 ? `${r.toFixed(0)}×` : r >= 1 ? `${r.toFixed(2)}×` : `${r.toFixed(3)}×`;
}

export function ratioChart(title: string, bars: readonly RatioBar[]): string {
  const finite = bars.flatMap((b) => [b.ratio, b.target ?? 1]).filter((r) => Number.isFinite(r) && r > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(0.5, ...finite) / 1.2));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(2, ...finite) * 1.2));
  const x = (r: number): number => LEFT + ((Math.log10(r) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * PLOT;
  const height = TOP + bars.length * ROW + 46;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="600" fill="#1f2328">${escapeXml(title)}</text>`,
    `<text x="12" y="40" fill="#57606a">ours / kubectl, medians of rounds, log scale. For times, left of 1× means ours is faster; for throughput, right of 1× means ours moves more.</text>`,
    `<text x="12" y="56" fill="#57606a">Green: the issue's target is met; red: missed. Dashed blue tick: the target.</text>`,
  );
  const axisY = TOP + bars.length * ROW + 6;
  let lastLabelX = -Infinity;
  for (const t of ticksBetween(lo, hi)) {
    const px = x(t);
    const tx = px.toFixed(1);
    out.push(`<line x1="${tx}" y1="${TOP - 6}" x2="${tx}" y2="${axisY}" stroke="${t === 1 ? '#1f2328' : '#d0d7de'}" stroke-width="${t === 1 ? 1.5 : 1}"/>`);
    // Labels only where they do not collide; decades win.
    const decade = Number.isInteger(Math.log10(t));
    if (px - lastLabelX >= (decade ? 30 : 44)) {
      out.push(`<text x="${tx}" y="${axisY + 16}" text-anchor="middle" fill="#57606a">${tickLabel(t)}</text>`);
      lastLabelX = px;
    }
  }
  bars.forEach((bar, i) => {
    const y = TOP + i * ROW;
    out.push(`<text x="${LEFT - 10}" y="${y + 12}" text-anchor="end" fill="#1f2328">${escapeXml(bar.label)}</text>`);
    const note = bar.note.length > 64 ? `${bar.note.slice(0, 63)}…` : bar.note;
    out.push(`<text x="${LEFT - 10}" y="${y + 25}" text-anchor="end" fill="#57606a" font-size="10">${escapeXml(note)}</text>`);
    if (Number.isFinite(bar.ratio) && bar.ratio > 0) {
      const clamped = Math.min(hi, Math.max(lo, bar.ratio));
      const x0 = Math.min(x(1), x(clamped));
      const w = Math.max(1, Math.abs(x(clamped) - x(1)));
      out.push(`<rect x="${x0.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${ROW - 12}" rx="2" fill="${bar.met ? '#2da44e' : '#cf222e'}"/>`);
    }
    if (bar.target !== undefined) {
      const tx = x(bar.target).toFixed(1);
      out.push(`<line x1="${tx}" y1="${y}" x2="${tx}" y2="${y + ROW - 4}" stroke="#0969da" stroke-width="2" stroke-dasharray="3 2"/>`);
    }
    const targetText = bar.detail !== undefined ? ` ${bar.detail}` : bar.target === undefined ? '' : ` (target ${fmtRatio(bar.target)})`;
    out.push(`<text x="${LEFT + PLOT + 10}" y="${y + 18}" fill="#1f2328">${fmtRatio(bar.ratio)}${escapeXml(targetText)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
