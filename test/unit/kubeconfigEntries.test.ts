// readEntries turns a kubeconfig's lists into the shapes client-node's KubeConfig holds, without
// loading client-node. Checked against client-node itself: the same document must give the same
// clusters, users and contexts, and the same first complaint about an invalid entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { entryProblem, readEntries } from '../../src/kube/kubeconfigEntries.ts';

const EVERY_FIELD = `
apiVersion: v1
kind: Config
current-context: full
clusters:
- name: full
  cluster:
    server: https://full.example:6443/
    certificate-authority-data: Q0EK
    certificate-authority: /etc/ca.crt
    insecure-skip-tls-verify: true
    tls-server-name: api.internal
    proxy-url: http://proxy:3128
- name: bare
  cluster: {server: "http://127.0.0.1:8001"}
users:
- name: everything
  user:
    client-certificate-data: Q0VSVAo=
    client-certificate: /etc/client.crt
    client-key-data: S0VZCg==
    client-key: /etc/client.key
    token: abc
    username: admin
    password: secret
    as: someone
    auth-provider: {name: oidc, config: {id-token: x}}
    exec: {apiVersion: client.authentication.k8s.io/v1, command: plugin, args: [get]}
- name: empty
  user: {}
- name: nothing
contexts:
- name: full
  context: {cluster: full, user: everything, namespace: team}
- name: no-user
  context: {cluster: bare}
`;

function viaClientNode(yaml: string, onInvalidEntry?: 'filter') {
  const kc = new KubeConfig();
  kc.loadFromString(yaml, onInvalidEntry ? { onInvalidEntry } : undefined);
  return { clusters: kc.getClusters(), users: kc.getUsers(), contexts: kc.getContexts(), currentContext: kc.getCurrentContext() };
}

/** Compared as JSON: client-node leaves absent fields as undefined or null, we as undefined. */
function normalized(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (v === null ? undefined : v)));
}

test('every field of clusters, users and contexts comes out as client-node has it', () => {
  const ours = readEntries(load(EVERY_FIELD) as Record<string, unknown>);
  assert.equal(ours.firstInvalid, undefined);
  // Where we are stricter than client-node (a CA together with insecure-skip-tls-verify, as
  // kubectl refuses it), the entry carries its problem; the fields are otherwise the same.
  const cluster = ours.entries.clusters[0] as { problem?: string };
  assert.match(entryProblem(ours.entries.clusters[0]) ?? '', /^cluster "full" sets both insecure-skip-tls-verify and a certificate authority/);
  delete cluster.problem;
  assert.deepEqual(normalized(ours.entries), normalized(viaClientNode(EVERY_FIELD)));
  // Spot checks, so a change on client-node's side shows here in words.
  assert.equal(ours.entries.clusters[0]!.server, 'https://full.example:6443');
  assert.equal(ours.entries.clusters[0]!.skipTLSVerify, true);
  assert.equal(ours.entries.users[0]!.impersonateUser, 'someone');
  assert.equal(ours.entries.contexts[1]!.user, undefined);
});

test('invalid entries are left out, and the first is reported as client-node words it', () => {
  const broken = `
clusters:
- name: ok
  cluster: {server: https://ok}
- name: no-server
  cluster: {}
- cluster: {server: https://anonymous}
contexts:
- name: fine
  context: {cluster: ok}
- name: no-cluster
  context: {user: u}
users:
- user: {token: t}
- name: u
`;
  const ours = readEntries(load(broken) as Record<string, unknown>);
  assert.throws(() => viaClientNode(broken), { message: ours.firstInvalid });
  assert.equal(ours.firstInvalid, 'clusters[1].cluster.server is missing');
  assert.deepEqual(normalized(ours.entries), normalized({ ...viaClientNode(broken, 'filter'), currentContext: undefined }));
});

test('an entry that cannot be used to connect keeps its place and says why, naming the file and field', () => {
  const text = `
clusters:
- name: bad-ca
  cluster: {server: https://x, certificate-authority-data: "!!!"}
users:
- name: bad-key
  user: {client-certificate-data: Q0VSVAo=, client-key-data: "S0VZ@"}
- name: odd-provider
  user: {auth-provider: {name: bogus-provider}}
- name: fine
  user: {auth-provider: {name: oidc, config: {id-token: x}}}
`;
  const ours = readEntries(load(text) as Record<string, unknown>, '/home/me/.kube/config');
  assert.equal(ours.firstInvalid, undefined);
  const problems = [...ours.entries.clusters, ...ours.entries.users].map((e) => entryProblem(e));
  assert.deepEqual(problems, [
    'Kubeconfig /home/me/.kube/config: certificate-authority-data of cluster "bad-ca" could not be decoded (illegal base64 data at input byte 0). Fix it in the kubeconfig.',
    'Kubeconfig /home/me/.kube/config: client-key-data of user "bad-key" could not be decoded (illegal base64 data at input byte 4). Fix it in the kubeconfig.',
    'Kubeconfig /home/me/.kube/config: user "odd-provider": no Auth Provider found for name "bogus-provider". Kube Exec knows the azure, gcp and oidc providers; use an exec credential plugin for others.',
    undefined,
  ]);
});
