// 256 MiB of output through a slow reader: the client's memory must stay bounded, because the
// socket is paused while the reader lags (measured in a child process, so only the client counts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';

const TOTAL = 256 * 1024 * 1024;
const sessionModule = fileURLToPath(new URL('../../src/kube/exec/session.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

// The child: open the session, stall for 1.5 s without reading (the socket must pause), then
// read with pauses, sampling RSS all along.
const CHILD = `
const { ExecSession } = await import(${JSON.stringify(sessionModule)});
const { KubeConfig } = await import('@kubernetes/client-node');
const { Writable } = await import('node:stream');
const kc = new KubeConfig();
kc.loadFromFile(process.env.KUBECONFIG_PATH);
const session = ExecSession.start(kc, { namespace: 'default', pod: 'web-0', command: ['head', '-c', process.env.TOTAL, '/dev/zero'] });
await session.protocol;
if (global.gc) global.gc();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
await new Promise((r) => setTimeout(r, 1500));
const stalled = Math.max(peak, process.memoryUsage().rss);
let bytes = 0;
let sinceNap = 0;
session.stderr.resume();
const sink = new Writable({
  highWaterMark: 64 * 1024,
  write(chunk, _enc, cb) {
    bytes += chunk.length;
    sinceNap += chunk.length;
    if (sinceNap >= 16 * 1024 * 1024) { sinceNap = 0; setTimeout(cb, 30); } else setImmediate(cb);
  },
});
const finished = new Promise((r) => sink.on('finish', r));
session.stdout.pipe(sink);
const result = await session.result;
await finished;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
console.log(JSON.stringify({ bytes, baseline, stalled, peak, result }));
`;

let sim: Kubesim;

before(async () => {
  sim = await startKubesim();
});

after(async () => {
  await sim.stop();
});

test('256 MiB through a slow reader keeps the client RSS bounded', { timeout: 120_000 }, async () => {
  const output = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--input-type=module', '-e', CHILD],
      { cwd: root, env: { ...process.env, KUBECONFIG_PATH: sim.kubeconfigPath, TOTAL: String(TOTAL) }, timeout: 110_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
  const report = JSON.parse(output) as { bytes: number; baseline: number; stalled: number; peak: number; result: unknown };
  assert.deepEqual(report.result, { kind: 'exit', code: 0 });
  assert.equal(report.bytes, TOTAL);
  const MiB = 1024 * 1024;
  const stalledMiB = (report.stalled - report.baseline) / MiB;
  const grewMiB = (report.peak - report.baseline) / MiB;
  // While nobody reads, only the high-water mark and socket buffers may fill.
  assert.ok(stalledMiB < 16, `RSS grew by ${stalledMiB.toFixed(1)} MiB while the reader stalled`);
  // Reading: garbage from 256 MiB of buffers comes and goes, but nothing accumulates.
  assert.ok(grewMiB < 100, `RSS grew by ${grewMiB.toFixed(1)} MiB while 256 MiB passed through`);
  assert.deepEqual(sim.execProcesses(), []);
});
