// A throwaway PKI for kubesim: a CA, a serving certificate for 127.0.0.1/localhost and a client
// certificate for the `kubesim-cert` context. node:crypto cannot issue X.509 certificates, so
// this drives the openssl CLI. EC P-256 keeps generation fast (RSA-2048 would cost ~100 ms each).
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Pki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kubesim: openssl ${args[0]} failed in ${cwd}: ${e.stderr || e.message}`);
  }
}

async function newKey(dir: string, file: string): Promise<void> {
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file], dir);
}

async function issue(dir: string, name: string, subject: string, extensions: string): Promise<void> {
  await newKey(dir, `${name}.key`);
  await openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], dir);
  await writeFile(join(dir, `${name}.ext`), extensions);
  await openssl([
    'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '2', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`,
  ], dir);
}

let shared: Promise<Pki> | undefined;

/**
 * The PKI for a new kubesim: generated once per process (openssl runs cost seconds on a busy
 * machine) and written into `dir` for each instance. Instances differ by their tokens.
 */
export async function createPki(dir: string): Promise<Pki> {
  shared ??= generatePki(dir).catch((err: unknown) => {
    shared = undefined;
    throw err;
  });
  const pki = await shared;
  await Promise.all([
    writeFile(join(dir, 'ca.crt'), pki.caCert),
    writeFile(join(dir, 'server.crt'), pki.serverCert),
    writeFile(join(dir, 'server.key'), pki.serverKey, { mode: 0o600 }),
    writeFile(join(dir, 'client.crt'), pki.clientCert),
    writeFile(join(dir, 'client.key'), pki.clientKey, { mode: 0o600 }),
  ]);
  return pki;
}

/** Creates the CA and both leaf certificates in `dir` (which must exist). */
async function generatePki(dir: string): Promise<Pki> {
  await newKey(dir, 'ca.key');
  await openssl([
    'req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=kubesim-ca', '-days', '2', '-sha256',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    '-out', 'ca.crt',
  ], dir);
  // Go's TLS stack ignores the CN and needs the address in subjectAltName.
  await issue(dir, 'server', '/CN=kube-apiserver', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default',
    '',
  ].join('\n'));
  // O= becomes the user's group, as the real API server maps client certificates.
  await issue(dir, 'client', '/O=kubesim:users/CN=cert-user', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=clientAuth',
    '',
  ].join('\n'));
  const read = (f: string) => readFile(join(dir, f), 'utf8');
  return {
    caCert: await read('ca.crt'),
    serverCert: await read('server.crt'),
    serverKey: await read('server.key'),
    clientCert: await read('client.crt'),
    clientKey: await read('client.key'),
  };
}
