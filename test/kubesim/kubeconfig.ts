// The kubeconfig kubesim writes: one context per way of authenticating (and failing to), so that
// clients can be tested against each. Values are emitted as JSON strings, which YAML accepts.
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Tokens } from './auth.ts';
import type { Pki } from './certs.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const q = (s: string) => JSON.stringify(s);

/** Writes the exec credential plugin script and returns its path. */
async function writeExecPlugin(dir: string, token: string): Promise<string> {
  const path = join(dir, 'kubesim-credential-plugin.sh');
  const credential = JSON.stringify({
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    status: { token, expirationTimestamp: new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, 'Z') },
  });
  await writeFile(path, `#!/bin/sh\n# kubesim exec credential plugin: prints an ExecCredential for the exec-user token.\ncat <<'EOF'\n${credential}\nEOF\n`);
  await chmod(path, 0o755);
  return path;
}

export async function writeKubeconfig(path: string, dir: string, url: string, pki: Pki, tokens: Tokens): Promise<void> {
  const plugin = await writeExecPlugin(dir, tokens.execPlugin);
  const ca = b64(pki.caCert);
  const yaml = `apiVersion: v1
kind: Config
preferences: {}
current-context: kubesim
clusters:
- name: kubesim
  cluster:
    server: ${q(url)}
    certificate-authority-data: ${ca}
- name: kubesim-unreachable
  cluster:
    server: "https://127.0.0.1:1"
    certificate-authority-data: ${ca}
users:
- name: admin
  user:
    token: ${q(tokens.admin)}
- name: cert-user
  user:
    client-certificate-data: ${b64(pki.clientCert)}
    client-key-data: ${b64(pki.clientKey)}
- name: exec-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ${q(plugin)}
      args: null
      env: null
      interactiveMode: Never
      provideClusterInfo: false
- name: dev
  user:
    token: ${q(tokens.dev)}
- name: badtoken
  user:
    token: "kubesim-invalid-token"
contexts:
- name: kubesim
  context:
    cluster: kubesim
    user: admin
    namespace: default
- name: kubesim-cert
  context:
    cluster: kubesim
    user: cert-user
    namespace: default
- name: kubesim-exec
  context:
    cluster: kubesim
    user: exec-user
    namespace: default
- name: kubesim-forbidden
  context:
    cluster: kubesim
    user: dev
    namespace: default
- name: kubesim-badtoken
  context:
    cluster: kubesim
    user: badtoken
    namespace: default
- name: kubesim-unreachable
  context:
    cluster: kubesim-unreachable
    user: admin
    namespace: default
`;
  await writeFile(path, yaml, { mode: 0o600 });
}
