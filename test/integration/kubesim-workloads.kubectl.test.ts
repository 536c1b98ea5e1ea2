// apps/v1 and batch/v1 workloads, proven by the real kubectl (v1.32) against kubesim (issue 11,
// item 8): discovery, `get` with the API server's Table columns, `-o json` ownerReferences from a
// pod to its ReplicaSet to its Deployment, `get -w` seeing a Deployment's status follow its pods,
// `describe` with the ReplicaSets and the controllers' events, `rollout status`, `exec`/`logs`
// on `deploy/NAME` (kubectl reads the Deployment's selector, then lists pods by it), and `scale`
// through the Deployment and ReplicaSet controllers.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';
import { kubectlEnv, runKubectl, startKubectl, type KubectlResult } from '../support/kubectl.ts';

const T = { timeout: 60_000 };

interface Meta {
  name: string;
  namespace: string;
  uid: string;
  labels?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }>;
}

describe('apps/v1 and batch/v1 through kubectl', () => {
  let sim: Kubesim;
  let home: string;

  const env = () => kubectlEnv(sim.kubeconfigPath, home);
  const kubectl = (args: string[], timeoutMs?: number): Promise<KubectlResult> => runKubectl(args, env(), timeoutMs);

  async function ok(args: string[]): Promise<string> {
    const r = await kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  async function json<T>(args: string[]): Promise<T> {
    return JSON.parse(await ok([...args, '-o', 'json'])) as T;
  }

  /** Rows of a table kubectl printed, split on its column gaps. */
  const rows = (out: string) => out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));

  before(async () => {
    sim = await startKubesim();
    home = await mkdtemp(join(tmpdir(), 'kubesim-workloads-home-'));
  });

  after(async () => {
    await sim?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  test('api-resources lists apps/v1 and batch/v1 read-only, with their short names', T, async () => {
    const out = await ok(['api-resources', '--api-group=apps', '-o', 'wide']);
    assert.match(out, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment\s+get,list,watch\s+all$/m);
    assert.match(out, /^statefulsets\s+sts\s+apps\/v1\s+true\s+StatefulSet\s+get,list,watch\s+all$/m);
    assert.match(out, /^replicasets\s+rs\s+apps\/v1/m);
    assert.match(out, /^daemonsets\s+ds\s+apps\/v1/m);
    assert.match(await ok(['api-resources', '--api-group=batch']), /^jobs\s+batch\/v1\s+true\s+Job$/m);
    // Writes are refused as a server that does not serve them refuses them (no patch verb).
    const refused = await kubectl(['rollout', 'restart', 'deployment/shop', '-n', 'apps']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /patch is not supported on resources of kind "deployments"/);
  });

  test('get: the API server\'s columns for each kind', T, async () => {
    assert.deepEqual(rows(await ok(['get', 'deployments', '-n', 'apps'])).map((r) => r.slice(0, 4)), [
      ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE'], ['shop', '2/2', '2', '2'],
    ]);
    const rs = rows(await ok(['get', 'rs', '-n', 'apps', '-o', 'wide']));
    assert.deepEqual(rs[0], ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    assert.match(rs[1]![0]!, /^shop-[bcdfghjklmnpqrstvwxz2456789]{10}$/);
    assert.deepEqual(rs[1]!.slice(1, 4), ['2', '2', '2']);
    assert.equal(rs[1]![7], `app=shop,pod-template-hash=${rs[1]![0]!.slice(5)}`);
    assert.deepEqual(rows(await ok(['get', 'statefulsets', '-A'])).map((r) => r.slice(0, 3)), [
      ['NAMESPACE', 'NAME', 'READY'], ['default', 'web', '1/1'], ['demo', 'api', '2/2'],
    ]);
    assert.deepEqual(rows(await ok(['get', 'ds', '-n', 'apps'])).map((r) => r.slice(0, 7)), [
      ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR'],
      ['agent', '3', '3', '3', '3', '3', 'kubernetes.io/os=linux'],
    ]);
    assert.deepEqual(rows(await ok(['get', 'jobs', '-n', 'apps'])).map((r) => r.slice(0, 4)), [
      ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION'], ['report', 'Complete', '1/1', '9s'],
    ]);
    const missing = await kubectl(['get', 'deployment', 'nope', '-n', 'apps']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Error from server \(NotFound\): deployments\.apps "nope" not found/);
  });

  test('-o json: pod -> ReplicaSet -> Deployment through controller ownerReferences', T, async () => {
    const pods = await json<{ items: Array<{ metadata: Meta }> }>(['get', 'pods', '-n', 'apps', '-l', 'app=shop']);
    assert.equal(pods.items.length, 2);
    const rsName = pods.items[0]!.metadata.ownerReferences![0]!.name;
    const rs = await json<{ metadata: Meta; apiVersion: string }>(['get', 'rs', rsName, '-n', 'apps']);
    const deploy = await json<{ metadata: Meta }>(['get', 'deployment', 'shop', '-n', 'apps']);
    for (const p of pods.items) {
      assert.match(p.metadata.name, new RegExp(`^${rsName}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsName, uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      assert.equal(p.metadata.labels!['pod-template-hash'], rsName.slice('shop-'.length));
    }
    assert.equal(rs.apiVersion, 'apps/v1');
    assert.deepEqual(rs.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'shop', uid: deploy.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    const web0 = await json<{ metadata: Meta }>(['get', 'pod', 'web-0']);
    assert.equal(web0.metadata.ownerReferences![0]!.kind, 'StatefulSet');
    assert.equal(web0.metadata.ownerReferences![0]!.name, 'web');
    const job = await json<{ metadata: Meta }>(['get', 'job', 'report', '-n', 'apps']);
    const jobPods = await json<{ items: Array<{ metadata: Meta; status: { phase: string } }> }>(['get', 'pods', '-n', 'apps', '-l', 'job-name=report']);
    assert.deepEqual(jobPods.items.map((p) => [p.status.phase, p.metadata.ownerReferences![0]!.uid]), [['Succeeded', job.metadata.uid]]);
  });

  test('rollout status: a Deployment, a StatefulSet and a DaemonSet that have rolled out', T, async () => {
    assert.equal(await ok(['rollout', 'status', 'deployment/shop', '-n', 'apps', '--timeout=10s']), 'deployment "shop" successfully rolled out\n');
    assert.equal(await ok(['rollout', 'status', 'statefulset/web', '--timeout=10s']), 'partitioned roll out complete: 1 new pods have been updated...\n');
    assert.equal(await ok(['rollout', 'status', 'ds/agent', '-n', 'apps', '--timeout=10s']), 'daemon set "agent" successfully rolled out\n');
  });

  test('describe: a Deployment\'s ReplicaSet and events, a StatefulSet\'s pods, a Job\'s completion', T, async () => {
    const rsName = (await ok(['get', 'rs', '-n', 'apps', '-o', 'name'])).trim().slice('replicaset.apps/'.length);
    const d = await ok(['describe', 'deployment/shop', '-n', 'apps']);
    assert.match(d, /^Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable$/m);
    assert.match(d, /^\s+Available\s+True\s+MinimumReplicasAvailable$/m);
    assert.match(d, /^\s+Progressing\s+True\s+NewReplicaSetAvailable$/m);
    assert.match(d, new RegExp(`^NewReplicaSet:\\s+${rsName} \\(2/2 replicas created\\)$`, 'm'));
    assert.match(d, new RegExp(`Normal\\s+ScalingReplicaSet\\s+3d\\s+deployment-controller\\s+Scaled up replica set ${rsName} from 0 to 2`));
    const s = await ok(['describe', 'statefulset', 'api', '-n', 'demo']);
    assert.match(s, /^Pods Status:\s+2 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed$/m);
    assert.match(s, /statefulset-controller\s+create Pod api-0 in StatefulSet api successful/);
    const j = await ok(['describe', 'job', 'report', '-n', 'apps']);
    assert.match(j, /^Pods Statuses:\s+0 Active \(0 Ready\) \/ 1 Succeeded \/ 0 Failed$/m);
    assert.match(j, /job-controller\s+Job completed/);
  });

  test('exec and logs on deploy/shop reach one of its pods', T, async () => {
    const exec = await kubectl(['exec', 'deploy/shop', '-n', 'apps', '--', 'echo', 'ok']);
    assert.equal(exec.code, 0, exec.stderr);
    assert.equal(exec.stdout, 'ok\n');
    const logs = await kubectl(['logs', 'deploy/shop', '-n', 'apps']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout, 'shop serving on :8080\n');
    assert.match(logs.stderr, /^Found 2 pods, using pod\/shop-/);
  });

  test('get -w: a Deployment\'s status follows its pods\' readiness', T, async () => {
    const pod = (await ok(['get', 'pods', '-n', 'apps', '-l', 'app=shop', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    // A list, not `get deployment shop`: kubectl watches a list from the list's resourceVersion, so a
    // change made once the list is printed always arrives (for a single object it watches from "0"
    // and drops the first event, which may already carry the change).
    const watch = startKubectl(['get', 'deployments', '-n', 'apps', '-l', 'app=shop', '-w'], env());
    const seen = watch.seen;
    const setReady = (ready: boolean) => sim.updatePod('apps', pod, (p) => {
      for (const c of p.status.conditions ?? []) if (c['type'] === 'Ready' || c['type'] === 'ContainersReady') c['status'] = ready ? 'True' : 'False';
      for (const s of p.status.containerStatuses ?? []) s.ready = ready;
    });
    try {
      await seen(/^shop\s+2\/2\s+2\s+2\s/m);
      // The kubelet's readiness probe fails: the ReplicaSet and the Deployment count one fewer ready.
      setReady(false);
      await seen(/^shop\s+1\/2\s+2\s+1\s/m);
      const conditions = (await json<{ status: { conditions: Array<{ type: string; status: string; reason: string }> } }>(['get', 'deployment', 'shop', '-n', 'apps'])).status.conditions;
      assert.deepEqual(conditions.map((c) => [c.type, c.status, c.reason]), [['Available', 'False', 'MinimumReplicasUnavailable'], ['Progressing', 'True', 'NewReplicaSetAvailable']]);
      setReady(true);
      await seen(/^shop\s+1\/2[^]*^shop\s+2\/2\s+2\s+2\s/m);
    } finally {
      watch.stop();
    }
    assert.match(await ok(['rollout', 'status', 'deployment/shop', '-n', 'apps', '--timeout=10s']), /successfully rolled out/);
  });

  // Last: it changes how many pods shop has, and puts it back.
  test('scale: the controllers create a pod (a pod watch sees it start), then delete one', T, async () => {
    const watch = startKubectl(['get', 'pods', '-n', 'apps', '-l', 'app=shop', '-w', '--output-watch-events'], env());
    const seen = watch.seen;
    try {
      const before = (await ok(['get', 'pods', '-n', 'apps', '-l', 'app=shop', '-o', 'name'])).trim().split('\n');
      await seen(/^ADDED\s+shop-\S+\s+1\/1\s+Running[^]*^ADDED\s+shop-\S+\s+1\/1\s+Running/m);
      assert.equal(await ok(['scale', 'deployment/shop', '-n', 'apps', '--replicas=3']), 'deployment.apps/shop scaled\n');
      const [, added] = await seen(/^ADDED\s+(shop-[a-z0-9]{10}-[a-z0-9]{5})\s+0\/1\s+Pending/m);
      assert.ok(!before.includes(`pod/${added}`));
      await seen(new RegExp(`^MODIFIED\\s+${added}\\s+1/1\\s+Running`, 'm'));
      assert.equal(await ok(['rollout', 'status', 'deployment/shop', '-n', 'apps', '--timeout=20s']), 'deployment "shop" successfully rolled out\n');
      assert.deepEqual(rows(await ok(['get', 'deployment', 'shop', '-n', 'apps'])).map((r) => r.slice(0, 4)), [['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE'], ['shop', '3/3', '3', '3']]);
      const d = await ok(['describe', 'deployment', 'shop', '-n', 'apps']);
      assert.match(d, /deployment-controller\s+Scaled up replica set shop-\S+ from 2 to 3/);
      const createdBy = await ok(['get', 'events', '-n', 'apps', '--field-selector', `reason=SuccessfulCreate,involvedObject.kind=ReplicaSet`, '-o', 'jsonpath={.items[*].message}']);
      assert.match(createdBy, new RegExp(`Created pod: ${added}`));

      await ok(['scale', 'deployment/shop', '-n', 'apps', '--replicas=2']);
      // The newest pod goes first.
      await seen(new RegExp(`^DELETED\\s+${added}\\s`, 'm'));
      assert.equal(await ok(['rollout', 'status', 'deployment/shop', '-n', 'apps', '--timeout=20s']), 'deployment "shop" successfully rolled out\n');
      const bad = await kubectl(['patch', 'deployment/shop', '-n', 'apps', '--subresource=scale', '--type=merge', '-p', '{"spec":{"replicas":-1}}']);
      assert.equal(bad.code, 1);
      // kubectl words a 422 from its details: kind, name, then each cause.
      assert.match(bad.stderr, /^The Scale "shop" is invalid: spec\.replicas: Invalid value: -1: must be greater than or equal to 0$/m);
    } finally {
      watch.stop();
    }
  });
});
