// Events, proven by the real kubectl (v1.32) against kubesim (issue 11, item 8): `kubectl describe
// pod` lists a pod's events from core/v1 `events` (fieldSelector involvedObject.name, namespace and
// uid), so a running pod shows how it was scheduled and started, a crash-looping one its back-off
// and a pod whose image cannot be pulled why it will not start. `kubectl get events` with a field
// selector the event registry converts, `-w` for new events, and what a debug container and a
// deletion record. Wording is the scheduler's and kubelet 1.32's.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';
import { kubectlEnv, runKubectl, startKubectl, type KubectlResult } from '../support/kubectl.ts';

const T = { timeout: 60_000 };

type Result = KubectlResult;

interface EventItem {
  type: string;
  reason: string;
  message: string;
  count?: number;
  source: { component?: string; host?: string };
  reportingComponent: string;
  involvedObject: { kind: string; name: string; namespace: string; uid: string; fieldPath?: string };
}

describe('events through kubectl', () => {
  let sim: Kubesim;
  let home: string;

  const env = () => kubectlEnv(sim.kubeconfigPath, home);
  const kubectl = (args: string[], timeoutMs?: number): Promise<Result> => runKubectl(args, env(), timeoutMs);

  async function ok(args: string[]): Promise<string> {
    const r = await kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  /** Events in every namespace (kubectl's -A: /api/v1/events) matching a field selector. */
  async function events(selector: string): Promise<EventItem[]> {
    return (JSON.parse(await ok(['get', 'events', '-A', '--field-selector', selector, '-o', 'json'])) as { items: EventItem[] }).items;
  }

  /** The rows of `kubectl describe`'s Events table: type, reason, age, from, message. */
  function eventRows(describeOutput: string): string[][] {
    const table = describeOutput.split('\nEvents:\n')[1] ?? '';
    return table.split('\n').slice(2).filter((l) => l.trim()).map((l) => l.trim().split(/\s{2,}/));
  }

  before(async () => {
    sim = await startKubesim();
    home = await mkdtemp(join(tmpdir(), 'kubesim-events-home-'));
  });

  after(async () => {
    await sim?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  test('describe pod web-0: how it was scheduled and started', T, async () => {
    const rows = eventRows(await ok(['describe', 'pod', 'web-0']));
    const node = (await ok(['get', 'pod', 'web-0', '-o', 'jsonpath={.spec.nodeName}'])).trim();
    assert.deepEqual(rows.map((r) => [r[0], r[1], r[3]]), [
      ['Normal', 'Scheduled', 'default-scheduler'],
      ['Normal', 'Pulling', 'kubelet'],
      ['Normal', 'Pulled', 'kubelet'],
      ['Normal', 'Created', 'kubelet'],
      ['Normal', 'Started', 'kubelet'],
    ]);
    assert.equal(rows[0]![4], `Successfully assigned default/web-0 to ${node}`);
    assert.equal(rows[1]![4], 'Pulling image "kubesim/bash"');
    assert.match(rows[2]![4]!, /^Successfully pulled image "kubesim\/bash" in [\d.]+m?s \([\d.]+m?s including waiting\)\. Image size: \d+ bytes\.$/);
    assert.equal(rows[3]![4], 'Created container: app');
    assert.equal(rows[4]![4], 'Started container app');
    // The pod is two days old (its containers started two seconds after it was created).
    assert.equal(rows[0]![2], '2d');
    assert.match(rows[4]![2]!, /^(47h|2d)$/);
  });

  test('describe pod crashloop-0: restarts and the back-off', T, async () => {
    const uid = (await ok(['get', 'pod', 'crashloop-0', '-o', 'jsonpath={.metadata.uid}'])).trim();
    const rows = eventRows(await ok(['describe', 'pod', 'crashloop-0']));
    const backOff = rows.find((r) => r[1] === 'BackOff');
    assert.ok(backOff, JSON.stringify(rows));
    assert.equal(backOff[0], 'Warning');
    assert.match(backOff[2]!, /^\d+s \(x\d+ over 1\dm\)$/);
    assert.equal(backOff[4], `Back-off restarting failed container app in pod crashloop-0_default(${uid})`);
    // Six starts: the first and five restarts, folded into one event each.
    assert.match(rows.find((r) => r[1] === 'Started')![2]!, /\(x6 over 1\dm\)$/);
  });

  test('a pod whose image cannot be pulled: describe says why', T, async () => {
    await ok(['run', 'bad', '--image=nope/nope:1']);
    await ok(['wait', '--for=jsonpath={.status.containerStatuses[0].state.waiting.reason}=ImagePullBackOff', 'pod/bad', '--timeout=20s']);
    const rows = eventRows(await ok(['describe', 'pod', 'bad']));
    assert.deepEqual(rows.map((r) => [r[0], r[1], r[4]]), [
      ['Normal', 'Scheduled', `Successfully assigned default/bad to ${(await ok(['get', 'pod', 'bad', '-o', 'jsonpath={.spec.nodeName}'])).trim()}`],
      ['Normal', 'Pulling', 'Pulling image "nope/nope:1"'],
      ['Warning', 'Failed', 'Failed to pull image "nope/nope:1": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/nope/nope:1": failed to resolve reference "docker.io/nope/nope:1": docker.io/nope/nope:1: not found'],
      ['Warning', 'Failed', 'Error: ErrImagePull'],
      ['Normal', 'BackOff', 'Back-off pulling image "nope/nope:1"'],
      ['Warning', 'Failed', 'Error: ImagePullBackOff'],
    ]);
  });

  test('get events --field-selector: only what matches, with the registry\'s field labels', T, async () => {
    const table = await ok(['get', 'events', '--field-selector', 'involvedObject.name=web-0']);
    const lines = table.trim().split('\n');
    assert.match(lines[0]!, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    assert.equal(lines.length, 6);
    // web-0 is two days old and its containers started 2 s after it was created: within 2 s of
    // kubesim's start these events are 47h59m58s old, which kubectl shows as 47h.
    for (const line of lines.slice(1)) assert.match(line, /^(?:2d|47h)\s+Normal\s+\w+\s+pod\/web-0\s+/);

    const started = await events('involvedObject.kind=Pod,involvedObject.name=web-0,reason=Started,source=kubelet');
    assert.equal(started.length, 1);
    assert.deepEqual([started[0]!.message, started[0]!.involvedObject.fieldPath, started[0]!.count, started[0]!.source.component, started[0]!.reportingComponent],
      ['Started container app', 'spec.containers{app}', 1, 'kubelet', 'kubelet']);
    // The scheduler's events come through events.k8s.io: no source, only a reporting controller.
    const scheduled = await events('reason=Scheduled,reportingComponent=default-scheduler,involvedObject.namespace=demo');
    assert.deepEqual(scheduled.map((e) => e.involvedObject.name).sort(), ['api-0', 'api-1', 'logger-0', 'node-0']);
    assert.ok(scheduled.every((e) => e.source.component === undefined && e.count === undefined));
    for (const e of await events('type=Warning')) assert.equal(e.type, 'Warning');
    assert.ok((await events('type!=Normal,involvedObject.name=crashloop-0')).some((e) => e.reason === 'BackOff'));

    const bad = await kubectl(['get', 'events', '--field-selector', 'spec.nodeName=x']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /field label not supported: spec\.nodeName/);
  });

  test('get events -w: a new pod\'s events arrive as they are recorded; deleting it records Killing', T, async () => {
    const watch = startKubectl(['get', 'events', '-w'], env());
    const seen = watch.seen;
    try {
      await seen(/pod\/web-0\s+Started container app/);
      await ok(['run', 'watched', '--image=kubesim/busybox', '--', 'sleep', '1000']);
      await seen(/Normal\s+Scheduled\s+pod\/watched\s+Successfully assigned default\/watched to /);
      await seen(/Normal\s+Started\s+pod\/watched\s+Started container watched/);
      await ok(['delete', 'pod', 'watched', '--wait=false']);
      await seen(/Normal\s+Killing\s+pod\/watched\s+Stopping container watched/);
    } finally {
      watch.stop();
    }
  });

  test('a debug container is pulled, created and started', T, async () => {
    await ok(['debug', 'busybox-0', '--image=kubesim/busybox', '--container=dbg', '--', 'sleep', '1000']);
    await ok(['wait', '--for=jsonpath={.status.ephemeralContainerStatuses[0].state.running}', 'pod/busybox-0', '--timeout=20s']);
    const found = await events('involvedObject.name=busybox-0,involvedObject.fieldPath=spec.ephemeralContainers{dbg}');
    assert.deepEqual(found.map((e) => e.reason), ['Pulling', 'Pulled', 'Created', 'Started']);
    assert.equal(found[3]!.message, 'Started container dbg');
  });
});
