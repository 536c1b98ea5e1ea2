// Fault catalogue, group 1: broken kubeconfig files and credentials. The server works (a fault
// server that answers as a real one would); what is wrong is on the client's side.
import { join } from 'node:path';
import { status } from './faultServer.ts';
import { b64, CLUSTER, ID_TOKEN, JWT, kubeconfig, literal, PASSWORD, PLUGIN_TOKEN, q, TOKEN, USER, type Case, type Ctx } from './harness.ts';

const RUN = ['web-0', '--', 'true'];
const path = (c: Ctx) => literal(c.kubeconfigPath);
const LOCALHOST_8080 = 'with no usable cluster in the kubeconfig, kubectl falls back to http://localhost:8080 and reports that connection, not the kubeconfig';

/** A credential plugin entry for `command` (a file in the case dir). */
const plugin = (c: Ctx, command: string) => [
  'exec:',
  '  apiVersion: client.authentication.k8s.io/v1',
  `  command: ${q(join(c.dir, command))}`,
  '  interactiveMode: Never',
];

const credential = (token: string) => JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token } });

export const kubeconfigCases: Case[] = [
  {
    name: 'the exec credential plugin never finishes: bounded, and the plugin is not left running',
    files: (c) => ({ 'plugin-hang.sh': `#!/bin/sh\necho $$ > ${q(join(c.dir, 'plugin.pid'))}\nexec sleep 600\n` }),
    kubeconfig: (c) => kubeconfig(c, { user: plugin(c, 'plugin-hang.sh') }),
    args: RUN,
    expect: { cause: [/plugin-hang\.sh/], withinMs: 50_000, pluginPidFile: 'plugin.pid' },
    kubectlBad: 'client-go runs credential plugins without a deadline: kubectl waits for the plugin forever',
    kubectlBudgetMs: 10_000,
  },
  {
    name: 'missing file (--kubeconfig)',
    kubeconfig: null,
    args: (c) => ['--kubeconfig', join(c.dir, 'does-not-exist.yaml'), ...RUN],
    expect: { code: 1, cause: [/does-not-exist\.yaml/, /no such file/], noRequest: true },
  },
  {
    name: 'empty file',
    kubeconfig: () => '',
    args: RUN,
    expect: { code: 1, cause: [/context/i], noRequest: true },
    kubectlBad: LOCALHOST_8080,
  },
  {
    name: 'not YAML (and a token in the broken text is not echoed)',
    kubeconfig: () => `clusters: [\n  token: ${TOKEN}\n  password: ${PASSWORD}\n`,
    args: RUN,
    expect: { code: 1, cause: (c) => [path(c)], noRequest: true },
  },
  {
    name: 'a YAML list at the top',
    kubeconfig: () => '- name: a\n- name: b\n',
    args: RUN,
    expect: { code: 1, cause: (c) => [path(c)], noRequest: true },
  },
  {
    name: 'a YAML scalar at the top',
    kubeconfig: () => 'just some text\n',
    args: RUN,
    expect: { code: 1, cause: (c) => [path(c)], noRequest: true },
  },
  {
    name: 'no current-context',
    kubeconfig: (c) => kubeconfig(c, { currentContext: null }),
    args: RUN,
    expect: { code: 1, cause: [/current-context/], noRequest: true },
    kubectlBad: LOCALHOST_8080,
  },
  {
    name: 'unknown --context',
    args: ['--context', 'nope', ...RUN],
    expect: { code: 1, cause: [/context was not found for specified context: nope/], noRequest: true },
  },
  {
    name: 'current-context names a context that does not exist',
    kubeconfig: (c) => kubeconfig(c, { currentContext: 'gone-context' }),
    args: RUN,
    expect: { code: 1, cause: [/gone-context/], noRequest: true },
  },
  {
    name: 'the context names a cluster that does not exist',
    kubeconfig: (c) => kubeconfig(c, { contextCluster: 'ghost-cluster' }),
    args: RUN,
    expect: { code: 1, cause: [/ghost-cluster/], noRequest: true },
    kubectlBad: LOCALHOST_8080,
  },
  {
    // A credential that cannot be used is an error, never a silent fallback to none (issue 10, item 4).
    name: 'the context names a user that does not exist: an error, not an anonymous request',
    kubeconfig: (c) => kubeconfig(c, { contextUser: 'ghost-user' }),
    args: RUN,
    expect: { code: 1, cause: [/ghost-user/], noRequest: true },
    kubectlBad: 'kubectl prompts "Please enter Username:" on stdout and then fails with "error: EOF"',
  },
  {
    name: 'a cluster without a server',
    kubeconfig: (c) => kubeconfig(c, { server: null }),
    args: RUN,
    expect: { code: 1, cause: [literal(CLUSTER), /server/], noRequest: true },
    kubectlBad: LOCALHOST_8080,
  },
  {
    name: 'an unparsable server URL "http//x" names the URL and the cluster entry',
    kubeconfig: (c) => kubeconfig(c, { server: 'http//x' }),
    args: RUN,
    expect: { code: 1, cause: [/http\/\/x/, literal(CLUSTER)], noRequest: true },
  },
  {
    name: 'an unparsable server URL "::::" names the URL and the cluster entry',
    kubeconfig: (c) => kubeconfig(c, { server: '::::' }),
    args: RUN,
    expect: { code: 1, cause: [/::::/, literal(CLUSTER)], noRequest: true },
    kubectlBad: 'kubectl takes "::::" for a host and reports "The connection to the server ::: was refused" (it dialled [::]:80)',
  },
  {
    name: 'bad base64 in certificate-authority-data names the file and the field',
    kubeconfig: (c) => kubeconfig(c, { caData: '"!!not-base64!!"' }),
    args: RUN,
    expect: { code: 1, cause: (c) => [/certificate-authority-data/, path(c)], noRequest: true },
  },
  {
    name: 'certificate-authority-data that is base64 but not a PEM certificate',
    kubeconfig: (c) => kubeconfig(c, { caData: b64('FAKE: this is not a certificate') }),
    args: RUN,
    // The server's authority is not the problem: the data is not a certificate at all.
    expect: { code: 1, cause: [/certificate-authority-data/, new RegExp(`${CLUSTER}|kubeconfig`)], notCause: [/unknown authority|self-signed/], noRequest: true },
  },
  {
    name: 'bad base64 in client-certificate-data names the field',
    kubeconfig: (c) => kubeconfig(c, { user: ['client-certificate-data: "!!not-base64!!"', `client-key-data: ${b64(c.keys.clientKey)}`] }),
    args: RUN,
    expect: { code: 1, cause: [/client-certificate-data/, new RegExp(`${USER}|kubeconfig`)], noRequest: true },
  },
  {
    name: 'bad base64 in client-key-data names the field (and prints no key)',
    kubeconfig: (c) => kubeconfig(c, { user: [`client-certificate-data: ${b64(c.keys.clientCert)}`, 'client-key-data: "!!not-base64!!"'] }),
    args: RUN,
    expect: { code: 1, cause: [/client-key-data/, new RegExp(`${USER}|kubeconfig`)], noRequest: true },
  },
  {
    name: 'certificate-authority file missing',
    kubeconfig: (c) => kubeconfig(c, { caData: null, cluster: [`certificate-authority: ${q(join(c.dir, 'missing-ca.crt'))}`] }),
    args: RUN,
    expect: { code: 1, cause: [/missing-ca\.crt/, literal(CLUSTER)], noRequest: true },
  },
  {
    name: 'client-certificate file missing',
    files: (c) => ({ 'client.key': c.keys.clientKey }),
    kubeconfig: (c) => kubeconfig(c, { user: [`client-certificate: ${q(join(c.dir, 'missing-client.crt'))}`, `client-key: ${q(join(c.dir, 'client.key'))}`] }),
    args: RUN,
    expect: { code: 1, cause: [/missing-client\.crt/, literal(USER)], noRequest: true },
  },
  {
    name: 'client-key file missing',
    files: (c) => ({ 'client.crt': c.keys.clientCert }),
    kubeconfig: (c) => kubeconfig(c, { user: [`client-certificate: ${q(join(c.dir, 'client.crt'))}`, `client-key: ${q(join(c.dir, 'missing-client.key'))}`] }),
    args: RUN,
    expect: { code: 1, cause: [/missing-client\.key/, literal(USER)], noRequest: true },
  },
  {
    // Issue 10, item 4: dropped silently, the request went out anonymous.
    name: 'a client key of another type than its certificate (RSA key, EC certificate) is an error naming the user',
    kubeconfig: (c) => kubeconfig(c, { user: [`client-certificate-data: ${b64(c.keys.clientCert)}`, `client-key-data: ${b64(c.keys.rsaKey)}`] }),
    args: RUN,
    expect: { code: 1, cause: [literal(USER), /key/i], noRequest: true },
  },
  {
    name: 'tokenFile missing',
    kubeconfig: (c) => kubeconfig(c, { user: [`tokenFile: ${q(join(c.dir, 'missing-token'))}`] }),
    args: RUN,
    expect: { code: 1, cause: [/missing-token/], noRequest: true },
  },
  {
    name: 'the exec credential plugin does not exist',
    kubeconfig: (c) => kubeconfig(c, { user: plugin(c, 'no-such-credential-plugin') }),
    args: RUN,
    expect: { code: 1, cause: [/no-such-credential-plugin/], noRequest: true },
  },
  {
    name: 'the exec credential plugin fails (its own stderr passes through, as with kubectl)',
    files: (c) => ({ 'plugin-fail.sh': `#!/bin/sh\necho $$ > ${q(join(c.dir, 'plugin.pid'))}\necho "plugin-fail: the identity provider is unreachable" >&2\nexit 3\n` }),
    kubeconfig: (c) => kubeconfig(c, { user: plugin(c, 'plugin-fail.sh') }),
    args: RUN,
    expect: { code: 1, cause: [/plugin-fail\.sh/, /\b3\b/], noRequest: true, foreignLines: /^plugin-fail: /, pluginPidFile: 'plugin.pid' },
  },
  {
    name: 'the exec credential plugin prints junk (with a token in it, which is not echoed)',
    files: (c) => ({ 'plugin-junk.sh': `#!/bin/sh\necho $$ > ${q(join(c.dir, 'plugin.pid'))}\necho 'not an ExecCredential: token=${PLUGIN_TOKEN}'\n` }),
    kubeconfig: (c) => kubeconfig(c, { user: plugin(c, 'plugin-junk.sh') }),
    args: RUN,
    expect: { code: 1, cause: [/plugin-junk\.sh/], noRequest: true, pluginPidFile: 'plugin.pid' },
  },
  {
    name: 'the exec credential plugin gives a token the server rejects (401)',
    server: { discovery: status(401, 'Unauthorized', 'Unauthorized'), pod: status(401, 'Unauthorized', 'Unauthorized'), exec: status(401, 'Unauthorized', 'Unauthorized') },
    files: (c) => ({ 'plugin-ok.sh': `#!/bin/sh\necho $$ > ${q(join(c.dir, 'plugin.pid'))}\necho '${credential(PLUGIN_TOKEN)}'\n` }),
    kubeconfig: (c) => kubeconfig(c, { user: plugin(c, 'plugin-ok.sh') }),
    args: RUN,
    expect: { code: 1, cause: [/logged in|Unauthorized|credentials/i], pluginPidFile: 'plugin.pid' },
  },
  {
    name: 'insecure-skip-tls-verify and a CA both set',
    kubeconfig: (c) => kubeconfig(c, { cluster: ['insecure-skip-tls-verify: true'] }),
    args: RUN,
    expect: { code: 1, cause: [/insecure/], noRequest: true },
  },
  {
    name: 'a CA that did not sign the server certificate',
    kubeconfig: (c) => kubeconfig(c, { caData: b64(c.keys.clientCert) }),
    args: RUN,
    expect: { code: 1, cause: [/certificate/i, /authority|trust|verif/i] },
  },
  {
    name: 'tls-server-name that the server certificate does not cover',
    kubeconfig: (c) => kubeconfig(c, { cluster: ['tls-server-name: wrong.example.com'] }),
    args: RUN,
    expect: { code: 1, cause: [/wrong\.example\.com/] },
  },
  {
    // Same rule as item 4: a credential that cannot be used is an error, not an anonymous request.
    name: 'an auth-provider nobody knows is an error, not an anonymous request',
    kubeconfig: (c) => kubeconfig(c, { user: ['auth-provider:', '  name: bogus-provider', '  config:', `    id-token: ${q(ID_TOKEN)}`, `    refresh-token: ${q(JWT)}`] }),
    args: RUN,
    expect: { code: 1, cause: [/bogus-provider/], noRequest: true },
  },
];
