// What a kubeconfig gives to connect with is checked before anything is sent: a credential that
// cannot be used is an error naming its entry, never a request that goes out anonymous.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64Problem, checkClientIdentity, credentialsWithin, CredentialsTimeoutError, decodeBase64Field, serverUrl } from '../../src/kube/credentials.ts';

test("base64 is decoded as strictly as kubectl decodes it, and Go's words say where it stops", () => {
  assert.equal(base64Problem('aGVsbG8='), undefined);
  assert.equal(base64Problem('aGVs\nbG8='), undefined);
  assert.equal(base64Problem(''), undefined);
  assert.equal(base64Problem('!!!notbase64'), 'illegal base64 data at input byte 0');
  assert.equal(base64Problem('aGVsbG8'), 'illegal base64 data at input byte 7');
  assert.equal(base64Problem('aG=sbG8='), 'illegal base64 data at input byte 3');
  assert.equal(base64Problem('aGVsbG8=x'), 'illegal base64 data at input byte 8');
  assert.throws(
    () => decodeBase64Field('@@', 'certificate-authority-data', 'cluster "prod"', '/home/me/.kube/config'),
    { message: 'error loading config file "/home/me/.kube/config": certificate-authority-data of cluster "prod" could not be decoded: illegal base64 data at input byte 0' },
  );
  assert.equal(decodeBase64Field('aGVsbG8=', 'x', 'y').toString(), 'hello');
});

test('a server URL that does not parse names the URL and its cluster entry', () => {
  assert.equal(serverUrl('https://k8s.example.com:6443/', 'prod'), 'https://k8s.example.com:6443');
  assert.equal(serverUrl('10.0.0.1:6443', 'prod'), 'https://10.0.0.1:6443');
  assert.equal(serverUrl('http://127.0.0.1:8001', 'proxy'), 'http://127.0.0.1:8001');
  assert.equal(serverUrl('https://rancher.example.com/k8s/clusters/c-1', 'r'), 'https://rancher.example.com/k8s/clusters/c-1');
  for (const bad of ['http//x:::', '::::', 'ftp://x', 'https://', 'https://host/?a=1', 'a b']) {
    assert.throws(() => serverUrl(bad, 'prod'), (err: Error) => {
      assert.ok(err.message.startsWith(`The server URL ${JSON.stringify(bad)} of cluster "prod" in the kubeconfig is not usable`), err.message);
      return true;
    });
  }
});

function certificateFor(keyPem: string): string {
  // A self-signed certificate for the key, by openssl (as kubeadm-made ones are).
  const dir = mkdtempSync(join(tmpdir(), 'cred-'));
  try {
    const keyFile = join(dir, 'key.pem');
    writeText(keyFile, keyPem);
    execFileSync('openssl', ['req', '-new', '-x509', '-key', keyFile, '-subj', '/CN=me', '-days', '1', '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return readFileSync(join(dir, 'cert.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeText(file: string, text: string): void {
  execFileSync('sh', ['-c', 'cat > "$1"', 'sh', file], { input: text });
}

test('a client key that is not its certificate\'s is an error naming the user, never an anonymous request', async () => {
  const pem = { type: 'pkcs8', format: 'pem' } as const;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: pem, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: pem, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const ec2 = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: pem, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const ecCert = certificateFor(ec.privateKey);
  assert.equal(new X509Certificate(ecCert).publicKey.asymmetricKeyType, 'ec');

  await checkClientIdentity({ cert: Buffer.from(ecCert), key: Buffer.from(ec.privateKey) }, 'me');
  await checkClientIdentity({}, 'me');
  await assert.rejects(checkClientIdentity({ cert: ecCert, key: rsa.privateKey }, 'me'), {
    message: 'The client-key of user "me" is an RSA key, but its client-certificate is for an EC key: they do not belong together. Fix client-key or client-certificate in the kubeconfig.',
  });
  await assert.rejects(checkClientIdentity({ cert: ecCert, key: ec2.privateKey }, 'me'), /client-key of user "me" does not belong to its client-certificate/);
  await assert.rejects(checkClientIdentity({ cert: ecCert, key: 'garbage' }, 'me'), /client-key of user "me" is not a PEM private key/);
  await assert.rejects(checkClientIdentity({ cert: 'garbage', key: ec.privateKey }, 'me'), /client-certificate of user "me" is not a PEM certificate/);
  await assert.rejects(checkClientIdentity({ cert: ecCert }, 'me'), /client-certificate but no client-key/);
  // No key material in any message.
  await assert.rejects(checkClientIdentity({ cert: ecCert, key: rsa.privateKey }, 'me'), (err: Error) => !/PRIVATE KEY|MII/.test(err.message));
});

test('credentials that never come end in an error naming the user and context, not a wait forever', async () => {
  const never = new Promise<void>(() => {});
  const began = Date.now();
  await assert.rejects(credentialsWithin(never, { user: 'dev', context: 'prod' }, 50), (err: Error) => {
    assert.ok(err instanceof CredentialsTimeoutError);
    assert.equal(
      err.message,
      'Could not get credentials for user "dev" of context "prod": none came within 50 ms, so its exec credential plugin (or login) did not finish. Try the plugin\'s command in a terminal.',
    );
    return true;
  });
  assert.ok(Date.now() - began >= 45);
  // Credentials that do come are passed on, and their failure too.
  assert.equal(await credentialsWithin(Promise.resolve('ok'), { user: 'dev', context: 'prod' }, 50), 'ok');
  await assert.rejects(credentialsWithin(Promise.reject(new Error('plugin said no')), { user: 'dev', context: 'prod' }, 50), { message: 'plugin said no' });
});
