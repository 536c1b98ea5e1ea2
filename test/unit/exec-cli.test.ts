// The CLI's own parsing: kubectl-style flags, the quick kubeconfig YAML reader, table layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, UsageError, type FlagSpec } from '../../src/cli/args.ts';
import { parseYaml, UnsupportedYamlError } from '../../src/kube/yaml.ts';
import { formatTable } from '../../src/cli/pods.ts';
import { connectionLine, statusLine } from '../../src/cli/http.ts';

const SPECS: FlagSpec[] = [
  { long: 'namespace', short: 'n', value: true },
  { long: 'container', short: 'c', value: true },
  { long: 'stdin', short: 'i', value: false },
  { long: 'tty', short: 't', value: false },
  { long: 'kubeconfig', value: true },
];

test('flags in every pflag spelling', () => {
  for (const argv of [
    ['-n', 'demo', '-c', 'app', '-i', '-t', 'web-0'],
    ['-ndemo', '-capp', '-it', 'web-0'],
    ['-n=demo', '-c=app', '-ti', 'web-0'],
    ['--namespace', 'demo', '--container=app', '--stdin', '--tty=true', 'web-0'],
    ['web-0', '-itn', 'demo', '--container', 'app'],
  ]) {
    const parsed = parseArgs(argv, SPECS);
    assert.deepEqual(
      { flags: Object.fromEntries(parsed.flags), positionals: parsed.positionals, rest: parsed.rest },
      { flags: { namespace: 'demo', container: 'app', stdin: true, tty: true }, positionals: ['web-0'], rest: undefined },
      argv.join(' '),
    );
  }
});

test('everything after -- is the remote command, flags included', () => {
  const parsed = parseArgs(['-i', 'web-0', '--', 'sh', '-c', 'ls -n --tty', '--'], SPECS);
  assert.deepEqual(parsed.positionals, ['web-0']);
  assert.deepEqual(parsed.rest, ['sh', '-c', 'ls -n --tty', '--']);
  assert.equal(parseArgs(['web-0', '--'], SPECS).rest?.length, 0);
});

test('flag errors are usage errors', () => {
  assert.throws(() => parseArgs(['--nope'], SPECS), (e: unknown) => e instanceof UsageError && /unknown flag: --nope/.test(e.message));
  assert.throws(() => parseArgs(['-x'], SPECS), UsageError);
  assert.throws(() => parseArgs(['-n'], SPECS), /needs an argument/);
  assert.throws(() => parseArgs(['--stdin=maybe'], SPECS), /invalid argument/);
  assert.equal(parseArgs(['--stdin=false'], SPECS).flags.has('stdin'), false);
});

const KUBECTL_STYLE = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tQ0E=
    server: https://127.0.0.1:6443
  name: kind-kind
contexts:
- context:
    cluster: kind-kind
    namespace: "demo"   # a comment
    user: 'kind-kind'
  name: kind-kind
current-context: kind-kind
kind: Config
preferences: {}
users:
- name: kind-kind
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - --region
      - "eu west #1"
      command: aws
      env: null
      interactiveMode: IfAvailable
      provideClusterInfo: false
    insecure: true
    count: 3
    list: [a, "b, c", 'd''e']
    empty: []
`;

test('the YAML kubectl writes', () => {
  assert.deepEqual(parseYaml(KUBECTL_STYLE), {
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': 'LS0tQ0E=', server: 'https://127.0.0.1:6443' }, name: 'kind-kind' }],
    contexts: [{ context: { cluster: 'kind-kind', namespace: 'demo', user: 'kind-kind' }, name: 'kind-kind' }],
    'current-context': 'kind-kind',
    kind: 'Config',
    preferences: {},
    users: [
      {
        name: 'kind-kind',
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1beta1',
            args: ['--region', 'eu west #1'],
            command: 'aws',
            env: null,
            interactiveMode: 'IfAvailable',
            provideClusterInfo: false,
          },
          insecure: true,
          count: 3,
          list: ['a', 'b, c', "d'e"],
          empty: [],
        },
      },
    ],
  });
});

test('indented sequences, JSON files, nested lists, empty documents', () => {
  assert.deepEqual(parseYaml('users:\n  - name: a\n    user:\n      token: "x\\ty"\n  - name: b\n'), {
    users: [{ name: 'a', user: { token: 'x\ty' } }, { name: 'b' }],
  });
  assert.deepEqual(parseYaml('{"kind": "Config", "clusters": []}'), { kind: 'Config', clusters: [] });
  assert.deepEqual(parseYaml('---\na:\n- - 1\n  - 2\n- x\n'), { a: [[1, 2], 'x'] });
  assert.equal(parseYaml(''), null);
  assert.equal(parseYaml('# only a comment\n'), null);
});

test('what the quick reader refuses rather than misreads', () => {
  for (const text of [
    'a: &anchor 1\nb: *anchor\n',
    'a: |\n  text\n',
    'a: >\n  folded\n',
    'a: !!str 1\n',
    'a: plain\n  continued\n',
    'a: {b: 1}\n',
    'a: [[1]]\n',
    'a: 1\n---\nb: 2\n',
    'a:\n\t- 1\n',
    '? complex\n: key\n',
    'a: 1\na: 2\n',
  ]) {
    assert.throws(() => parseYaml(text), UnsupportedYamlError, JSON.stringify(text));
  }
});

test('tables are laid out like kubectl (tabwriter, padding 3, last column bare)', () => {
  assert.equal(
    formatTable([
      ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
      ['api-0', '1/1', 'Running', '0', '110s'],
      ['crashloop-0', '0/1', 'CrashLoopBackOff', '5 (88s ago)', '15m'],
    ]),
    'NAME          READY   STATUS             RESTARTS      AGE\n' +
      'api-0         1/1     Running            0             110s\n' +
      'crashloop-0   0/1     CrashLoopBackOff   5 (88s ago)   15m\n',
  );
  assert.equal(formatTable([['A', 'B'], ['x', 'y']]), 'A     B\nx     y\n');
});

test('error lines are kubectl\'s', () => {
  assert.equal(statusLine({ reason: 'Forbidden', message: 'no' }), 'Error from server (Forbidden): no');
  assert.equal(statusLine({ reason: 'Unauthorized', message: 'Unauthorized' }), 'error: You must be logged in to the server (Unauthorized)');
  assert.equal(statusLine({ message: 'odd' }), 'Error from server: odd');
  assert.equal(
    connectionLine('https://127.0.0.1:1', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })),
    'The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?',
  );
  // Past kubectl's refused line, our own words: which host, what to check, no OpenSSL internals.
  assert.equal(
    connectionLine('https://x', Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND', hostname: 'x' })),
    'Unable to connect to https://x: the host name "x" could not be resolved (getaddrinfo ENOTFOUND x). Check the server address in the kubeconfig, your DNS or VPN.',
  );
  const tls = Object.assign(new Error('write EPROTO 40:error:0A00010B:SSL routines:tls_validate_record_header:wrong version number:../deps/openssl/x.c:77:\n'), { code: 'EPROTO' });
  assert.match(connectionLine('https://x:6443', tls), /^Unable to connect to https:\/\/x:6443: the server did not answer in TLS\. /);
  // A token in an error's text is masked here too.
  assert.doesNotMatch(statusLine({ reason: 'Unauthorized', message: 'bad header Authorization: Bearer abc.def.ghi' }), /abc\.def/);
});
