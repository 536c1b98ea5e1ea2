// `kube-exec exec` writing 256 MiB into a pipe whose reader lags: the CLI's memory must stay
// bounded (the session socket is paused while stdout is backed up).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';

const TOTAL = 256 * 1024 * 1024;
const root = fileURLToPath(new URL('../../', import.meta.url));
let sim: Kubesim;
let dir: string;
let cli: string;
let running: { kill(signal: NodeJS.Signals): boolean } | undefined;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-memory-'));
  cli = join(dir, 'cli.js');
  // Built as `npm run build` builds it, into a directory of the test's own.
  const build = promisify(execFile)(process.execPath, [join(root, 'scripts', 'build.mjs'), '--outdir', dir], { cwd: root });
  [sim] = await Promise.all([startKubesim(), build]);
});

after(async () => {
  running?.kill('SIGKILL');
  await sim?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function rssOf(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

test('256 MiB into a slow pipe: RSS stays bounded, every byte arrives', { timeout: 180_000 }, async () => {
  const child = spawn(process.execPath, [cli, 'exec', '--kubeconfig', sim.kubeconfigPath, 'web-0', '--', 'head', '-c', String(TOTAL), '/dev/zero'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running = child;
  let peak = 0;
  let stalledPeak = 0;
  const sampler = setInterval(() => void rssOf(child.pid!).then((rss) => (peak = Math.max(peak, rss))), 25);
  // Read nothing for three seconds: what the CLI cannot write must wait in the cluster, not in
  // the CLI (which starts at about 60 MiB; unpaused, it would take in all the cluster sends).
  child.stdout.pause();
  await new Promise((r) => setTimeout(r, 3000));
  stalledPeak = peak;
  let bytes = 0;
  let sinceNap = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    sinceNap += chunk.length;
    if (sinceNap >= 32 * 1024 * 1024) {
      sinceNap = 0;
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 50);
    }
  });
  child.stdout.resume();
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(sampler);
  assert.equal(code, 0, stderr);
  assert.equal(bytes, TOTAL);
  const MiB = 1024 * 1024;
  assert.ok(stalledPeak < 96 * MiB, `RSS ${(stalledPeak / MiB).toFixed(0)} MiB while the reader stalled`);
  assert.ok(peak < 160 * MiB, `peak RSS ${(peak / MiB).toFixed(0)} MiB for 256 MiB of output`);
});
