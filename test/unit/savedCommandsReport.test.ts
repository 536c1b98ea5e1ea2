// The report of a run over many pods and the confirmation text: failures first, first lines per
// pod, everything from the cluster escaped; the confirmation shows the exact command and the pods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TargetResult } from '../../src/kube/savedCommands/fanOut.ts';
import { formatDuration, reportHtml, reportRows, headline, type RunSummary } from '../../src/editor/savedCommands/reportModel.ts';
import { confirmationText } from '../../src/editor/savedCommands/confirmation.ts';

function result(pod: string, over: Partial<TargetResult>): TargetResult {
  const text = over.output?.text ?? '';
  return {
    target: { context: 'kind', namespace: 'shop', pod, container: 'app', node: 'n' },
    argv: ['sh', '-c', 'x'],
    outcome: 'exit',
    exitCode: 0,
    durationMs: 1234,
    ...over,
    output: { totalBytes: Buffer.byteLength(text), omittedBytes: 0, text },
  };
}

const results: TargetResult[] = [
  result('ok-0', { output: { text: 'fine\n', totalBytes: 0, omittedBytes: 0 } }),
  result('bad-1', { exitCode: 3, output: { text: 'l1\nl2\nl3\nl4\nl5\nl6\nl7\n', totalBytes: 0, omittedBytes: 0 } }),
  result('skip-2', { outcome: 'skipped', exitCode: undefined, message: 'Not started: the run was cancelled.', durationMs: 0 }),
  result('evil-3', { outcome: 'error', exitCode: undefined, message: 'pods "<img src=x onerror=alert(1)>" not found', output: { text: '<script>alert(1)</script>', totalBytes: 0, omittedBytes: 0 } }),
  result('cut-4', { outcome: 'cancelled', exitCode: undefined }),
];

const summary: RunSummary = {
  commandName: 'Check <config>',
  commandText: "cat /etc/app/'ok-0'.conf",
  options: { stopOnFailure: true, canaryFirst: false, concurrency: 10 },
  report: { results, cancelled: true, durationMs: 65_000 },
  notRun: [{ context: 'kind', namespace: 'shop', pod: 'pending-0', reason: 'no container is running (Pending)' }],
};

test('rows: failures first, then cancelled, not started, succeeded; first lines and the rest counted', () => {
  const rows = reportRows(results);
  assert.deepEqual(
    rows.map((r) => [r.where, r.status, r.outcome]),
    [
      ['shop/bad-1 (app)', 'failed', 'exit code 3'],
      ['shop/evil-3 (app)', 'failed', 'error: pods "<img src=x onerror=alert(1)>" not found'],
      ['shop/cut-4 (app)', 'cancelled', 'cancelled while running'],
      ['shop/skip-2 (app)', 'skipped', 'Not started: the run was cancelled.'],
      ['shop/ok-0 (app)', 'succeeded', 'exit code 0'],
    ],
  );
  assert.deepEqual(rows[0].preview, ['l1', 'l2', 'l3', 'l4', 'l5']);
  assert.equal(rows[0].moreLines, 2);
  assert.equal(rows[0].index, 1, 'the index points at the result for "full output"');
  assert.equal(rows[0].duration, '1.2 s');
  assert.equal(rows[3].duration, '');
  assert.equal(headline(summary), '1 succeeded, 2 failed, 1 cancelled, 1 not started, 1 could not run it');
  assert.equal(formatDuration(65_000), '1 min 5 s');
  assert.equal(formatDuration(12), '12 ms');
});

test('the page escapes whatever the cluster or the user wrote, and only nonce scripts run', () => {
  const html = reportHtml(summary, { nonce: 'abc123', cspSource: 'vscode-resource:' });
  assert.doesNotMatch(html, /<img src=x/);
  assert.doesNotMatch(html, /<script>alert/);
  assert.match(html, /&#60;script&#62;alert\(1\)&#60;\/script&#62;/);
  assert.match(html, /<h1>Check &#60;config&#62;<\/h1>/);
  assert.match(html, /script-src 'nonce-abc123'/);
  assert.equal(html.match(/<script/g)?.length, 1);
  assert.match(html, /<script nonce="abc123">/);
  assert.match(html, /cat \/etc\/app\/&#39;ok-0&#39;\.conf/);
  assert.match(html, /The run was cancelled/);
  assert.match(html, /<li>shop\/pending-0: no container is running \(Pending\)<\/li>/);
  // Failures come first in the page too.
  assert.ok(html.indexOf('shop/bad-1') < html.indexOf('shop/ok-0'));
  assert.match(html, /<button data-index="1">Full output<\/button>/);
});

test('the confirmation names the protected context, the exact command and the pods', () => {
  const targets = Array.from({ length: 20 }, (_, i) => ({ context: 'prod-eu', namespace: 'shop', pod: `web-${i}`, container: 'app', node: '' }));
  const text = confirmationText({ commandName: 'Restart', commandText: "kill -HUP 1 # 'web-0'", perPod: true, targets, protectedContexts: ['prod-eu'], options: ['stop at the first failure'] });
  assert.equal(text.message, 'Context "prod-eu" is protected. Run "Restart" in 20 pods there?');
  assert.match(text.detail, /^Command:\nkill -HUP 1 # 'web-0'\n\(shown for the first pod; the variables are filled in for each pod\)/);
  assert.match(text.detail, /Pods in context prod-eu:\n {2}shop\/web-0 \(app\)\n/);
  assert.match(text.detail, / {2}shop\/web-14 \(app\)\n {2}\.\.\. and 5 more/);
  assert.doesNotMatch(text.detail, /web-15/);
  assert.match(text.detail, /Options: stop at the first failure/);
  assert.match(text.detail, /kubeExec\.protectedContexts/);

  const one = confirmationText({ commandName: 'Env', commandText: 'env', perPod: false, targets: targets.slice(0, 1), protectedContexts: [] });
  assert.equal(one.message, 'Run "Env" in 1 pod?');
});
