// kubesim checked directly at the protocol level: what kubectl cannot reach (faults, 410s,
// base64 and v4 exec, stdin half-close, backpressure, process cleanup).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { execPath, openExec, readCredentials, request, watch, type Credentials, type ExecSession, type Refused } from '../kubesim/client.ts';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';

/** Running, not merely a zombie waiting for its parent (or init) to reap it. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function session(s: ExecSession | Refused): ExecSession {
  if ('refused' in s) throw new Error(`exec refused: ${s.status} ${s.body}`);
  return s;
}

function refused(s: ExecSession | Refused): Refused {
  if (!('refused' in s)) throw new Error(`exec unexpectedly upgraded (${s.protocol})`);
  return s;
}

// The three suites run their own kubesim each, so they may overlap.
describe('kubesim integration', { concurrency: true }, () => {
  describe('kubesim', { concurrency: 1 }, () => {
    let sim: Kubesim;
    let creds: Credentials;
    const get = (path: string, accept?: string, token?: string) => request(sim.url, creds.ca, path, { token: token ?? creds.adminToken }, { accept });
    const exec = (path: string, protocols?: string[], token?: string) => openExec(sim.url, creds.ca, path, { token: token ?? creds.adminToken }, protocols);

    before(async () => {
      sim = await startKubesim();
      creds = await readCredentials(sim.kubeconfigPath);
    });
    after(async () => {
      await sim.stop();
    });

    describe('REST', { concurrency: 1 }, () => {
      test('discovery and version answer like an API server', async () => {
        const version = (await get('/version')).json();
        assert.equal(version['gitVersion'], 'v1.35.0');
        const resources = (await get('/api/v1')).json<{ resources: Array<{ name: string; verbs: string[] }> }>();
        const names = resources.resources.map((r) => r.name);
        for (const r of ['pods', 'pods/exec', 'pods/attach', 'pods/log', 'namespaces']) assert.ok(names.includes(r), r);
        assert.deepEqual((await get('/api')).json()['versions'], ['v1']);
        assert.equal((await get('/apis')).json()['kind'], 'APIGroupList');
      });

      test('aggregated discovery (apidiscovery.k8s.io/v2) for clients that ask, as kubectl does', async () => {
        const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
        const res = await get('/api', accept);
        assert.equal(res.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
        type Discovery = { kind: string; items: Array<{ versions: Array<{ version: string; resources: Array<{ resource: string; scope: string; subresources?: Array<{ subresource: string; verbs: string[] }> }> }> }> };
        const doc = res.json<Discovery>();
        assert.equal(doc.kind, 'APIGroupDiscoveryList');
        const pods = doc.items[0]!.versions[0]!.resources.find((r) => r.resource === 'pods')!;
        assert.equal(pods.scope, 'Namespaced');
        assert.deepEqual(pods.subresources!.find((s) => s.subresource === 'exec')!.verbs, ['create', 'get']);
        // The named groups: apps and batch (read-only workloads), each at v1.
        const groups = (await get('/apis', accept)).json<{ items: Array<{ metadata: { name: string }; versions: Array<{ version: string }> }> }>().items;
        assert.deepEqual(groups.map((g) => [g.metadata.name, g.versions.map((v) => v.version)]), [['apps', ['v1']], ['batch', ['v1']]]);
      });

      test('a missing pod is a NotFound Status with details', async () => {
        const res = await get('/api/v1/namespaces/default/pods/nope');
        assert.equal(res.status, 404);
        assert.equal(res.headers['content-type'], 'application/json');
        assert.deepEqual(res.json(), {
          kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "nope" not found',
          reason: 'NotFound', details: { name: 'nope', kind: 'pods' }, code: 404,
        });
      });

      test('401 for a bad token, 403 with the RBAC wording for dev', async () => {
        const bad = await get('/api/v1/pods', undefined, 'not-a-token');
        assert.equal(bad.status, 401);
        assert.equal(bad.json()['message'], 'Unauthorized');
        const ns = await get('/api/v1/namespaces', undefined, creds.devToken);
        assert.equal(ns.status, 403);
        assert.equal(ns.json()['message'], 'namespaces is forbidden: User "dev" cannot list resource "namespaces" in API group "" at the cluster scope');
        const demo = await get('/api/v1/namespaces/demo/pods', undefined, creds.devToken);
        assert.equal(demo.json()['message'], 'pods is forbidden: User "dev" cannot list resource "pods" in API group "" in the namespace "demo"');
        assert.equal((await get('/api/v1/namespaces/default/pods', undefined, creds.devToken)).status, 200);
      });

      test('client certificates authenticate', async () => {
        const res = await request(sim.url, creds.ca, '/api/v1/namespaces/default/pods/web-0', { cert: { cert: creds.clientCert, key: creds.clientKey } });
        assert.equal(res.status, 200);
        assert.equal(res.json<{ metadata: { name: string } }>().metadata.name, 'web-0');
      });

      test('label selectors: =, ==, !=, in, notin, exists, !key', async () => {
        const names = async (sel: string, ns = 'default') => (await get(`/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(sel)}`))
          .json<{ items: Array<{ metadata: { name: string } }> }>().items.map((p) => p.metadata.name);
        assert.deepEqual(await names('app=api', 'demo'), ['api-0', 'api-1']);
        assert.deepEqual(await names('app==web'), ['web-0']);
        assert.deepEqual(await names('app in (web,busybox)'), ['busybox-0', 'web-0']);
        assert.ok(!(await names('app notin (web)')).includes('web-0'));
        assert.ok(!(await names('app!=web')).includes('web-0'));
        assert.deepEqual(await names('kubernetes.io/os'), ['win-0']);
        assert.ok(!(await names('!kubernetes.io/os')).includes('win-0'));
        const bad = await get('/api/v1/pods?labelSelector=' + encodeURIComponent('a b c'));
        assert.equal(bad.status, 400);
      });

      test('field selectors on name, phase and node; unsupported fields are a 400', async () => {
        const names = async (sel: string) => (await get(`/api/v1/pods?fieldSelector=${encodeURIComponent(sel)}`))
          .json<{ items: Array<{ metadata: { name: string } }> }>().items.map((p) => p.metadata.name);
        // done-0, and the pod of Job apps/report (the list is in namespace order).
        const succeeded = await names('status.phase=Succeeded');
        assert.equal(succeeded.length, 2, succeeded.join(' '));
        assert.match(succeeded[0]!, /^report-[a-z0-9]{5}$/);
        assert.equal(succeeded[1], 'done-0');
        assert.deepEqual(await names('metadata.name=web-0,metadata.namespace=default'), ['web-0']);
        assert.deepEqual(await names('spec.nodeName=win-node-1'), ['win-0']);
        const bad = await get('/api/v1/pods?fieldSelector=spec.bogus%3Dx');
        assert.equal(bad.status, 400);
        assert.equal(bad.json()['message'], 'field label not supported: spec.bogus');
      });

      test('list items carry no kind; the list carries a resourceVersion', async () => {
        const list = (await get('/api/v1/namespaces/demo/pods')).json<{ kind: string; metadata: { resourceVersion: string }; items: Array<Record<string, unknown>> }>();
        assert.equal(list.kind, 'PodList');
        assert.match(list.metadata.resourceVersion, /^\d+$/);
        assert.equal(list.items[0]!['kind'], undefined);
        assert.equal((await get('/api/v1/namespaces/demo/pods/api-0')).json()['kind'], 'Pod');
      });

      test('pagination: continue tokens, remainingItemCount, and a consistent snapshot', async () => {
        const first = (await get('/api/v1/namespaces/default/pods?limit=3')).json<{ metadata: { continue: string; remainingItemCount: number; resourceVersion: string }; items: Array<{ metadata: { name: string } }> }>();
        assert.equal(first.items.length, 3);
        assert.equal(first.metadata.remainingItemCount, 8);
        // A pod added after the first page does not show up in later pages of the same list.
        sim.addPod({ metadata: { name: 'zz-late', namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'kubesim/bash' }] } });
        const seen = first.items.map((p) => p.metadata.name);
        let token: string | undefined = first.metadata.continue;
        while (token) {
          type Page = { metadata: { continue?: string; resourceVersion: string }; items: Array<{ metadata: { name: string } }> };
          const page: Page = (await get(`/api/v1/namespaces/default/pods?limit=3&continue=${token}`)).json<Page>();
          assert.equal(page.metadata.resourceVersion, first.metadata.resourceVersion);
          seen.push(...page.items.map((p) => p.metadata.name));
          token = page.metadata.continue;
        }
        assert.equal(seen.length, 11);
        assert.ok(!seen.includes('zz-late'));
        sim.deletePod('default', 'zz-late');
      });

      test('Table output for kubectl-style Accept headers', async () => {
        const res = await get('/api/v1/namespaces/default/pods', 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json');
        assert.equal(res.headers['content-type'], 'application/json;as=Table;v=v1;g=meta.k8s.io');
        const table = res.json<{ kind: string; columnDefinitions: Array<{ name: string }>; rows: Array<{ cells: unknown[]; object: { kind: string } }> }>();
        assert.equal(table.kind, 'Table');
        assert.deepEqual(table.columnDefinitions.slice(0, 5).map((c) => c.name), ['Name', 'Ready', 'Status', 'Restarts', 'Age']);
        const row = (name: string) => table.rows.find((r) => r.cells[0] === name)!.cells;
        assert.deepEqual(row('web-0').slice(1, 4), ['1/1', 'Running', '0']);
        assert.equal(row('pending-0')[2], 'ContainerCreating');
        assert.equal(row('crashloop-0')[2], 'CrashLoopBackOff');
        assert.match(String(row('crashloop-0')[3]), /^5 \(\d+s ago\)$/);
        assert.equal(row('terminating-0')[2], 'Terminating');
        assert.equal(row('done-0')[2], 'Completed');
        assert.equal(row('failed-0')[2], 'Error');
        assert.equal(row('notready-0')[1], '0/1');
        assert.equal(table.rows[0]!.object.kind, 'PartialObjectMetadata');
      });

      // Query values and paths as the API server reads them (test/kubesim/params.ts has the sources).
      test('query parameters: booleans never fail, integers fail with strconv\'s words', async () => {
        const status = async (path: string, method = 'GET') => {
          const r = await request(sim.url, creds.ca, path, { token: creds.adminToken }, { method });
          return [r.status, r.json<{ reason?: string; message: string }>().reason ?? '', r.json<{ message: string }>().message];
        };
        // Only "0" and "false" (any case) are false; "True", "yes", "t" and "" are all true.
        for (const spelling of ['True', 'yes', 't', '']) {
          const s = session(await exec(`/api/v1/namespaces/default/pods/web-0/exec?command=echo&command=ok&stdout=${spelling}&stdin=FALSE&stderr=0`, ['v4.channel.k8s.io']));
          await s.closed;
          assert.equal(s.output(), 'ok\n', `stdout=${spelling}`);
        }
        const none = refused(await exec('/api/v1/namespaces/default/pods/web-0/exec?command=true&stdout=False&stdin=fAlSe&stderr=0', ['v4.channel.k8s.io']));
        assert.equal(none.body, 'you must specify at least 1 of stdin, stdout, stderr');
        const watched = await watch(sim.url, creds.ca, '/api/v1/namespaces/default/pods?watch=True&fieldSelector=metadata.name%3Dweb-0&timeoutSeconds=1', { token: creds.adminToken });
        await watched.ended;
        assert.equal(watched.events[0]?.type, 'ADDED', 'watch=True is a watch');
        // A named GET is a get whatever `watch` says; the API server no longer serves `export`.
        assert.equal((await get('/api/v1/namespaces/default/pods/web-0?watch=true')).json()['kind'], 'Pod');
        assert.deepEqual(await status('/api/v1/namespaces/default/pods/web-0?export=1'), [400, 'BadRequest', 'the export parameter, deprecated since v1.14, is no longer supported']);

        assert.deepEqual(await status('/api/v1/pods?limit=2x'), [400, 'BadRequest', 'strconv.ParseInt: parsing "2x": invalid syntax']);
        assert.deepEqual(await status('/api/v1/pods?limit=99999999999999999999'), [400, 'BadRequest', 'strconv.ParseInt: parsing "99999999999999999999": value out of range']);
        assert.deepEqual(await status('/api/v1/pods?watch=1&timeoutSeconds=%0A'), [400, 'BadRequest', 'strconv.ParseInt: parsing "\\n": invalid syntax']);
        assert.deepEqual(await status('/api/v1/namespaces/default/pods/no-such-pod?gracePeriodSeconds=1.5', 'DELETE'), [400, 'BadRequest', 'strconv.ParseInt: parsing "1.5": invalid syntax']);
        assert.deepEqual(await status('/api/v1/namespaces/demo/pods/logger-0/log?tailLines=1e3'), [400, 'BadRequest', 'strconv.ParseInt: parsing "1e3": invalid syntax']);
        assert.deepEqual(await status('/api/v1/namespaces/demo/pods/node-0/portforward?ports=http'), [400, 'BadRequest', 'cannot convert to []int32: strconv.ParseUint: parsing "http": invalid syntax']);
        assert.deepEqual(await status('/api/v1/namespaces/demo/pods/node-0/portforward?ports=8080,70000'), [400, 'BadRequest', 'cannot convert to []int32: strconv.ParseUint: parsing "70000": value out of range']);
        // A negative limit is no limit (the storage pages only when limit > 0).
        const all = (await get('/api/v1/namespaces/default/pods')).json<{ items: unknown[] }>().items.length;
        const negative = (await get('/api/v1/namespaces/default/pods?limit=-1')).json<{ items: unknown[]; metadata: { continue?: string } }>();
        assert.equal(negative.items.length, all);
        assert.equal(negative.metadata.continue, undefined);

        // resourceVersion: the list's storage check is a 400, the watch cache's and a get's parse
        // errors reach the client untranslated, as a 500 without a reason.
        const badRv = 'resourceVersion: Invalid value: "x1": strconv.ParseUint: parsing "x1": invalid syntax';
        assert.deepEqual(await status('/api/v1/pods?resourceVersion=x1'), [400, 'BadRequest', `invalid resource version: ${badRv}`]);
        assert.deepEqual(await status('/api/v1/pods?watch=true&resourceVersion=x1'), [500, '', badRv]);
        assert.deepEqual(await status('/api/v1/namespaces/default/pods/web-0?resourceVersion=x1'), [500, '', badRv]);
        // sendInitialEvents=false is set (a *bool), so it needs resourceVersionMatch too.
        assert.deepEqual(await status('/api/v1/pods?watch=1&sendInitialEvents=false'), [422, 'Invalid', 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan']);
        assert.deepEqual(await status('/api/v1/pods?sendInitialEvents=true'), [422, 'Invalid', 'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list']);
      });

      test('paths are percent-decoded before they are split, as Go\'s url.URL.Path', async () => {
        // The path exactly as written: a URL object (what request() builds) would resolve %2E%2E.
        const raw = (path: string) => new Promise<{ status: number; type: string | undefined; body: string }>((resolve, reject) => {
          const { hostname, port } = new URL(sim.url);
          const req = httpsRequest({ hostname, port, path, ca: creds.ca, headers: { Authorization: `Bearer ${creds.adminToken}` } }, (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], body }));
          });
          req.on('error', reject);
          req.end();
        });
        const answer = async (path: string) => {
          const r = await raw(path);
          const json = JSON.parse(r.body) as { metadata: { name: string }; message: string };
          return [r.status, r.status === 200 ? json.metadata.name : json.message];
        };
        assert.deepEqual(await answer('/api/v1/namespaces/default/pods/web%2D0'), [200, 'web-0']);
        assert.deepEqual(await answer('/api/v1/namespaces/d%65fault/pods/web-0'), [200, 'web-0']);
        assert.deepEqual(await answer('/api/v1/namespaces/default/pods/a%3Bb'), [404, 'pods "a;b" not found']);
        assert.deepEqual(await answer('/api/v1/namespaces/default/pods/a%22b'), [404, 'pods "a\\"b" not found']);
        // An encoded '/' is a separator like any other: pods/a/b is no route.
        assert.deepEqual(await answer('/api/v1/namespaces/default/pods/a%2Fb'), [404, 'the server could not find the requested resource']);
        // What the store's key function refuses: '%' in a name, and the dot segments Go leaves in.
        assert.deepEqual(await answer('/api/v1/namespaces/default/pods/a%25b'), [400, 'Name parameter invalid: "a%b": may not contain \'%\'']);
        assert.deepEqual(await answer('/api/v1/namespaces/default/pods/%2E%2E'), [400, 'Name parameter invalid: "..": may not be \'..\'']);
        assert.deepEqual(await answer('/api/v1/namespaces/default/pods/a%25b/log'), [400, 'Name parameter invalid: "a%b": may not contain \'%\'']);
        const execBad = refused(await exec('/api/v1/namespaces/default/pods/a%25b/exec?command=true&stdout=1'));
        assert.equal(execBad.status, 400);
        assert.equal(JSON.parse(execBad.body).message, 'Name parameter invalid: "a%b": may not contain \'%\'');
        // A malformed escape never reaches a handler: Go's server answers a bare 400 and closes.
        assert.deepEqual(await raw('/api/v1/namespaces/default/pods/a%zz'), { status: 400, type: 'text/plain; charset=utf-8', body: '400 Bad Request' });
      });
    });

    describe('watch', { concurrency: 1 }, () => {
      test('rv 0 sends synthetic ADDED, then live ADDED/MODIFIED/DELETED', async () => {
        const existing = (await get('/api/v1/namespaces/demo/pods')).json<{ items: unknown[] }>().items.length;
        const w = await watch(sim.url, creds.ca, '/api/v1/namespaces/demo/pods?watch=true&resourceVersion=0', { token: creds.adminToken });
        try {
          await w.waitFor(existing);
          assert.deepEqual(w.events.map((e) => e.type), Array(existing).fill('ADDED'));
          sim.addPod({ metadata: { name: 'api-2', namespace: 'demo', labels: { app: 'api' } }, spec: { containers: [{ name: 'app', image: 'kubesim/bash' }] } });
          sim.updatePod('demo', 'api-2', (p) => (p.metadata.labels!['tier'] = 'gold'));
          sim.deletePod('demo', 'api-2');
          await w.waitFor(existing + 3);
          assert.deepEqual(w.events.slice(existing).map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
          const rvs = w.events.slice(existing).map((e) => Number((e.object['metadata'] as { resourceVersion: string }).resourceVersion));
          assert.ok(rvs[0]! < rvs[1]! && rvs[1]! < rvs[2]!, `increasing resourceVersions ${rvs}`);
        } finally {
          w.close();
        }
      });

      test('resuming from a resourceVersion replays only what came after it', async () => {
        const list = (await get('/api/v1/namespaces/demo/pods')).json<{ metadata: { resourceVersion: string } }>();
        sim.addPod({ metadata: { name: 'api-3', namespace: 'demo' }, spec: { containers: [{ name: 'app', image: 'kubesim/bash' }] } });
        const w = await watch(sim.url, creds.ca, `/api/v1/namespaces/demo/pods?watch=1&resourceVersion=${list.metadata.resourceVersion}`, { token: creds.adminToken });
        try {
          await w.waitFor(1);
          assert.equal(w.events[0]!.type, 'ADDED');
          assert.equal((w.events[0]!.object['metadata'] as { name: string }).name, 'api-3');
        } finally {
          w.close();
          sim.deletePod('demo', 'api-3');
        }
      });

      test('a selector watch sees a pod leave the selection as DELETED', async () => {
        sim.addPod({ metadata: { name: 'sel-0', namespace: 'demo', labels: { app: 'sel' } }, spec: { containers: [{ name: 'app', image: 'kubesim/bash' }] } });
        const w = await watch(sim.url, creds.ca, '/api/v1/namespaces/demo/pods?watch=true&labelSelector=app%3Dsel', { token: creds.adminToken });
        try {
          await w.waitFor(1);
          sim.updatePod('demo', 'sel-0', (p) => (p.metadata.labels!['app'] = 'other'));
          await w.waitFor(2);
          assert.equal(w.events[1]!.type, 'DELETED');
        } finally {
          w.close();
          sim.deletePod('demo', 'sel-0');
        }
      });

      test('an expired resourceVersion gets one ERROR event (410 Expired) and the stream ends', async () => {
        const list = (await get('/api/v1/pods')).json<{ metadata: { resourceVersion: string } }>();
        sim.faults.expireWatchHistory();
        const w = await watch(sim.url, creds.ca, `/api/v1/pods?watch=true&resourceVersion=${list.metadata.resourceVersion}`, { token: creds.adminToken });
        await w.ended;
        assert.equal(w.status, 200);
        assert.equal(w.events.length, 1);
        assert.equal(w.events[0]!.type, 'ERROR');
        const status = w.events[0]!.object;
        assert.equal(status['code'], 410);
        assert.equal(status['reason'], 'Expired');
        assert.match(String(status['message']), new RegExp(`^too old resource version: ${list.metadata.resourceVersion} \\(\\d+\\)$`));
      });

      test('a continue token from before compaction is 410 Expired with an inconsistent-continue token', async () => {
        const first = (await get('/api/v1/pods?limit=2')).json<{ metadata: { continue: string } }>();
        sim.faults.expireWatchHistory();
        const res = await get(`/api/v1/pods?limit=2&continue=${first.metadata.continue}`);
        assert.equal(res.status, 410);
        const status = res.json<{ reason: string; message: string; metadata: { continue: string } }>();
        assert.equal(status.reason, 'Expired');
        assert.match(status.message, /^The provided continue parameter is too old to display a consistent list result\./);
        const rest = await get(`/api/v1/pods?limit=2&continue=${status.metadata.continue}`);
        assert.equal(rest.status, 200);
      });

      test('bookmarks and timeoutSeconds', async () => {
        const w = await watch(sim.url, creds.ca, '/api/v1/namespaces/kube-system/pods?watch=true&allowWatchBookmarks=true&timeoutSeconds=3', { token: creds.adminToken });
        const started = Date.now();
        await w.ended;
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= 2500 && elapsed < 4500, `ended after ${elapsed} ms`);
        assert.deepEqual(w.events.map((e) => e.type), ['ADDED', 'BOOKMARK']);
        assert.match((w.events[1]!.object['metadata'] as { resourceVersion: string }).resourceVersion, /^\d+$/);
      });
    });

    describe('exec', { concurrency: 1 }, () => {
      test('v5: ready frame, stdout, stderr, exit code status', async () => {
        const s = session(await exec(execPath('default', 'web-0', ['sh', '-c', 'echo out; echo err >&2; exit 3'])));
        assert.equal(s.protocol, 'v5.channel.k8s.io');
        await s.closed;
        assert.deepEqual(s.frames[0], { channel: 1, data: Buffer.alloc(0) });
        assert.equal(s.output(1), 'out\n');
        assert.equal(s.output(2), 'err\n');
        assert.deepEqual(JSON.parse(s.status()), {
          metadata: {}, status: 'Failure', reason: 'NonZeroExitCode',
          message: 'command terminated with non-zero exit code: command terminated with exit code 3',
          details: { causes: [{ reason: 'ExitCode', message: '3' }] },
        });
        await waitUntil(() => sim.execProcesses().length === 0, 'exec processes to be gone');
      });

      test('v5 success status; environment and working directory of the container', async () => {
        const s = session(await exec(execPath('default', 'web-0', ['sh', '-c', 'echo $HOSTNAME; pwd; echo $HOME; command -v bash'])));
        await s.closed;
        const [host, cwd, home, bash] = s.output().trim().split('\n');
        assert.equal(host, 'web-0');
        assert.ok(cwd!.endsWith('/containers/default/web-0/app'), cwd);
        assert.equal(home, cwd);
        assert.ok(bash!.endsWith('/bin/bash'), bash);
        assert.deepEqual(JSON.parse(s.status()), { metadata: {}, status: 'Success' });
      });

      test('the container\'s workingDir and env are the exec\'s', async () => {
        sim.addPod({
          metadata: { name: 'wd-0', namespace: 'default' },
          spec: { containers: [{ name: 'app', image: 'kubesim/bash', workingDir: '/srv/app', env: [{ name: 'GREETING', value: 'hello' }] }] },
        });
        try {
          const s = session(await exec(execPath('default', 'wd-0', ['sh', '-c', 'pwd; echo $GREETING'])));
          await s.closed;
          const [cwd, greeting] = s.output().trim().split('\n');
          assert.ok(cwd!.endsWith('/containers/default/wd-0/app/srv/app'), cwd);
          assert.equal(greeting, 'hello');
        } finally {
          sim.deletePod('default', 'wd-0');
        }
      });

      test('the protocol list picks v5 when offered, else the first the kubelet speaks', async () => {
        const both = session(await exec(execPath('default', 'web-0', ['true']), ['v4.channel.k8s.io', 'v5.channel.k8s.io']));
        assert.equal(both.protocol, 'v5.channel.k8s.io');
        await both.closed;
        const v4 = session(await exec(execPath('default', 'web-0', ['true']), ['v3.channel.k8s.io', 'v4.channel.k8s.io']));
        assert.equal(v4.protocol, 'v4.channel.k8s.io');
        await v4.closed;
        const spdyOnly = refused(await exec(execPath('default', 'web-0', ['true']), ['v3.channel.k8s.io']));
        assert.equal(spdyOnly.status, 403);
        assert.equal(spdyOnly.body, '');
      });

      test('v4 goes to the kubelet: the runtime words the exit status', async () => {
        const s = session(await exec(execPath('default', 'web-0', ['sh', '-c', 'exit 7']), ['v4.channel.k8s.io']));
        await s.closed;
        const status = JSON.parse(s.status()) as { message: string; details: { causes: Array<{ message: string }> } };
        assert.equal(status.message, 'command terminated with non-zero exit code: error executing command [sh -c exit 7], exit code 7');
        assert.equal(status.details.causes[0]!.message, '7');
      });

      test('base64.channel.k8s.io: text frames, channel digit plus base64; errors as plain text', async () => {
        const s = session(await exec(execPath('default', 'web-0', ['sh', '-c', 'printf "\\001\\377"; exit 2']), ['base64.channel.k8s.io']));
        assert.equal(s.protocol, 'base64.channel.k8s.io');
        await s.closed;
        assert.deepEqual(Buffer.concat(s.frames.filter((f) => f.channel === 1).map((f) => f.data)), Buffer.from([1, 255]));
        assert.equal(s.status(), 'command terminated with non-zero exit code: error executing command [sh -c printf "\\001\\377"; exit 2], exit code 2');
      });

      test('channel.k8s.io says nothing on channel 3 on success', async () => {
        const s = session(await exec(execPath('default', 'web-0', ['echo', 'hi']), ['channel.k8s.io']));
        await s.closed;
        assert.equal(s.output(), 'hi\n');
        assert.equal(s.status(), '');
      });

      test('v5 stdin half-close: cat sees EOF and the status still arrives', async () => {
        const s = session(await exec(execPath('default', 'web-0', ['cat'], { stdin: true })));
        s.stdin('hello ');
        s.stdin('world');
        s.closeStdin();
        await s.closed;
        assert.equal(s.output(), 'hello world');
        assert.deepEqual(JSON.parse(s.status()), { metadata: {}, status: 'Success' });
      });

      test('tty: a real PTY whose size follows channel 4', async () => {
        const s = session(await exec(execPath('default', 'web-0', ['sh'], { stdin: true, tty: true, stderr: false })));
        s.resize(123, 45);
        s.stdin('stty size; tty; exit 4\n');
        await s.closed;
        assert.match(s.output(), /45 123/);
        assert.match(s.output(), /\/dev\/pts\/\d+/);
        assert.equal(JSON.parse(s.status()).details.causes[0].message, '4');
      });

      test('tty: v5 stdin close ends the output, not the process (containerd, StdinOnce with a TTY)', async () => {
        const s = session(await exec(execPath('default', 'web-0', ['sh', '-c', 'read x; sleep 0.3; echo late; exit 6'], { stdin: true, tty: true, stderr: false })));
        s.stdin('go\n');
        await s.until(() => s.output().includes('go'));
        s.closeStdin();
        await s.closed;
        assert.doesNotMatch(s.output(), /late/);
        assert.equal(JSON.parse(s.status()).details.causes[0].message, '6');
      });

      test('tty: closing the connection hangs up the shell and its foreground job', async () => {
        const s = session(await exec(execPath('default', 'web-0', ['sh'], { stdin: true, tty: true, stderr: false })));
        s.stdin('echo "job pid $$"; sleep 100\n');
        await s.until(() => /job pid \d+/.test(s.output()));
        const [pid] = sim.execProcesses();
        assert.equal(s.output().match(/job pid (\d+)/)![1], String(pid));
        s.ws.terminate();
        await waitUntil(() => !alive(pid!), 'the shell to exit on SIGHUP');
        await waitUntil(() => sim.execProcesses().length === 0, 'sleep to be hung up too');
      });

      test('no tty: a dropped connection closes stdin but does not kill the process', async () => {
        const cat = session(await exec(execPath('default', 'web-0', ['cat'], { stdin: true })));
        const sleeper = session(await exec(execPath('default', 'web-0', ['sleep', '30'])));
        await waitUntil(() => sim.execProcesses().length === 2, 'two processes');
        const pids = sim.execProcesses();
        cat.ws.terminate();
        sleeper.ws.terminate();
        await waitUntil(() => sim.execProcesses().length === 1, 'cat to end on EOF');
        const [left] = sim.execProcesses();
        assert.ok(pids.includes(left!));
        assert.ok(alive(left!));
        process.kill(-left!, 'SIGKILL');
        await waitUntil(() => sim.execProcesses().length === 0, 'sleep to be reaped');
      });

      test('executable not found: upgrade succeeds, then a 500 InternalError on channel 3', async () => {
        const s = session(await exec(execPath('default', 'busybox-0', ['bash'])));
        await s.closed;
        const status = JSON.parse(s.status()) as { status: string; code: number; reason: string; message: string };
        assert.equal(status.code, 500);
        assert.equal(status.reason, 'InternalError');
        assert.match(status.message, /^Internal error occurred: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: unable to start container process: exec: "bash": executable file not found in \$PATH: unknown$/);
        const abs = session(await exec(execPath('default', 'busybox-0', ['/bin/bash'])));
        await abs.closed;
        assert.match(JSON.parse(abs.status()).message, /exec: "\/bin\/bash": stat \/bin\/bash: no such file or directory: unknown$/);
        const sh = session(await exec(execPath('default', 'busybox-0', ['/bin/sh', '-c', 'echo ok'])));
        await sh.closed;
        assert.equal(sh.output(), 'ok\n');
      });

      test('distroless has no shell; windows has cmd.exe and powershell.exe but no sh', async () => {
        const dl = session(await exec(execPath('default', 'distroless-0', ['sh'])));
        await dl.closed;
        assert.match(JSON.parse(dl.status()).message, /exec: "sh": executable file not found in \$PATH/);
        const win = session(await exec(execPath('default', 'win-0', ['powershell', '-Command', 'echo hi'])));
        await win.closed;
        assert.equal(win.output(), 'hi\n');
        const winSh = session(await exec(execPath('default', 'win-0', ['sh'])));
        await winSh.closed;
        assert.match(JSON.parse(winSh.status()).message, /The system cannot find the file specified/);
      });

      test('refusals before the upgrade carry the API server Status', async () => {
        const cases: Array<[string, number, string]> = [
          [execPath('default', 'nope', ['sh']), 404, 'pods "nope" not found'],
          [execPath('default', 'web-0', ['sh'], { container: 'nope' }), 400, 'container nope is not valid for pod web-0'],
          [execPath('default', 'multi-0', ['sh']), 400, 'a container name must be specified for pod multi-0, choose one of: [app sidecar] or one of the init containers: [init]'],
        ];
        for (const [path, code, message] of cases) {
          const r = refused(await exec(path));
          assert.equal(r.status, code, path);
          assert.equal(JSON.parse(r.body).message, message);
        }
        const dev = refused(await exec(execPath('default', 'web-0', ['sh']), undefined, creds.devToken));
        assert.equal(dev.status, 403);
        assert.equal(JSON.parse(dev.body).message, 'pods "web-0" is forbidden: User "dev" cannot create resource "pods/exec" in API group "" in the namespace "default"');
        const bad = refused(await exec(execPath('default', 'web-0', ['sh']), undefined, 'nope'));
        assert.equal(bad.status, 401);
      });

      test('a container that is not running: v5 reports after the upgrade, v4 is refused by the kubelet', async () => {
        for (const pod of ['crashloop-0', 'pending-0', 'done-0']) {
          const s = session(await exec(execPath('default', pod, ['sh'])));
          await s.closed;
          const status = JSON.parse(s.status());
          assert.equal(status.code, 500, pod);
          assert.equal(status.message, 'Internal error occurred: unable to upgrade connection: container not found ("app")');
        }
        const v4 = refused(await exec(execPath('default', 'crashloop-0', ['sh']), ['v4.channel.k8s.io']));
        assert.equal(v4.status, 500);
        assert.equal(v4.body, 'container not found ("app")');
      });

      test('backpressure: output waits for a slow reader instead of piling up', async () => {
        const total = 32 * 1024 * 1024;
        const s = session(await exec(execPath('default', 'web-0', ['head', '-c', String(total), '/dev/zero'], { stderr: false })));
        s.ws.pause();
        await sleep(600);
        // Unread, the producer must still be blocked on its pipe.
        assert.equal(sim.execProcesses().length, 1);
        s.ws.resume();
        await s.closed;
        assert.equal(s.frames.filter((f) => f.channel === 1).reduce((n, f) => n + f.data.length, 0), total);
        assert.deepEqual(JSON.parse(s.status()), { metadata: {}, status: 'Success' });
      });
    });
  });

  describe('kubesim faults', { concurrency: 1 }, () => {
    let sim: Kubesim;
    let creds: Credentials;

    before(async () => {
      sim = await startKubesim({ fixtures: true });
      creds = await readCredentials(sim.kubeconfigPath);
    });
    after(async () => {
      await sim.stop();
    });

    test('a resourceVersion from the future: the watch waits for it, then 504s', async () => {
      const list = (await request(sim.url, creds.ca, '/api/v1/namespaces/demo/pods', { token: creds.adminToken })).json<{ metadata: { resourceVersion: string } }>();
      const current = Number(list.metadata.resourceVersion);
      const soon = await watch(sim.url, creds.ca, `/api/v1/namespaces/demo/pods?watch=true&labelSelector=test%3Dfuture&resourceVersion=${current + 1}`, { token: creds.adminToken });
      sim.addPod({ metadata: { name: 'future-0', namespace: 'demo', labels: { test: 'future' } }, spec: { containers: [{ name: 'app', image: 'kubesim/bash' }] } });
      sim.addPod({ metadata: { name: 'future-1', namespace: 'demo', labels: { test: 'future' } }, spec: { containers: [{ name: 'app', image: 'kubesim/bash' }] } });
      await soon.waitFor(1);
      await sleep(100);
      // Only events after the requested version: if nothing else was written meanwhile,
      // future-0 is version current+1 itself.
      const meta = (e: { object: Record<string, unknown> }) => e.object['metadata'] as { name: string; resourceVersion: string };
      assert.ok(soon.events.every((e) => Number(meta(e).resourceVersion) > current + 1));
      assert.equal(meta(soon.events.at(-1)!).name, 'future-1');
      soon.close();
      const started = Date.now();
      const never = await watch(sim.url, creds.ca, `/api/v1/namespaces/demo/pods?watch=true&resourceVersion=${current + 1000}`, { token: creds.adminToken });
      await never.ended;
      assert.ok(Date.now() - started >= 2900);
      assert.equal(never.events.length, 1);
      const status = never.events[0]!.object;
      assert.equal(never.events[0]!.type, 'ERROR');
      assert.equal(status['code'], 504);
      assert.equal(status['reason'], 'Timeout');
      assert.match(String(status['message']), new RegExp(`^Timeout: Too large resource version: ${current + 1000}, current: \\d+$`));
      assert.deepEqual(status['details'], { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
      sim.deletePod('demo', 'future-0');
      sim.deletePod('demo', 'future-1');
    });

    test('latencyMs delays responses', async () => {
      sim.faults.latencyMs = 300;
      try {
        const start = Date.now();
        await request(sim.url, creds.ca, '/version', {});
        assert.ok(Date.now() - start >= 290);
      } finally {
        sim.faults.latencyMs = 0;
      }
    });

    test('refuseUpgrade refuses exec with the given Status', async () => {
      sim.faults.refuseUpgrade = { code: 503, message: 'kubelet is restarting' };
      try {
        const r = await openExec(sim.url, creds.ca, execPath('default', 'web-0', ['sh']), { token: creds.adminToken });
        assert.ok('refused' in r);
        assert.equal(r.status, 503);
        assert.deepEqual(JSON.parse(r.body), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'kubelet is restarting', reason: 'ServiceUnavailable', code: 503 });
      } finally {
        sim.faults.refuseUpgrade = null;
      }
    });

    test('ignorePings: pings go unanswered; otherwise answered', async () => {
      const s = session(await openExec(sim.url, creds.ca, execPath('default', 'web-0', ['sleep', '5']), { token: creds.adminToken }));
      const pong = () => new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 400);
        s.ws.once('pong', () => {
          clearTimeout(timer);
          resolve(true);
        });
        s.ws.ping();
      });
      assert.equal(await pong(), true);
      sim.faults.ignorePings = true;
      try {
        assert.equal(await pong(), false);
      } finally {
        sim.faults.ignorePings = false;
        s.ws.terminate();
      }
    });

    test('dropConnections cuts exec and watch streams with no close frame', async () => {
      const s = session(await openExec(sim.url, creds.ca, execPath('default', 'web-0', ['sleep', '5']), { token: creds.adminToken }));
      const w = await watch(sim.url, creds.ca, '/api/v1/pods?watch=true', { token: creds.adminToken });
      sim.faults.dropConnections();
      const { code } = await s.closed;
      assert.equal(code, 1006);
      await w.ended;
    });

    test('stop() leaves no exec process behind', async () => {
      const other = await startKubesim();
      try {
        const c = await readCredentials(other.kubeconfigPath);
        const a = session(await openExec(other.url, c.ca, execPath('default', 'web-0', ['sleep', '60']), { token: c.adminToken }));
        const b = session(await openExec(other.url, c.ca, execPath('default', 'web-0', ['sh'], { stdin: true, tty: true, stderr: false }), { token: c.adminToken }));
        // A background job outlives its shell, as it would in a container. (Its output must not
        // hold the exec's stdout open, or the session would wait for it, as containerd's does.)
        const bg = session(await openExec(other.url, c.ca, execPath('default', 'web-0', ['sh', '-c', 'sleep 60 >/dev/null 2>&1 & echo $!']), { token: c.adminToken }));
        await bg.closed;
        const orphan = Number(bg.output().trim());
        assert.ok(alive(orphan));
        await waitUntil(() => other.execProcesses().length === 3, 'three process trees');
        const pids = other.execProcesses();
        await other.stop();
        await Promise.all([a.closed, b.closed]);
        for (const pid of [...pids, orphan]) assert.equal(alive(pid), false, `pid ${pid} still alive`);
      } finally {
        await other.stop();
      }
    });
  });

  describe('kubesim bulk pods', { concurrency: 1 }, () => {
    test('10,000 pods over 20 namespaces list quickly and page by namespace', async () => {
      const sim = await startKubesim({ pods: 10_000, bulkNamespaces: 20, fixtures: false });
      try {
        const creds = await readCredentials(sim.kubeconfigPath);
        // CPU time, not wall time: the machine is shared, but the work done is ours (server and
        // client both run in this process).
        const cpu = process.cpuUsage();
        const all = (await request(sim.url, creds.ca, '/api/v1/pods', { token: creds.adminToken })).json<{ items: Array<{ metadata: { name: string; namespace: string; labels: Record<string, string> } }> }>();
        const used = process.cpuUsage(cpu);
        const ms = (used.user + used.system) / 1000;
        assert.equal(all.items.length, 10_000);
        assert.ok(ms < 4000, `listing 10,000 pods cost ${ms} ms of CPU`);
        const p = all.items.find((i) => i.metadata.name === 'bulk-1234')!;
        assert.equal(p.metadata.namespace, 'bulk-14');
        assert.deepEqual(p.metadata.labels, { app: 'bulk', shard: '4' });
        const page = (await request(sim.url, creds.ca, '/api/v1/namespaces/bulk-3/pods?limit=100&labelSelector=shard%3D3', { token: creds.adminToken })).json<{ items: unknown[] }>();
        assert.equal(page.items.length, 100);
      } finally {
        await sim.stop();
      }
    });
  });
});
