// Container files over exec, against kubesim. kubesim runs exec'd processes without a chroot,
// so a path in the "container" is a path on this machine: each test works in a fresh folder of
// its own under kubesim's dir, and checks results on disk directly where that is simplest.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';
import { kubeConfigForContext, loadKubeconfig } from '../../src/kube/kubeconfig.ts';
import type { KubeConfigLike } from '../../src/kube/exec/connect.ts';
import { ContainerFs, ContainerFsError, copyBetween } from '../../src/kube/containerFs/containerFs.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let sim: Kubesim;
let kubeConfig: KubeConfigLike;

before(async () => {
  sim = await startKubesim();
  kubeConfig = kubeConfigForContext(await loadKubeconfig({ files: [sim.kubeconfigPath] }), 'kubesim');
});

after(async () => {
  await sim?.stop();
});

function fs(pod = 'web-0', container = 'app', namespace = 'default', extra: { protocols?: string[] } = {}): ContainerFs {
  return new ContainerFs({ kubeConfig: () => kubeConfig, target: { namespace, pod, container }, keepaliveIntervalMs: 0, ...extra });
}

async function workDir(): Promise<string> {
  await mkdir(join(sim.dir, 'work'), { recursive: true });
  return mkdtemp(join(sim.dir, 'work', 'fs-'));
}

/** Deterministic pseudo-random bytes (xorshift32), made chunk by chunk so the whole never exists at once. */
function* generated(total: number, chunk = 1 << 20): Generator<Uint8Array> {
  let x = 0x9e3779b9;
  for (let done = 0; done < total; done += chunk) {
    const size = Math.min(chunk, total - done);
    const words = new Uint32Array(Math.ceil(size / 4));
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x >>> 0;
    }
    yield new Uint8Array(words.buffer, 0, size);
  }
}

function sha256(...parts: Iterable<Uint8Array>[]): string {
  const hash = createHash('sha256');
  for (const part of parts) for (const chunk of part) hash.update(chunk);
  return hash.digest('hex');
}

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/**
 * Peak growth of the Buffer/ArrayBuffer memory still referenced while `work` runs: sampled
 * after a full collection, so transfer garbage that waits for the collector does not count,
 * only what the code actually holds on to.
 */
async function peakLiveBuffers<T>(work: () => Promise<T>): Promise<{ value: T; peak: number }> {
  // V8 frees the memory of dead ArrayBuffers on a background thread after a collection: give it a moment.
  const live = async (): Promise<number> => {
    collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, 5));
    return process.memoryUsage().arrayBuffers;
  };
  const base = await live();
  let peak = 0;
  let running = true;
  const sampling = (async () => {
    while (running) {
      peak = Math.max(peak, (await live()) - base);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  try {
    return { value: await work(), peak };
  } finally {
    running = false;
    await sampling;
  }
}

async function rejectsWith(promise: Promise<unknown>, code: string, text?: RegExp): Promise<ContainerFsError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ContainerFsError, `expected a ContainerFsError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (text) assert.match(err.message, text);
    return err;
  }
  assert.fail(`expected the operation to fail with ${code}`);
}

const MiB = 1 << 20;

test('create, list, stat and read files whose names have spaces, newlines and unicode', async () => {
  const c = fs();
  const dir = await workDir();
  const names = ['plain.txt', 'with space.txt', 'new\nline', 'ümlaut-日本.txt', '.hidden', '-dash', '*'];
  await c.createDirectory(join(dir, 'sub'));
  for (const name of names) await c.writeFile(join(dir, name), Buffer.from(`content of ${name}`), { create: true, overwrite: false });
  await symlink('plain.txt', join(dir, 'link-to-file'));
  await symlink('sub', join(dir, 'link-to-dir'));
  await symlink('nowhere', join(dir, 'dangling'));

  const entries = await c.readDirectory(dir);
  const byName = new Map(entries.map((e) => [e.name, e]));
  assert.deepEqual([...byName.keys()].sort(), [...names, 'sub', 'link-to-file', 'link-to-dir', 'dangling'].sort());
  assert.deepEqual(byName.get('sub'), { name: 'sub', kind: 'directory', symlink: false });
  assert.deepEqual(byName.get('new\nline'), { name: 'new\nline', kind: 'file', symlink: false });
  assert.deepEqual(byName.get('link-to-dir'), { name: 'link-to-dir', kind: 'directory', symlink: true });
  assert.deepEqual(byName.get('link-to-file'), { name: 'link-to-file', kind: 'file', symlink: true });
  assert.deepEqual(byName.get('dangling'), { name: 'dangling', kind: 'danglingLink', symlink: true });

  for (const name of names) {
    assert.equal(Buffer.from(await c.readFile(join(dir, name))).toString(), `content of ${name}`);
    assert.equal(await readFile(join(dir, name), 'utf8'), `content of ${name}`);
  }

  const file = await c.stat(join(dir, 'ümlaut-日本.txt'));
  const onDisk = await stat(join(dir, 'ümlaut-日本.txt'));
  assert.equal(file.kind, 'file');
  assert.equal(file.symlink, false);
  assert.equal(file.size, Buffer.byteLength('content of ümlaut-日本.txt'));
  assert.equal(file.mtimeMs, Math.floor(onDisk.mtimeMs / 1000) * 1000);
  assert.equal(file.writable, true);
  const link = await c.stat(join(dir, 'link-to-dir'));
  assert.deepEqual([link.kind, link.symlink], ['directory', true]);
  assert.equal((await c.stat(join(dir, 'dangling'))).kind, 'danglingLink');
  assert.deepEqual(await c.readDirectory(join(dir, 'sub')), []);
  assert.equal((await c.readFile(join(dir, 'sub', '..', 'plain.txt'))).length, 'content of plain.txt'.length);
});

test('binary content with every byte value comes back identical', async () => {
  const c = fs();
  const dir = await workDir();
  const bytes = new Uint8Array(256 * 40);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 8)) & 0xff;
  for (let v = 0; v < 256; v++) assert.ok(bytes.includes(v));
  await c.writeFile(join(dir, 'all-bytes.bin'), bytes, { create: true, overwrite: false });
  assert.deepEqual(new Uint8Array(await readFile(join(dir, 'all-bytes.bin'))), bytes);
  assert.deepEqual(new Uint8Array(await c.readFile(join(dir, 'all-bytes.bin'))), bytes);

  // Overwriting a file keeps it the same file: mode and inode survive.
  await chmod(join(dir, 'all-bytes.bin'), 0o640);
  const before = await stat(join(dir, 'all-bytes.bin'));
  const smaller = bytes.subarray(0, 300);
  await c.writeFile(join(dir, 'all-bytes.bin'), smaller, { create: false, overwrite: true });
  const after = await stat(join(dir, 'all-bytes.bin'));
  assert.equal(after.ino, before.ino);
  assert.equal(after.mode & 0o777, 0o640);
  assert.deepEqual(new Uint8Array(await c.readFile(join(dir, 'all-bytes.bin'))), smaller);

  await c.writeFile(join(dir, 'empty'), new Uint8Array(0), { create: true, overwrite: false });
  assert.equal((await c.readFile(join(dir, 'empty'))).length, 0);
  assert.deepEqual(await readdir(dir), ['all-bytes.bin', 'empty'], 'no temporary upload file is left behind');
});

test('a 64 MiB file is written and read as a stream, with bounded memory', { timeout: 180_000 }, async () => {
  // kubesim runs in a process of its own here, so the memory measured is only the client's.
  const own = await mkdtemp(join(tmpdir(), 'kube-exec-large-'));
  const child = spawn(process.execPath, [join(ROOT, 'test/kubesim/main.ts'), '--kubeconfig', join(own, 'kubeconfig'), '--dir', join(own, 'sim')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (data: Buffer) => data.toString().includes('listening') && resolve());
      child.once('exit', () => reject(new Error('kubesim exited before it was ready')));
    });
    const remoteConfig = kubeConfigForContext(await loadKubeconfig({ files: [join(own, 'kubeconfig')] }), 'kubesim');
    const c = new ContainerFs({ kubeConfig: () => remoteConfig, target: { namespace: 'default', pod: 'web-0', container: 'app' }, keepaliveIntervalMs: 0 });
    const path = join(own, 'large.bin');
    const size = 64 * MiB;
    const expected = sha256(generated(size));

    const write = await peakLiveBuffers(() => c.writeStream(path, size, generated(size), { create: true, overwrite: false }));
    assert.equal((await stat(path)).size, size);
    assert.equal(sha256([await readFile(path)]), expected);
    assert.ok(write.peak < 16 * MiB, `writing held ${(write.peak / MiB).toFixed(1)} MiB at once`);

    const hash = createHash('sha256');
    let announced: number | null | undefined;
    const read = await peakLiveBuffers(() => c.readStream(path, (chunk) => void hash.update(chunk), { onSize: (n) => (announced = n) }));
    assert.equal(announced, size);
    assert.equal(hash.digest('hex'), expected);
    assert.ok(read.peak < 16 * MiB, `streaming the read held ${(read.peak / MiB).toFixed(1)} MiB at once`);

    // The editor's readFile must return one array; it is filled in place, never held twice.
    const whole = await peakLiveBuffers(() => c.readFile(path));
    assert.equal(whole.value.length, size);
    assert.equal(sha256([whole.value]), expected);
    assert.ok(whole.peak < size + 16 * MiB, `readFile held ${(whole.peak / MiB).toFixed(1)} MiB for a 64 MiB file`);
  } finally {
    child.kill('SIGTERM');
    await exited;
    await rm(own, { recursive: true, force: true });
  }
});

test('rename, copy and delete, with and without overwrite', async () => {
  const c = fs();
  const dir = await workDir();
  const p = (name: string) => join(dir, name);
  await c.writeFile(p('a.txt'), Buffer.from('A'), { create: true, overwrite: false });
  await c.writeFile(p('b.txt'), Buffer.from('B'), { create: true, overwrite: false });

  await c.rename(p('a.txt'), p('renamed.txt'), { overwrite: false });
  assert.deepEqual((await readdir(dir)).sort(), ['b.txt', 'renamed.txt']);
  await rejectsWith(c.rename(p('renamed.txt'), p('b.txt'), { overwrite: false }), 'FileExists');
  await c.rename(p('renamed.txt'), p('b.txt'), { overwrite: true });
  assert.equal(await readFile(p('b.txt'), 'utf8'), 'A');

  await c.createDirectory(p('folder'));
  await c.writeFile(p('folder/inner file'), Buffer.from('inner'), { create: true, overwrite: false });
  await symlink('inner file', p('folder/link'));
  await c.copy(p('folder'), p('folder copy'), { overwrite: false });
  assert.equal(await readFile(p('folder copy/inner file'), 'utf8'), 'inner');
  assert.equal(await readlink(p('folder copy/link')), 'inner file', 'symlinks are copied as links');
  await c.copy(p('b.txt'), p('c.txt'), { overwrite: false });
  await rejectsWith(c.copy(p('b.txt'), p('c.txt'), { overwrite: false }), 'FileExists');
  // Overwriting a folder with a file replaces it rather than copying into it.
  await c.copy(p('b.txt'), p('folder copy'), { overwrite: true });
  assert.ok((await lstat(p('folder copy'))).isFile());

  await rejectsWith(c.delete(p('folder'), { recursive: false }), 'DirectoryNotEmpty');
  await c.delete(p('folder'), { recursive: true });
  await c.delete(p('c.txt'), { recursive: false });
  await c.createDirectory(p('empty'));
  await c.delete(p('empty'), { recursive: false });
  assert.deepEqual((await readdir(dir)).sort(), ['b.txt', 'folder copy']);
  await rejectsWith(c.delete(p('c.txt'), { recursive: true }), 'FileNotFound');
});

test('missing files, wrong kinds and existing targets are reported as such', async () => {
  const c = fs();
  const dir = await workDir();
  await writeFile(join(dir, 'file'), 'x');
  const missing = join(dir, 'no such');
  await rejectsWith(c.stat(missing), 'FileNotFound', /Cannot look up .*no such in web-0\/app: no such file or directory/);
  await rejectsWith(c.readFile(missing), 'FileNotFound');
  await rejectsWith(c.readDirectory(missing), 'FileNotFound');
  await rejectsWith(c.readDirectory(join(dir, 'file')), 'FileNotADirectory');
  await rejectsWith(c.readFile(dir), 'FileIsADirectory');
  await rejectsWith(c.writeFile(dir, Buffer.from('x'), { create: true, overwrite: true }), 'FileIsADirectory');
  await rejectsWith(c.writeFile(join(dir, 'file'), Buffer.from('y'), { create: true, overwrite: false }), 'FileExists');
  await rejectsWith(c.writeFile(missing, Buffer.from('y'), { create: false, overwrite: true }), 'FileNotFound');
  await rejectsWith(c.writeFile(join(missing, 'child'), Buffer.from('y'), { create: true, overwrite: true }), 'FileNotFound');
  await rejectsWith(c.createDirectory(join(missing, 'child')), 'FileNotFound');
  await rejectsWith(c.createDirectory(join(dir, 'file', 'child')), 'FileNotADirectory');
  await rejectsWith(c.createDirectory(join(dir, 'file')), 'FileExists');
  await rejectsWith(c.rename(missing, join(dir, 'other'), { overwrite: false }), 'FileNotFound');
  assert.equal(await readFile(join(dir, 'file'), 'utf8'), 'x');
});

test('permission denied is reported with the tool message behind it', async () => {
  const c = fs();
  // Tests may run as root, which ignores file modes; sysfs refuses to create files for anyone.
  const err = await rejectsWith(
    c.writeFile(`/sys/kube-exec-test-${randomBytes(4).toString('hex')}`, Buffer.from('x'), { create: true, overwrite: false }),
    'NoPermissions',
    /permission denied for the container's user/,
  );
  assert.match(err.message, /Cannot write \/sys\/kube-exec-test-/);
  await rejectsWith(c.createDirectory(`/sys/kube-exec-test-${randomBytes(4).toString('hex')}`), 'NoPermissions');
});

test('an upload that stops short leaves the target untouched', async () => {
  const c = fs();
  const dir = await workDir();
  await writeFile(join(dir, 'keep.txt'), 'original');
  await rejectsWith(
    c.writeStream(join(dir, 'keep.txt'), 1000, [Buffer.from('only a part')], { create: true, overwrite: true }),
    'Incomplete',
    /file was left unchanged/,
  );
  assert.equal(await readFile(join(dir, 'keep.txt'), 'utf8'), 'original');
  assert.deepEqual(await readdir(dir), ['keep.txt']);
});

test('a dropped connection during an upload leaves the target untouched', { timeout: 30_000 }, async () => {
  const c = fs();
  const dir = await workDir();
  await writeFile(join(dir, 'keep.bin'), 'original');
  const size = 16 * MiB;
  async function* halfThenDrop(): AsyncGenerator<Uint8Array> {
    let sent = 0;
    for (const chunk of generated(size)) {
      yield chunk;
      sent += chunk.length;
      if (sent >= size / 2) {
        sim.faults.dropConnections();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
  await rejectsWith(c.writeStream(join(dir, 'keep.bin'), size, halfThenDrop(), { create: true, overwrite: true }), 'Unavailable');
  // The remote script sees stdin end early, finds the size wrong and removes its temporary file.
  for (let i = 0; i < 100 && sim.execProcesses().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(await readFile(join(dir, 'keep.bin'), 'utf8'), 'original');
  assert.deepEqual(await readdir(dir), ['keep.bin']);
});

test('writes end without stdin EOF on servers older than the v5 protocol', async () => {
  const c = fs('web-0', 'app', 'default', { protocols: ['v4.channel.k8s.io'] });
  const dir = await workDir();
  const bytes = randomBytes(300_000);
  await c.writeFile(join(dir, 'v4.bin'), bytes, { create: true, overwrite: false });
  assert.deepEqual(await readFile(join(dir, 'v4.bin')), bytes);
  assert.deepEqual(Buffer.from(await c.readFile(join(dir, 'v4.bin'))), bytes);
});

test('files and folders are copied between containers as streams', async () => {
  const from = fs('web-0');
  const to = fs('multi-0', 'sidecar');
  const dir = await workDir();
  const bytes = randomBytes(3 * MiB + 17);
  await writeFile(join(dir, 'src.bin'), bytes);
  await mkdir(join(dir, 'tree', 'deep'), { recursive: true });
  await writeFile(join(dir, 'tree', 'deep', 'a b.txt'), 'deep file');

  await copyBetween(from, join(dir, 'src.bin'), to, join(dir, 'dst.bin'), { overwrite: false });
  assert.deepEqual(await readFile(join(dir, 'dst.bin')), bytes);
  await copyBetween(from, join(dir, 'tree'), to, join(dir, 'tree copy'), { overwrite: false });
  assert.equal(await readFile(join(dir, 'tree copy', 'deep', 'a b.txt'), 'utf8'), 'deep file');

  await rejectsWith(copyBetween(from, join(dir, 'src.bin'), to, join(dir, 'dst.bin'), { overwrite: false }), 'FileExists');
  await rejectsWith(copyBetween(from, join(dir, 'missing'), to, join(dir, 'x'), { overwrite: false }), 'FileNotFound');
});

test('a container without a shell points to a debug container', async () => {
  const err = await rejectsWith(fs('distroless-0').stat('/'), 'ToolMissing');
  assert.equal(err.tool, 'sh');
  assert.match(err.message, /distroless-0\/app/);
  assert.match(err.message, /Debug Container/);
  assert.match(err.message, /\/proc\/1\/root/);
});

test('a pod that does not exist is reported with the API server message', async () => {
  await rejectsWith(fs('no-such-pod').stat('/'), 'Unavailable', /pods "no-such-pod" not found/);
});
