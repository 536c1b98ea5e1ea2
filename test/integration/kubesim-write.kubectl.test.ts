// Writing pods, proven by the real kubectl (v1.32) against kubesim (issue 11, item 7): `run`,
// `create -f`, `apply -f` (client-side: GET, then POST, or a strategic merge PATCH carrying the
// last-applied annotation), `label`, `annotate`, `patch` (merge and JSON patch), `replace`, and the
// API server's refusals as kubectl prints them: AlreadyExists, Conflict, Invalid (names,
// containers, images; pod spec updates), a namespace that does not exist. `get -w` sees the
// writes as ADDED and MODIFIED. Messages are those of the Kubernetes sources
// (apimachinery api/errors NewAlreadyExists/NewConflict, core/validation ValidatePod*,
// util/validation's RFC 1123 messages) and of a real cluster's kubectl output.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';
import { KUBECTL, kubectlEnv, runKubectl, type KubectlResult } from '../support/kubectl.ts';

const T = { timeout: 60_000 };

type Result = KubectlResult;

const SUBDOMAIN = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

describe('writing pods through kubectl', () => {
  let sim: Kubesim;
  let home: string;

  const env = () => kubectlEnv(sim.kubeconfigPath, home);
  const kubectl = (args: string[], timeoutMs?: number): Promise<Result> => runKubectl(args, env(), timeoutMs);

  async function ok(args: string[]): Promise<string> {
    const r = await kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  async function file(name: string, text: string): Promise<string> {
    const path = join(home, name);
    await writeFile(path, text);
    return path;
  }

  function podYaml(name: string, labels: Record<string, string>, command = ['sleep', '1000'], image = 'kubesim/bash'): string {
    const l = Object.entries(labels).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`).join('\n');
    return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  labels:\n${l}\nspec:\n  containers:\n  - name: main\n    image: ${image}\n    command: ${JSON.stringify(command)}\n`;
  }

  async function labelsOf(pod: string): Promise<Record<string, string>> {
    return JSON.parse(await ok(['get', 'pod', pod, '-o', 'jsonpath={.metadata.labels}'])) as Record<string, string>;
  }

  before(async () => {
    sim = await startKubesim();
    home = await mkdtemp(join(tmpdir(), 'kubesim-write-home-'));
  });

  after(async () => {
    await sim?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  test('kubectl run: the pod is created Pending, scheduled and started; exec and logs reach it', T, async () => {
    assert.match(await ok(['run', 'runner', '--image=kubesim/busybox', '--', 'sh', '-c', 'echo started; sleep 1000']), /^pod\/runner created$/m);
    await ok(['wait', '--for=condition=Ready', 'pod/runner', '--timeout=20s']);
    assert.equal(await ok(['exec', 'runner', '--', 'echo', 'ok']), 'ok\n');
    const pod = JSON.parse(await ok(['get', 'pod', 'runner', '-o', 'json'])) as {
      metadata: { uid: string; creationTimestamp: string; resourceVersion: string; namespace: string; labels: Record<string, string> };
      spec: { nodeName: string; containers: Array<{ args: string[]; imagePullPolicy: string }>; serviceAccountName: string };
      status: { phase: string; podIP: string; containerStatuses: Array<{ ready: boolean; state: Record<string, unknown> }> };
    };
    assert.match(pod.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(pod.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(pod.metadata.namespace, 'default');
    // kubectl run labels the pod run=<name> and puts the words after -- in args.
    assert.deepEqual(pod.metadata.labels, { run: 'runner' });
    assert.deepEqual(pod.spec.containers[0]!.args, ['sh', '-c', 'echo started; sleep 1000']);
    assert.equal(pod.spec.containers[0]!.imagePullPolicy, 'Always');
    assert.equal(pod.spec.serviceAccountName, 'default');
    assert.match(pod.spec.nodeName, /^kubesim-node-\d$/);
    assert.equal(pod.status.phase, 'Running');
    assert.ok(pod.status.containerStatuses[0]!.ready);
    // The container's main process runs, and its output is the pod's log.
    const deadline = Date.now() + 10_000;
    let log = '';
    while (Date.now() < deadline && !log.includes('started')) log = (await kubectl(['logs', 'runner'])).stdout;
    assert.equal(log, 'started\n');
  });

  test('kubectl get pods -w sees a created pod ADDED, then MODIFIED as it starts and is labelled', T, async () => {
    const watch = spawn(KUBECTL, ['get', 'pods', '-w', '--output-watch-events', '--watch-only', '--show-labels', '--no-headers'], { env: env() });
    let out = '';
    watch.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const seen = async (re: RegExp) => {
        const end = Date.now() + 15_000;
        while (!re.test(out)) {
          if (Date.now() > end) throw new Error(`watch showed: ${out}`);
          await new Promise((r) => setTimeout(r, 25));
        }
      };
      // --watch-only shows nothing until something changes: touch a fixture pod until the watch
      // reports it, so the watch is known to be open before the pod under test is created.
      for (let i = 0; !/^MODIFIED\s+web-0/m.test(out); i++) {
        if (i > 200) throw new Error(`watch showed: ${out}`);
        await ok(['label', 'pod', 'web-0', `stage=ping${i}`, '--overwrite']);
        await new Promise((r) => setTimeout(r, 50));
      }
      await ok(['run', 'watched', '--image=kubesim/busybox', '--', 'sleep', '1000']);
      // The columns: EVENT NAME READY STATUS RESTARTS AGE LABELS.
      await seen(/^ADDED\s+watched\s+0\/1\s+Pending\s+0\s+\S+\s+run=watched$/m);
      await seen(/^MODIFIED\s+watched\s+1\/1\s+Running\s+0\s+\S+\s+run=watched$/m);
      await ok(['label', 'pod', 'watched', 'stage=one']);
      await seen(/^MODIFIED\s+watched\s+1\/1\s+Running\s+0\s+\S+\s+run=watched,stage=one$/m);
    } finally {
      watch.kill();
    }
  });

  test('kubectl create -f, and again: AlreadyExists with the API server words', T, async () => {
    const path = await file('created.yaml', podYaml('created', { app: 'created' }));
    assert.match(await ok(['create', '-f', path]), /^pod\/created created$/m);
    const again = await kubectl(['create', '-f', path]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `Error from server (AlreadyExists): error when creating "${path}": pods "created" already exists\n`);
    const r = await kubectl(['run', 'created', '--image=kubesim/busybox']);
    assert.equal(r.stderr, 'Error from server (AlreadyExists): pods "created" already exists\n');
  });

  test('kubectl apply -f creates, then patches a changed label, and leaves an unchanged file unchanged', T, async () => {
    const path = await file('applied.yaml', podYaml('applied', { app: 'applied', tier: 'one' }));
    assert.match(await ok(['apply', '-f', path]), /^pod\/applied created$/m);
    await ok(['wait', '--for=condition=Ready', 'pod/applied', '--timeout=20s']);
    const annotations = JSON.parse(await ok(['get', 'pod', 'applied', '-o', 'jsonpath={.metadata.annotations}'])) as Record<string, string>;
    assert.ok(annotations['kubectl.kubernetes.io/last-applied-configuration']?.includes('"tier":"one"'));
    await writeFile(path, podYaml('applied', { app: 'applied', tier: 'two' }));
    assert.match(await ok(['apply', '-f', path]), /^pod\/applied configured$/m);
    assert.deepEqual(await labelsOf('applied'), { app: 'applied', tier: 'two' });
    // A label dropped from the file is removed (the three-way merge against last-applied).
    await writeFile(path, podYaml('applied', { app: 'applied' }));
    assert.match(await ok(['apply', '-f', path]), /^pod\/applied configured$/m);
    assert.deepEqual(await labelsOf('applied'), { app: 'applied' });
    assert.match(await ok(['apply', '-f', path]), /^pod\/applied unchanged$/m);
    // Still the same pod, still running.
    assert.equal(await ok(['exec', 'applied', '--', 'echo', 'ok']), 'ok\n');
  });

  test('kubectl apply with a changed command: the API server refuses pod spec updates', T, async () => {
    const path = await file('frozen.yaml', podYaml('frozen', { app: 'frozen' }));
    await ok(['apply', '-f', path]);
    await writeFile(path, podYaml('frozen', { app: 'frozen' }, ['sleep', '2000']));
    const r = await kubectl(['apply', '-f', path]);
    assert.equal(r.code, 1);
    // ValidatePodUpdate's message, then a diff of the spec (kubesim's is a summary of cmp.Diff).
    assert.ok(r.stderr.startsWith('The Pod "frozen" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n  core.PodSpec{\n'), r.stderr);
    assert.match(r.stderr, /^- \tContainers: .*"1000"/m);
    assert.match(r.stderr, /^\+ \tContainers: .*"2000"/m);
    // An image is one of the fields that may change.
    await writeFile(path, podYaml('frozen', { app: 'frozen' }, ['sleep', '1000'], 'kubesim/bash:2'));
    assert.match(await ok(['apply', '-f', path]), /^pod\/frozen configured$/m);
    assert.equal(await ok(['get', 'pod', 'frozen', '-o', 'jsonpath={.spec.containers[0].image}']), 'kubesim/bash:2');
  });

  test('kubectl label and annotate, --overwrite, and a stale resourceVersion: Conflict', T, async () => {
    await ok(['run', 'tagged', '--image=kubesim/busybox', '--', 'sleep', '1000']);
    assert.match(await ok(['label', 'pod', 'tagged', 'a=b']), /^pod\/tagged labeled$/m);
    const refused = await kubectl(['label', 'pod', 'tagged', 'a=c']);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, "error: 'a' already has a value (b), and --overwrite is false\n");
    assert.match(await ok(['label', 'pod', 'tagged', 'a=c', '--overwrite']), /^pod\/tagged labeled$/m);
    assert.equal((await labelsOf('tagged'))['a'], 'c');
    assert.match(await ok(['label', 'pod', 'tagged', 'a-']), /^pod\/tagged unlabeled$/m);
    assert.equal((await labelsOf('tagged'))['a'], undefined);
    assert.match(await ok(['annotate', 'pod', 'tagged', 'note=hello world']), /^pod\/tagged annotated$/m);
    assert.equal(await ok(['get', 'pod', 'tagged', '-o', 'jsonpath={.metadata.annotations.note}']), 'hello world');
    // --resource-version makes the patch conditional: an old one is the optimistic-lock conflict.
    const stale = await kubectl(['label', 'pod', 'tagged', 'a=d', '--resource-version=1']);
    assert.equal(stale.code, 1);
    assert.equal(stale.stderr, 'Error from server (Conflict): Operation cannot be fulfilled on pods "tagged": the object has been modified; please apply your changes to the latest version and try again\n');
    const rv = await ok(['get', 'pod', 'tagged', '-o', 'jsonpath={.metadata.resourceVersion}']);
    assert.match(await ok(['label', 'pod', 'tagged', 'a=d', `--resource-version=${rv}`]), /^pod\/tagged labeled$/m);
  });

  test('kubectl replace with a stale resourceVersion: Conflict; kubectl patch, merge and JSON', T, async () => {
    await ok(['run', 'patched', '--image=kubesim/busybox', '--', 'sleep', '1000']);
    const pod = JSON.parse(await ok(['get', 'pod', 'patched', '-o', 'json'])) as { metadata: { labels: Record<string, string>; resourceVersion: string } };
    await ok(['label', 'pod', 'patched', 'moved=on']);
    pod.metadata.labels['x'] = 'y';
    const path = await file('patched.json', JSON.stringify(pod));
    const r = await kubectl(['replace', '-f', path]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Error from server (Conflict): error when replacing "${path}": Operation cannot be fulfilled on pods "patched": the object has been modified; please apply your changes to the latest version and try again\n`);
    assert.match(await ok(['patch', 'pod', 'patched', '--type=merge', '-p', '{"metadata":{"labels":{"m":"1"}}}']), /^pod\/patched patched$/m);
    assert.match(await ok(['patch', 'pod', 'patched', '--type=json', '-p', '[{"op":"add","path":"/metadata/labels/j","value":"2"}]']), /^pod\/patched patched$/m);
    assert.deepEqual(await labelsOf('patched'), { run: 'patched', moved: 'on', m: '1', j: '2' });
    // Strategic merge: containers merge by name, so only the image changes.
    await ok(['patch', 'pod', 'patched', '-p', '{"spec":{"containers":[{"name":"patched","image":"kubesim/busybox:2"}]}}']);
    assert.equal(await ok(['get', 'pod', 'patched', '-o', 'jsonpath={.spec.containers[*].image} {.spec.containers[0].args}']), 'kubesim/busybox:2 ["sleep","1000"]');
    const bad = await kubectl(['patch', 'pod', 'patched', '--type=json', '-p', '[{"op":"replace","path":"/metadata/labels/none","value":"x"}]']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /replace operation does not apply: doc is missing key: \/metadata\/labels\/none/);
  });

  test('invalid pods: 422 Invalid with the API server causes, as kubectl prints them', T, async () => {
    const name = await kubectl(['run', 'Bad_Name', '--image=kubesim/busybox']);
    assert.equal(name.code, 1);
    assert.equal(name.stderr, `The Pod "Bad_Name" is invalid: \n* metadata.name: Invalid value: "Bad_Name": ${SUBDOMAIN}\n* spec.containers[0].name: Invalid value: "Bad_Name": ${LABEL}\n`);

    const containers = await file('nocontainers.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: empty\nspec:\n  containers: []\n');
    const none = await kubectl(['create', '-f', containers]);
    assert.equal(none.code, 1);
    assert.equal(none.stderr, 'The Pod "empty" is invalid: spec.containers: Required value\n');

    const bad = await file('badcontainer.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: badc\nspec:\n  containers:\n  - name: Main\n    image: ""\n  - name: side\n    image: kubesim/bash\n  - name: side\n    image: kubesim/bash\n');
    const c = await kubectl(['create', '-f', bad]);
    assert.equal(c.code, 1);
    assert.equal(c.stderr, `The Pod "badc" is invalid: \n* spec.containers[0].name: Invalid value: "Main": ${LABEL}\n* spec.containers[0].image: Required value\n* spec.containers[2].name: Duplicate value: "side"\n`);
    assert.equal((await kubectl(['get', 'pod', 'badc'])).stderr, 'Error from server (NotFound): pods "badc" not found\n');
  });

  test('a namespace that does not exist: NamespaceLifecycle\'s 404', T, async () => {
    const r = await kubectl(['run', 'lost', '--image=kubesim/busybox', '-n', 'nowhere']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Error from server (NotFound): namespaces "nowhere" not found\n');
  });

  test('an image no registry has: ErrImagePull, then ImagePullBackOff', T, async () => {
    await ok(['run', 'unpullable', '--image=example.invalid/none:1']);
    const deadline = Date.now() + 15_000;
    let reason = '';
    while (Date.now() < deadline && reason !== 'ImagePullBackOff') {
      reason = await ok(['get', 'pod', 'unpullable', '-o', 'jsonpath={.status.containerStatuses[0].state.waiting.reason}']);
    }
    assert.equal(reason, 'ImagePullBackOff');
    const message = await ok(['get', 'pod', 'unpullable', '-o', 'jsonpath={.status.containerStatuses[0].state.waiting.message}']);
    assert.match(message, /^Back-off pulling image "example.invalid\/none:1": ErrImagePull: Failed to pull image "example.invalid\/none:1": rpc error: code = NotFound/);
    assert.equal(await ok(['get', 'pod', 'unpullable', '-o', 'jsonpath={.status.phase}']), 'Pending');
  });
});
