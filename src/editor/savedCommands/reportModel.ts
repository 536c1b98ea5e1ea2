// What the report of a run over many pods says, as plain data and HTML, with no VS Code in it
// so it can be checked on its own: failures first, per pod the outcome, exit code, duration and
// the first lines of output; the full output is one click away (a button the webview turns
// into a message).
import { countOutcomes, isFailure, orderForReport, type FanOutReport, type TargetResult } from '../../kube/savedCommands/fanOut.ts';
import { firstLines, lineCount } from '../../kube/savedCommands/output.ts';
import type { SkippedPod } from '../../kube/savedCommands/targets.ts';

/** Lines of output shown per pod in the report. */
export const PREVIEW_LINES = 5;

export interface RunSummary {
  commandName: string;
  /** The command as it ran on the first pod (variables filled in). */
  commandText: string;
  options: { stopOnFailure: boolean; canaryFirst: boolean; concurrency: number };
  report: FanOutReport;
  /** Pods that were never going to run it (not running, no matching container, ...). */
  notRun: SkippedPod[];
}

export type RowStatus = 'failed' | 'cancelled' | 'skipped' | 'succeeded';

export interface ReportRow {
  /** Index into report.results, for "show the full output". */
  index: number;
  status: RowStatus;
  where: string;
  context: string;
  outcome: string;
  duration: string;
  preview: string[];
  moreLines: number;
  hasOutput: boolean;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

export function outcomeText(r: TargetResult): string {
  switch (r.outcome) {
    case 'exit':
      return `exit code ${r.exitCode}`;
    case 'error':
      return `error: ${r.message}`;
    case 'connectionLost':
      return `connection lost: ${r.message}`;
    case 'cancelled':
      return 'cancelled while running';
    case 'skipped':
      return r.message ?? 'not started';
  }
}

export function reportRows(results: readonly TargetResult[]): ReportRow[] {
  const index = new Map(results.map((r, i) => [r, i]));
  return orderForReport(results).map((r) => {
    const total = lineCount(r.output.text);
    const preview = firstLines(r.output.text, PREVIEW_LINES);
    return {
      index: index.get(r)!,
      status: isFailure(r) ? 'failed' : r.outcome === 'cancelled' ? 'cancelled' : r.outcome === 'skipped' ? 'skipped' : 'succeeded',
      where: `${r.target.namespace}/${r.target.pod} (${r.target.container})`,
      context: r.target.context,
      outcome: outcomeText(r),
      duration: r.outcome === 'skipped' ? '' : formatDuration(r.durationMs),
      preview,
      moreLines: Math.max(0, total - preview.length),
      hasOutput: r.output.totalBytes > 0,
    };
  });
}

export function headline(summary: RunSummary): string {
  const c = countOutcomes(summary.report.results);
  const parts = [`${c.succeeded} succeeded`, `${c.failed} failed`];
  if (c.cancelled) parts.push(`${c.cancelled} cancelled`);
  if (c.skipped) parts.push(`${c.skipped} not started`);
  if (summary.notRun.length) parts.push(`${summary.notRun.length} could not run it`);
  return parts.join(', ');
}

const ICONS: Record<RowStatus, string> = { failed: '✗', cancelled: '■', skipped: '○', succeeded: '✓' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** The report page. Every text from the cluster or the user is escaped; scripts need the nonce. */
export function reportHtml(summary: RunSummary, page: { nonce: string; cspSource: string }): string {
  const { report } = summary;
  const rows = reportRows(report.results);
  const contexts = [...new Set(report.results.map((r) => r.target.context))];
  const options = [
    `at most ${summary.options.concurrency} at a time`,
    summary.options.canaryFirst ? 'one pod first' : '',
    summary.options.stopOnFailure ? 'stop at the first failure' : '',
  ].filter(Boolean);
  const banner = report.cancelled
    ? '<p class="banner">The run was cancelled: pods not yet started never started, running ones were ended.</p>'
    : report.stopReason
      ? `<p class="banner">${escapeHtml(report.stopReason)}</p>`
      : '';
  const body = rows
    .map(
      (row) => `
    <tr class="${row.status}">
      <td class="status" title="${row.status}">${ICONS[row.status]}</td>
      <td><div class="where">${escapeHtml(row.where)}</div>${contexts.length > 1 ? `<div class="dim">${escapeHtml(row.context)}</div>` : ''}</td>
      <td class="outcome">${escapeHtml(row.outcome)}</td>
      <td class="duration">${escapeHtml(row.duration)}</td>
      <td class="output">${
        row.hasOutput
          ? `<pre>${escapeHtml(row.preview.join('\n'))}</pre>${row.moreLines > 0 ? `<div class="dim">${row.moreLines} more line${row.moreLines === 1 ? '' : 's'}</div>` : ''}<button data-index="${row.index}">Full output</button>`
          : row.status === 'skipped'
            ? ''
            : '<span class="dim">no output</span>'
      }</td>
    </tr>`,
    )
    .join('');
  const notRun = summary.notRun.length
    ? `<h2>Could not run it (${summary.notRun.length})</h2><ul>${summary.notRun.map((s) => `<li>${escapeHtml(`${s.namespace}/${s.pod}`)}: ${escapeHtml(s.reason)}</li>`).join('')}</ul>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${page.cspSource} 'unsafe-inline'; script-src 'nonce-${page.nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(summary.commandName)}</title>
<style>
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 16px 16px; }
  h1 { font-size: 1.3em; margin-bottom: 4px; }
  h2 { font-size: 1.1em; margin-top: 24px; }
  .summary { font-size: 1.05em; margin: 4px 0; }
  .dim { color: var(--vscode-descriptionForeground); }
  .banner { padding: 6px 10px; border-left: 3px solid var(--vscode-editorWarning-foreground); background: var(--vscode-textBlockQuote-background); }
  code.command { display: block; white-space: pre-wrap; word-break: break-all; padding: 6px 8px; background: var(--vscode-textCodeBlock-background); font-family: var(--vscode-editor-font-family); }
  table { border-collapse: collapse; width: 100%; margin-top: 12px; table-layout: fixed; }
  col.status { width: 2em; } col.where { width: 22%; } col.outcome { width: 24%; } col.duration { width: 6em; }
  td { overflow-wrap: anywhere; }
  th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--vscode-panel-border, rgba(128,128,128,.3)); }
  td.status { font-weight: bold; width: 1.5em; }
  tr.failed td.status, tr.failed td.outcome { color: var(--vscode-errorForeground); }
  tr.succeeded td.status { color: var(--vscode-testing-iconPassed, green); }
  tr.cancelled td.status, tr.skipped td.status { color: var(--vscode-descriptionForeground); }
  td.duration { white-space: nowrap; }
  pre { margin: 0 0 4px; white-space: pre-wrap; word-break: break-all; font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); }
  button { color: var(--vscode-button-secondaryForeground); background: var(--vscode-button-secondaryBackground); border: none; padding: 2px 8px; cursor: pointer; }
  button:hover { background: var(--vscode-button-secondaryHoverBackground); }
</style>
</head>
<body>
<h1>${escapeHtml(summary.commandName)}</h1>
<p class="summary">${escapeHtml(headline(summary))} · ${escapeHtml(formatDuration(report.durationMs))} · ${escapeHtml(options.join(', '))}</p>
<p class="dim">Context${contexts.length === 1 ? '' : 's'}: ${escapeHtml(contexts.join(', '))}</p>
<code class="command">${escapeHtml(summary.commandText)}</code>
${banner}
<table>
  <colgroup><col class="status"><col class="where"><col class="outcome"><col class="duration"><col class="output"></colgroup>
  <thead><tr><th></th><th>Pod (container)</th><th>Result</th><th>Time</th><th>Output</th></tr></thead>
  <tbody>${body}
  </tbody>
</table>
${notRun}
<script nonce="${page.nonce}">
  const vscode = acquireVsCodeApi();
  document.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-index]');
    if (button) vscode.postMessage({ type: 'openOutput', index: Number(button.dataset.index) });
  });
</script>
</body>
</html>`;
}
