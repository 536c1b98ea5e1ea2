// Names are checked before they go into a request path: `.`, `..`, empty, `/` and `%` would
// change which URL is asked for, and a name the API server could never have accepted can only
// end in NotFound. Messages are kubectl's (path segments) and the API server's (DNS-1123).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkName, checkTarget, InvalidNameError, namespacePath, nameProblem, nodePath, podPath, podsPath } from '../../src/kube/names.ts';
import { subresourcePath } from '../../src/kube/exec/connect.ts';

test("path segments that would change the URL are refused in kubectl's words", () => {
  assert.equal(nameProblem('namespace', '..'), `invalid namespace "..": [may not be '..']`);
  assert.equal(nameProblem('namespace', '.'), `invalid namespace ".": [may not be '.']`);
  assert.equal(nameProblem('namespace', 'a/b'), `invalid namespace "a/b": [may not contain '/']`);
  assert.equal(nameProblem('namespace', 'a%2Fb'), `invalid namespace "a%2Fb": [may not contain '%']`);
  assert.equal(nameProblem('pod', '.'), `invalid resource name ".": [may not be '.']`);
  assert.equal(nameProblem('pod', '..'), `invalid resource name "..": [may not be '..']`);
  assert.equal(nameProblem('pod', 'a%3Bb'), `invalid resource name "a%3Bb": [may not contain '%']`);
  assert.equal(nameProblem('pod', 'a/%b'), `invalid resource name "a/%b": [may not contain '/' may not contain '%']`);
  assert.equal(nameProblem('container', '..'), `invalid container name "..": [may not be '..']`);
  for (const kind of ['namespace', 'pod', 'container', 'node'] as const) assert.match(nameProblem(kind, '') ?? '', /"": \[may not be empty\]$/);
});

test("names no object can have are refused with the API server's rule", () => {
  assert.match(nameProblem('namespace', 'Shop') ?? '', /^invalid namespace "Shop": \[a lowercase RFC 1123 label must consist of/);
  assert.match(nameProblem('namespace', 'a.b') ?? '', /RFC 1123 label/);
  assert.match(nameProblem('pod', 'Web-0') ?? '', /^invalid resource name "Web-0": \[a lowercase RFC 1123 subdomain/);
  assert.match(nameProblem('pod', 'a b') ?? '', /RFC 1123 subdomain/);
  assert.match(nameProblem('pod', '-x') ?? '', /RFC 1123 subdomain/);
  assert.match(nameProblem('pod', 'x'.repeat(254)) ?? '', /must be no more than 253 characters/);
  assert.match(nameProblem('container', 'c'.repeat(64)) ?? '', /must be no more than 63 characters/);
  assert.match(nameProblem('pod', 'ü') ?? '', /RFC 1123 subdomain/);
  // Control characters are quoted as Go's %q quotes them, so the line stays one line.
  assert.match(nameProblem('pod', 'a\nb') ?? '', /^invalid resource name "a\\nb"/);
  assert.match(nameProblem('pod', 'a\u0007b') ?? '', /^invalid resource name "a\\x07b"/);
  // What real objects are called passes.
  for (const [kind, name] of [['namespace', 'kube-system'], ['pod', 'web-0'], ['pod', 'api.v2-7d9f'], ['container', 'app'], ['node', 'ip-10-0-0-1.ec2.internal']] as const) {
    assert.equal(nameProblem(kind, name), undefined, `${kind} ${name}`);
  }
});

test('paths are built only from names that passed, so no request can go elsewhere', () => {
  assert.equal(podPath('shop', 'web-0', 'exec'), '/api/v1/namespaces/shop/pods/web-0/exec');
  assert.equal(podsPath(undefined), '/api/v1/pods');
  assert.equal(namespacePath('shop'), '/api/v1/namespaces/shop');
  assert.equal(nodePath('node-1'), '/api/v1/nodes/node-1');
  assert.throws(() => podPath('..', 'ok'), InvalidNameError);
  assert.throws(() => podPath('shop', '..'), InvalidNameError);
  assert.throws(() => podPath('shop', ''), InvalidNameError);
  assert.throws(() => podsPath(''), InvalidNameError);
  assert.throws(() => checkTarget({ namespace: 'shop', pod: 'web-0', container: '.' }), /invalid container name "\."/);
  assert.doesNotThrow(() => checkTarget({ namespace: 'shop', pod: 'web-0', container: '' }));
  const exec = (namespace: string, pod: string, container?: string) =>
    subresourcePath({ namespace, pod, container, subresource: 'exec', command: ['sh'], stdin: false, stdout: true, stderr: true, tty: false });
  assert.equal(exec('shop', 'web-0', 'app'), '/api/v1/namespaces/shop/pods/web-0/exec?command=sh&container=app&stdout=true&stderr=true');
  assert.throws(() => exec('..', 'ok'), /invalid namespace "\.\."/);
  assert.throws(() => exec('shop', '.'), /invalid resource name "\."/);
  assert.throws(() => exec('shop', 'ok', '..'), /invalid container name "\.\."/);
  assert.throws(() => checkName('node', 'a/b'), /may not contain '\/'/);
});
