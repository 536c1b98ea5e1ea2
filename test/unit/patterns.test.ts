import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globMatcher } from '../../src/kube/patterns.ts';

test('glob patterns match whole names, * matches any run, other characters are literal', () => {
  const m = globMatcher(['app-*', 'default', '*prod*']);
  assert.deepEqual(['app-x', 'app-', 'default', 'eu-prod-1', 'prod'].map(m), [true, true, true, true, true]);
  assert.deepEqual(['xapp-1', 'default2', 'kube-system', 'pro'].map(m), [false, false, false, false]);
  assert.equal(globMatcher(['a.b'])('axb'), false, 'a dot is not a wildcard');
});

test('no patterns match everything', () => {
  assert.equal(globMatcher([])('anything'), true);
});
