import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContentBuffer, parseDirectory, parseStat, SizeHeader } from '../../src/kube/containerFs/parse.ts';
import { adviceFor, classifyFailure } from '../../src/kube/containerFs/errors.ts';
import { EXIT } from '../../src/kube/containerFs/scripts.ts';
import type { ExecResult } from '../../src/kube/exec/status.ts';
import {
  decodeContext,
  encodeContext,
  formatLocation,
  normalizeContainerPath,
  parseLocation,
} from '../../src/kube/containerFs/location.ts';

test('stat lines: kind, link, writability, size and times', () => {
  assert.deepEqual(parseStat('-fw 12 1700000000 1700000100\n'), {
    symlink: false, kind: 'file', writable: true, size: 12, mtimeMs: 1_700_000_000_000, ctimeMs: 1_700_000_100_000,
  });
  assert.deepEqual(parseStat('Ld- 4096 1 2'), { symlink: true, kind: 'directory', writable: false, size: 4096, mtimeMs: 1000, ctimeMs: 2000 });
  assert.equal(parseStat('Lx- 0 0 0').kind, 'danglingLink');
  assert.equal(parseStat('-o- 0 0 0').kind, 'other');
  // `wc -c` on some systems pads with spaces; times before 1970 are negative.
  assert.equal(parseStat('-fw      7 -5 0').size, 7);
  assert.equal(parseStat('-fw 7 -5 0').mtimeMs, -5000);
  for (const bad of ['', 'garbage', '-qw 1 2 3', '-fw 1 2', 'stat: cannot stat']) {
    assert.throws(() => parseStat(bad), /Unexpected output from stat/, bad);
  }
});

test('directory records: any byte but / in a name survives, including newlines and UTF-8', () => {
  const listing = Buffer.concat([
    Buffer.from('-fa b/Lxdangling/Ldlink to dir/-fnew\nline/-f'),
    Buffer.from('日本語.txt', 'utf8'),
    Buffer.from('/-o.sock/-d..dots/-f-/'),
  ]);
  assert.deepEqual(parseDirectory(listing), [
    { name: 'a b', kind: 'file', symlink: false },
    { name: 'dangling', kind: 'danglingLink', symlink: true },
    { name: 'link to dir', kind: 'directory', symlink: true },
    { name: 'new\nline', kind: 'file', symlink: false },
    { name: '日本語.txt', kind: 'file', symlink: false },
    { name: '.sock', kind: 'other', symlink: false },
    { name: '..dots', kind: 'directory', symlink: false },
    { name: '-', kind: 'file', symlink: false },
  ]);
  assert.deepEqual(parseDirectory(Buffer.alloc(0)), []);
  assert.throws(() => parseDirectory(Buffer.from('-fcut off')), /cut off/);
  assert.throws(() => parseDirectory(Buffer.from('?fname/')), /Unexpected directory listing/);
  assert.throws(() => parseDirectory(Buffer.from('-f/')), /Unexpected directory listing/);
});

test('the size header is found across chunk boundaries and the rest is content', () => {
  const header = new SizeHeader();
  assert.equal(header.push(Buffer.from('12')), undefined);
  assert.equal(header.complete, false);
  const rest = header.push(Buffer.from('34\nhello'));
  assert.equal(header.size, 1234);
  assert.equal(rest?.toString(), 'hello');
  assert.equal(header.push(Buffer.from('\nmore\n'))?.toString(), '\nmore\n', 'newlines after the header are content');

  const unknown = new SizeHeader();
  assert.equal(unknown.push(Buffer.from('-\n'))?.length, 0);
  assert.equal(unknown.size, null);
  assert.throws(() => new SizeHeader().push(Buffer.alloc(40, 0x31)), /no file size/);
});

test('file content fills one array of the announced size, and grows only when it must', () => {
  const exact = new ContentBuffer(6);
  exact.append(Buffer.from('abc'));
  exact.append(Buffer.from('def'));
  const result = exact.result();
  assert.equal(Buffer.from(result).toString(), 'abcdef');
  assert.equal(result.buffer.byteLength, 6, 'no second buffer was made');

  const grown = new ContentBuffer(2);
  grown.append(Buffer.from('abc'));
  grown.append(Buffer.from('defgh'));
  assert.equal(Buffer.from(grown.result()).toString(), 'abcdefgh');

  const unknown = new ContentBuffer(null);
  assert.equal(unknown.result().length, 0);
  const shrunk = new ContentBuffer(10);
  shrunk.append(Buffer.from('abc'));
  assert.equal(Buffer.from(shrunk.result()).toString(), 'abc');
});

const exit = (code: number): ExecResult => ({ kind: 'exit', code });

test('our own exit codes map to file errors', () => {
  const cases: Array<[number, string]> = [
    [EXIT.notFound, 'FileNotFound'],
    [EXIT.exists, 'FileExists'],
    [EXIT.notADirectory, 'FileNotADirectory'],
    [EXIT.isADirectory, 'FileIsADirectory'],
    [EXIT.notEmpty, 'DirectoryNotEmpty'],
    [EXIT.incomplete, 'Incomplete'],
    [EXIT.permissionDenied, 'NoPermissions'],
    [EXIT.notAFile, 'Failed'],
  ];
  for (const [code, expected] of cases) assert.equal(classifyFailure({ result: exit(code), stderr: '' }).code, expected, String(code));
});

test('tool messages from GNU coreutils, busybox, dash and bash are classified by their errno text', () => {
  const cases: Array<[string, string]> = [
    ["cat: /etc/shadow: Permission denied", 'NoPermissions'],
    ["kube-exec: 30: cannot create /sys/x: Permission denied", 'NoPermissions'],
    ["kube-exec: line 29: can't create /sys/x: Permission denied", 'NoPermissions'],
    ["rm: cannot remove '/x': Operation not permitted", 'NoPermissions'],
    ["kube-exec: 30: cannot create /etc/hosts: Read-only file system", 'ReadOnlyFileSystem'],
    ["mkdir: can't create directory '/x': Read-only file system", 'ReadOnlyFileSystem'],
    ["mv: cannot move 'a' to 'b': Read-only file system", 'ReadOnlyFileSystem'],
    ["cat: /x: No such file or directory", 'FileNotFound'],
    ["mkdir: cannot create directory ‘/a/b’: File exists", 'FileExists'],
    ["cat: write error: No space left on device", 'NoSpace'],
    ["cp: cannot create regular file 'x': Disk quota exceeded", 'NoSpace'],
    ["rm: cannot remove '/x': Directory not empty", 'DirectoryNotEmpty'],
  ];
  for (const [stderr, expected] of cases) assert.equal(classifyFailure({ result: exit(1), stderr: `${stderr}\n` }).code, expected, stderr);
  // The line that made the tool fail is the last one; earlier noise does not decide.
  const noisy = '/root/.profile: line 3: foo: No such file or directory\nkube-exec: 5: cannot create /x: Read-only file system\n';
  assert.equal(classifyFailure({ result: exit(2), stderr: noisy }).code, 'ReadOnlyFileSystem');
  // A file whose *name* contains an errno text does not fool the classifier.
  assert.equal(classifyFailure({ result: exit(1), stderr: "cat: '/tmp/Permission denied.txt': No such file or directory\n" }).code, 'FileNotFound');
  const other = classifyFailure({ result: exit(3), stderr: 'tar: something odd\n' });
  assert.equal(other.code, 'Failed');
  assert.match(other.detail, /exit code 3: tar: something odd/);
});

test('a missing program is named, whichever shell reported it', () => {
  const cases: Array<[string, string]> = [
    ['kube-exec: 7: stat: not found', 'stat'],
    ['kube-exec: line 7: stat: command not found', 'stat'],
    ['kube-exec: stat: not found', 'stat'],
    ['kube-exec: 3: exec: cat: not found', 'cat'],
    ['kube-exec: line 3: exec: tar: not found', 'tar'],
  ];
  for (const [stderr, tool] of cases) {
    const c = classifyFailure({ result: exit(127), stderr });
    assert.deepEqual([c.code, c.tool], ['ToolMissing', tool], stderr);
  }
});

test('exec failures: no shell, refused, gone, lost', () => {
  const noShell: ExecResult = {
    kind: 'error',
    httpStatus: 500,
    message: 'Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "abc": OCI runtime exec failed: exec failed: unable to start container process: exec: "sh": executable file not found in $PATH: unknown',
  };
  assert.deepEqual(classifyFailure({ result: noShell, stderr: '' }), { code: 'ToolMissing', detail: 'the container has no sh', tool: 'sh' });
  const forbidden: ExecResult = { kind: 'error', httpStatus: 403, message: 'pods "web-0" is forbidden: User "dev" cannot create resource "pods/exec"' };
  assert.deepEqual(classifyFailure({ result: forbidden, stderr: '' }), { code: 'NoPermissions', detail: forbidden.message });
  const gone: ExecResult = { kind: 'error', httpStatus: 404, message: 'pods "x" not found' };
  assert.equal(classifyFailure({ result: gone, stderr: '' }).code, 'Unavailable');
  // Another program missing in the runtime's words is not "no shell".
  const otherMissing: ExecResult = { kind: 'error', httpStatus: 500, message: 'exec: "bash": executable file not found in $PATH' };
  assert.equal(classifyFailure({ result: otherMissing, stderr: '' }).code, 'Unavailable');
  assert.equal(classifyFailure({ result: { kind: 'connectionLost', message: 'dropped' }, stderr: '' }).code, 'Unavailable');
  assert.equal(classifyFailure({ result: { kind: 'error', message: 'closed', reason: 'Closed' }, stderr: '' }).detail, 'the operation was cancelled');
});

test('advice: a debug container for missing tools, volumes for read-only file systems', () => {
  assert.match(adviceFor('ToolMissing', 'app', 'sh'), /Debug Container.*targeting app.*\/proc\/1\/root/s);
  assert.match(adviceFor('ToolMissing', 'app', 'tar'), /sh and tar/);
  assert.match(adviceFor('ReadOnlyFileSystem', 'app'), /read-only/);
  assert.equal(adviceFor('FileNotFound', 'app'), '');
});

test('context names survive the URI authority, which VS Code lower-cases', () => {
  const names = ['kind-kind', 'minikube', 'Admin@Prod', 'arn:aws:eks:us-east-1:123456789012:cluster/prod', 'gke_my-proj_europe-west1-b_c1', 'ümlaut ctx', 'a_5f', 'UPPER'];
  const seen = new Set<string>();
  for (const name of names) {
    const encoded = encodeContext(name);
    assert.match(encoded, /^[a-z0-9._-]+$/, `${name} -> ${encoded}`);
    assert.equal(decodeContext(encoded), name);
    assert.equal(decodeContext(encoded.toUpperCase()), name, 'upper-casing (hex digits) does not matter either');
    seen.add(encoded);
  }
  assert.equal(seen.size, names.length);
  assert.equal(encodeContext('kind-kind'), 'kind-kind', 'ordinary names stay readable');
  assert.throws(() => encodeContext(''), /empty/);
  assert.throws(() => decodeContext('a_zz'), /not a context/);
  assert.throws(() => decodeContext('a b'), /not a context/);
});

test('locations: URI path <-> namespace, pod, container and the path inside', () => {
  const loc = { context: 'Admin@Prod', namespace: 'shop', pod: 'web-0', container: 'app', path: '/etc/nginx/conf.d' };
  const uri = formatLocation(loc);
  assert.deepEqual(uri, { authority: '_41dmin_40_50rod', path: '/shop/web-0/app/etc/nginx/conf.d' });
  assert.deepEqual(parseLocation(uri.authority, uri.path), loc);
  assert.deepEqual(formatLocation({ ...loc, path: '/' }).path, '/shop/web-0/app');
  assert.equal(parseLocation('kubesim', '/default/web-0/app').path, '/');
  assert.equal(parseLocation('kubesim', '/default/web-0/app/').path, '/');
  assert.equal(parseLocation('kubesim', '/default/web-0/app/a b/ü\nx').path, '/a b/ü\nx');
  assert.equal(parseLocation('kubesim', '/default/web-0/app/x/../../..').path, '/', 'cannot climb above the root');
  assert.throws(() => parseLocation('kubesim', '/default/web-0'), /not a kube-exec path/);
  assert.throws(() => parseLocation('kubesim', '/'), /not a kube-exec path/);
  assert.throws(() => formatLocation({ ...loc, pod: '' }), /not a valid pod/);
});

test('container paths are absolute and normalised', () => {
  assert.equal(normalizeContainerPath('/a//b/./c/'), '/a/b/c');
  assert.equal(normalizeContainerPath('/'), '/');
  assert.equal(normalizeContainerPath('/a/../..'), '/');
  assert.throws(() => normalizeContainerPath('relative/x'), /not an absolute path/);
  assert.throws(() => normalizeContainerPath('/a\0b'), /NUL/);
});
