import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { parsePodFilter } from '../../src/kube/podFilter.ts';

const pod = (name: string): V1Pod => ({ metadata: { name } });

test('selector syntax becomes a server-side label selector', () => {
  for (const text of ['app=web', 'tier!=db', 'env in (a,b)', 'env notin (prod)', '!canary', 'app,tier']) {
    const f = parsePodFilter(text);
    assert.equal(f?.labelSelector, text, text);
    assert.equal(f?.matches, undefined, text);
  }
});

test('anything else is a case-insensitive name substring', () => {
  const f = parsePodFilter('  Web ');
  assert.equal(f?.labelSelector, undefined);
  assert.equal(f?.text, 'Web');
  assert.deepEqual(['web-0', 'my-WEB', 'api-0'].map((n) => f!.matches!(pod(n))), [true, true, false]);
});

test('an empty filter is no filter', () => {
  assert.equal(parsePodFilter('   '), undefined);
});
