// kubesim proven by the official Kubernetes Python client (Debian's python3-kubernetes, run by
// Debian's /usr/bin/python3; scripts/setup-clients.sh installs it, and its absence fails these
// tests): exec over v4.channel.k8s.io with stdin and the exit code, list with a selector and in
// pages, a watch that sees ADDED, MODIFIED and DELETED, logs (limit, tail, timestamps, follow),
// port-forward to a container port, and the API server's answers for names and values the client
// passes through. The scenarios are in test/clients/python/kubesim_client.py; each prints JSON
// lines that the tests here judge.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';

/** Debian's interpreter: the one python3-kubernetes is installed for (a pyenv one would not see it). */
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, '..', 'clients', 'python', 'kubesim_client.py');

type Line = Record<string, unknown>;

describe('kubesim through the official Python client', { concurrency: 3, timeout: 120_000 }, () => {
  let sim: Kubesim;
  let home: string;
  const children = new Set<ChildProcess>();

  // Only what Python needs: no proxy variables, a private HOME, no bytecode left in the tree.
  const env = () => ({ PATH: '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1' });

  const parse = (stdout: string): Line[] => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);

  /** Runs one scenario to its end; a non-zero exit (an exception in the client) fails the test. */
  function run(scenario: string, ...args: string[]): Promise<Line[]> {
    return new Promise((resolve, reject) => {
      execFile(PYTHON, [SCRIPT, sim.kubeconfigPath, scenario, ...args], { env: env(), timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${scenario} failed (${err.message})\nstdout: ${stdout}\nstderr: ${stderr}`));
        else resolve(parse(stdout));
      });
    });
  }

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'kubesim-python-home-'));
    sim = await startKubesim();
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await sim.stop();
    await rm(home, { recursive: true, force: true });
  });

  test('the client is installed (scripts/setup-clients.sh)', async () => {
    const version = await new Promise<string>((resolve, reject) => {
      execFile(PYTHON, ['-c', 'import kubernetes; print(kubernetes.__version__)'], { env: env(), encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err) reject(new Error(`python3-kubernetes is missing; run scripts/setup-clients.sh (as root)\n${stderr}`));
        else resolve(stdout.trim());
      });
    });
    assert.match(version, /^\d+\.\d+\.\d+/);
  });

  test('exec: the one-shot call and v4 with stdin, stdout, stderr and the exit code', async () => {
    // The client spells booleans True/False; the API server reads any value but "0" and "false"
    // (in any case) as true. kubesim once refused these with 400 "you must specify at least 1 of
    // stdin, stdout, stderr".
    const [plain, interactive] = await run('exec', 'web-0', 'default');
    assert.deepEqual(plain, { step: 'plain', output: 'plain-out\nplain-err\n' });
    assert.deepEqual(interactive, {
      step: 'interactive', protocol: 'v4.channel.k8s.io', open: false,
      // Its stdin frames are text frames: on a binary protocol they carry raw bytes.
      stdout: 'got:hello from python\n', stderr: 'to-stderr\n', returncode: 3,
    });
  });

  test('list: all pods, a label selector, and pages of two following the continue token', async () => {
    const [result] = await run('list', 'default');
    const everything = result!['everything'] as string[];
    assert.ok(everything.includes('web-0') && everything.includes('multi-0'), String(everything));
    assert.deepEqual(result!['selected'], ['web-0']);
    assert.deepEqual(result!['paged'], everything);
    assert.equal(result!['pages'], Math.ceil(everything.length / 2));
  });

  test('watch: ADDED, MODIFIED and DELETED for changes made after the list', async () => {
    // The client sends watch=True; kubesim once read that as false and answered a list.
    const child = spawn(PYTHON, [SCRIPT, sim.kubeconfigPath, 'watch', 'default', 'test=pywatch'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
      children.delete(child);
      resolve(code);
    }));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (stdout.includes('"ready"')) resolve();
      });
      void exited.then((code) => reject(new Error(`watch exited (${code}) before it was ready\nstdout: ${stdout}\nstderr: ${stderr}`)));
    });
    sim.addPod({ metadata: { name: 'pywatch-0', namespace: 'default', labels: { test: 'pywatch' } }, spec: { containers: [{ name: 'app', image: 'kubesim/bash' }] } });
    sim.updatePod('default', 'pywatch-0', (pod) => {
      pod.metadata.labels = { ...pod.metadata.labels, step: 'modified' };
    });
    sim.deletePod('default', 'pywatch-0');
    assert.equal(await exited, 0, `stdout: ${stdout}\nstderr: ${stderr}`);
    const events = parse(stdout).filter((l) => 'type' in l).map((l) => [l['type'], l['name'], (l['labels'] as Record<string, string>)['step'] ?? '']);
    assert.deepEqual(events, [
      ['ADDED', 'pywatch-0', ''],
      ['MODIFIED', 'pywatch-0', 'modified'],
      ['DELETED', 'pywatch-0', 'modified'],
    ]);
  });

  test('logs: the whole log, limit_bytes, tail_lines with timestamps, and follow', async () => {
    const steps = Object.fromEntries((await run('logs', 'logger-0', 'demo')).map((l) => [l['step'], l]));
    assert.match(String(steps['whole']!['text']), /^line 1\nline 2\n/);
    assert.equal(steps['limit']!['text'], 'line 1\nli');
    assert.match(String(steps['tail']!['text']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line \d+( \(stderr\))?\n$/);
    // The last line, then the one logger-0 printed next (every fifth line has a copy on stderr).
    const [first, second] = steps['follow']!['lines'] as string[];
    const m = /^line (\d+)( \(stderr\))?$/.exec(first!);
    assert.ok(m, first);
    const n = Number(m[1]);
    const next = n % 5 === 0 && !m[2] ? `line ${n} (stderr)` : `line ${n + 1}`;
    assert.equal(second, next, `after ${first}`);
  });

  test('port-forward: an HTTP request to node-0:8080 through the client\'s socket', async () => {
    const [result] = await run('portforward', 'node-0', 'demo', '8080');
    assert.equal(result!['error'], null);
    assert.match(String(result!['response']), /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(String(result!['response']), /\r\n\r\nhello from node-0: GET \/from-python\n$/);
  });

  test('names and values the client passes through get the API server\'s answers', async () => {
    const answers = Object.fromEntries((await run('refusals', 'default')).map((l) => [l['case'], l]));
    const message = (c: string) => [answers[c]!['status'], (answers[c]!['body'] as Record<string, unknown>)['message']];
    // Percent-encoded names are decoded: a;b is looked up (and not found, as only creation
    // validates names), a name with % cannot be a path segment, and an encoded / separates
    // segments like a literal one.
    assert.deepEqual(message('name a;b'), [404, 'pods "a;b" not found']);
    assert.deepEqual(message('name a%b'), [400, 'Name parameter invalid: "a%b": may not contain \'%\'']);
    assert.deepEqual(message('name a/b'), [404, 'the server could not find the requested resource']);
    // Integer parameters go through strconv.ParseInt; its error is the 400's message.
    assert.deepEqual(message('limit abc'), [400, 'strconv.ParseInt: parsing "abc": invalid syntax']);
    assert.deepEqual(message('timeout 1.5'), [400, 'strconv.ParseInt: parsing "1.5": invalid syntax']);
    assert.deepEqual(message('grace soon'), [400, 'strconv.ParseInt: parsing "soon": invalid syntax']);
  });
});
