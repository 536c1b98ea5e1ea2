// Saved commands on kubesim: targets found by namespace and label selector, a fan-out over 50
// pods with each pod's own exit code, the concurrency bound, cancel, and nothing left running.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';
import { ClusterClient } from '../../src/kube/cluster.ts';
import { parseDefinitions, type SavedCommand } from '../../src/kube/savedCommands/definitions.ts';
import { findTargets } from '../../src/kube/savedCommands/targets.ts';
import { execStarter, prepareJobs } from '../../src/kube/savedCommands/jobs.ts';
import { countOutcomes, runFanOut } from '../../src/kube/savedCommands/fanOut.ts';

let sim: Kubesim;
let kc: KubeConfig;
let client: ClusterClient;

before(async () => {
  sim = await startKubesim({ pods: 50, bulkNamespaces: 2 });
  kc = new KubeConfig();
  kc.loadFromFile(sim.kubeconfigPath);
  client = new ClusterClient(kc);
});

after(async () => {
  client?.dispose();
  await sim?.stop();
});

const origin = { label: 'test', fromWorkspace: false };

function define(entry: Record<string, unknown>): SavedCommand {
  const { commands, problems } = parseDefinitions([entry], origin);
  assert.deepEqual(problems, []);
  return commands[0];
}

const start = () => execStarter({ kubeConfig: () => kc, keepaliveIntervalMs: 0 });

/** Samples how many exec processes kubesim has running until stopped; returns the highest count. */
function sampleProcesses(): { stop(): number } {
  let max = 0;
  const timer = setInterval(() => (max = Math.max(max, sim.execProcesses().length)), 5);
  return {
    stop() {
      clearInterval(timer);
      return max;
    },
  };
}

async function waitUntil(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('fan-out over 50 pods: each pod runs with its own values and reports its own exit code, never more than `concurrency` at once', async () => {
  const cmd = define({
    name: 'exit by index',
    // Each pod exits with its index mod 7, so a mix-up between pods would show.
    command: 'n=${pod}; n=${n#bulk-}; echo "in ${namespace}/${pod} container ${container} node ${node} ctx ${context}"; sleep 0.2; exit $((n % 7))',
    namespaces: 'bulk-*',
    labelSelector: 'app=bulk',
  });
  const { targets, skipped } = await findTargets(client, cmd, { context: 'kubesim' });
  assert.equal(targets.length, 50);
  assert.deepEqual(skipped, []);
  const { jobs } = prepareJobs(cmd, targets, new Map());

  let open = 0;
  let maxOpen = 0;
  const sampler = sampleProcesses();
  const report = await runFanOut(jobs, start(), {
    concurrency: 8,
    onStart: () => (maxOpen = Math.max(maxOpen, ++open)),
    onResult: () => open--,
  });
  const maxProcesses = sampler.stop();

  assert.equal(maxOpen, 8, 'the runner kept 8 sessions open');
  assert.ok(maxProcesses <= 8, `kubesim saw ${maxProcesses} processes at once`);
  assert.ok(maxProcesses >= 2, `the pods ran side by side (max ${maxProcesses})`);
  assert.equal(report.results.length, 50);
  for (const r of report.results) {
    const index = Number(r.target.pod.replace('bulk-', ''));
    assert.equal(r.outcome, 'exit', `${r.target.pod}: ${r.message}`);
    assert.equal(r.exitCode, index % 7, r.target.pod);
    assert.equal(r.output.text, `in ${r.target.namespace}/${r.target.pod} container app node ${r.target.node} ctx kubesim\n`);
    assert.ok(r.durationMs >= 150, `${r.target.pod} took ${r.durationMs} ms`);
  }
  const expectedFailures = Array.from({ length: 50 }, (_, i) => i).filter((i) => i % 7 !== 0).length;
  assert.deepEqual(countOutcomes(report.results), { succeeded: 50 - expectedFailures, failed: expectedFailures, cancelled: 0, skipped: 0 });
  await waitUntil(() => sim.execProcesses().length === 0, 'no exec process left');
});

/** Host processes whose command line is exactly `argv` (kubesim's containers are host processes). */
async function processesRunning(argv: string[]): Promise<number> {
  const wanted = `${argv.join('\0')}\0`;
  let count = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline === wanted) count++;
  }
  return count;
}

test('cancel: what has not started never starts, what runs is ended in the container, pipelines too', async () => {
  // A pipeline: the shell's children must end too, not only the process exec started.
  const cmd = define({ name: 'long', command: 'sleep 31.5 | cat; echo never', namespaces: ['bulk-0'] });
  const { targets } = await findTargets(client, cmd, { context: 'kubesim' });
  assert.equal(targets.length, 25);
  const { jobs } = prepareJobs(cmd, targets, new Map());
  const controller = new AbortController();
  let started = 0;
  const running = runFanOut(jobs, start(), { concurrency: 5, signal: controller.signal, onStart: () => started++ });

  await waitUntil(() => sim.execProcesses().length === 5, 'five sleeps running');
  for (let tries = 0; (await processesRunning(['sleep', '31.5'])) < 5; tries++) {
    assert.ok(tries < 250, 'five sleep processes to start');
    await new Promise((r) => setTimeout(r, 20));
  }
  const t0 = performance.now();
  controller.abort();
  const report = await running;
  assert.ok(performance.now() - t0 < 5000, 'cancel took effect at once');
  assert.equal(started, 5);
  assert.equal(report.cancelled, true);
  assert.deepEqual(countOutcomes(report.results), { succeeded: 0, failed: 0, cancelled: 5, skipped: 20 });
  assert.ok(report.results.slice(5).every((r) => r.outcome === 'skipped' && /cancelled/.test(r.message!)));
  await waitUntil(() => sim.execProcesses().length === 0, 'the sleeps to be killed');
  const deadline = Date.now() + 5000;
  while ((await processesRunning(['sleep', '31.5'])) > 0) {
    assert.ok(Date.now() < deadline, 'a sleep of a cancelled pipeline is still running');
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(report.results.every((r) => !r.output.text.includes('never')));
});

test('stop at the first failure and canary first, on real sessions', async () => {
  const cmd = define({ name: 'fail on bulk-3', command: '[ ${pod} != bulk-3 ]', namespaces: ['bulk-1'] });
  const { targets } = await findTargets(client, cmd, { context: 'kubesim' });
  const { jobs } = prepareJobs(cmd, targets, new Map());
  // bulk-1, bulk-11, bulk-13, ..., bulk-3, ...: targets are in name order.
  const stopped = await runFanOut(jobs, start(), { concurrency: 1, stopOnFailure: true });
  const failedAt = stopped.results.findIndex((r) => r.target.pod === 'bulk-3');
  assert.equal(stopped.results[failedAt].exitCode, 1);
  assert.ok(stopped.results.slice(failedAt + 1).every((r) => r.outcome === 'skipped'));

  const canaryCmd = define({ name: 'canary', command: '[ ${pod} != bulk-1 ]', namespaces: ['bulk-1'] });
  const canary = await runFanOut(prepareJobs(canaryCmd, targets, new Map()).jobs, start(), { concurrency: 10, canaryFirst: true });
  assert.equal(canary.results[0].target.pod, 'bulk-1');
  assert.equal(canary.results[0].exitCode, 1);
  assert.equal(countOutcomes(canary.results).skipped, targets.length - 1);
  assert.equal(sim.execProcesses().length, 0);
});

test('an answer with $(...), quotes and ; reaches the container as literal text', async () => {
  const cmd = define({ name: 'echo', command: 'printf "%s|%s" ${input:Say what?} "${pod}"' });
  const target = { context: 'kubesim', namespace: 'default', pod: 'web-0', container: 'app', node: '' };
  const answer = `$(touch ${sim.dir}/pwned); echo 'x' "y"`;
  const report = await runFanOut(prepareJobs(cmd, [target], new Map([['Say what?', answer]])).jobs, start(), { concurrency: 1 });
  assert.equal(report.results[0].exitCode, 0);
  assert.equal(report.results[0].output.text, `${answer}|web-0`);
});
