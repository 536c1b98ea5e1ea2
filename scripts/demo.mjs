// `npm start`: a live demo. Packages the extension, makes sure code-server is installed, starts a
// kubesim cluster with the demo pods and code-server (a real VS Code in the browser) with the
// extension installed and KUBECONFIG pointing at kubesim, then waits. Ctrl-C stops it all.
import { spawnSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import {
  ROOT, checkCodeServerInstalled, ensureVsix, installExtension, startCodeServer, userSettings,
} from '../test/e2e/harness.ts';
import { startKubesim } from '../test/kubesim/index.ts';

const EDITOR_PORT = Number(process.env.KUBE_EXEC_DEMO_PORT ?? 8080);
const CLUSTER_PORT = Number(process.env.KUBE_EXEC_DEMO_CLUSTER_PORT ?? 6443);
const DEMO_DIR = path.join(ROOT, '.e2e', 'demo');

function say(message) {
  console.log(`demo: ${message}`);
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function firstFreePort(from, tries = 20) {
  for (let port = from; port < from + tries; port++) if (await portIsFree(port)) return port;
  throw new Error(`No free port on 127.0.0.1 between ${from} and ${from + tries - 1}; set KUBE_EXEC_DEMO_PORT to another one.`);
}

say('checking prerequisites (scripts/setup-e2e.sh)');
const setup = spawnSync('bash', [path.join(ROOT, 'scripts', 'setup-e2e.sh')], { stdio: 'inherit' });
if (setup.status !== 0) {
  console.error('demo: scripts/setup-e2e.sh failed; see above.');
  process.exit(1);
}
await checkCodeServerInstalled();
say('packaging the extension (npm run package) if the sources changed');
const vsix = await ensureVsix();

// A fresh editor profile each time, so the demo always shows the extension just built.
await rm(DEMO_DIR, { recursive: true, force: true });
const userDataDir = path.join(DEMO_DIR, 'user-data');
const extensionsDir = path.join(DEMO_DIR, 'extensions');
const workspace = path.join(DEMO_DIR, 'workspace');
await mkdir(path.join(userDataDir, 'User'), { recursive: true });
await mkdir(extensionsDir, { recursive: true });
await mkdir(workspace, { recursive: true });
await writeFile(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(userSettings({}), null, 2));

const stops = [];
let stopping;
function stopAll(code) {
  stopping ??= (async () => {
    say('stopping...');
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        console.error(`demo: ${error instanceof Error ? error.message : error}`);
      }
    }
    say('stopped.');
    process.exit(code);
  })();
  return stopping;
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

try {
  const clusterPort = (await portIsFree(CLUSTER_PORT)) ? CLUSTER_PORT : 0;
  const kubesim = await startKubesim({ port: clusterPort, kubeconfigPath: path.join(DEMO_DIR, 'kubeconfig') });
  stops.push(() => kubesim.stop());
  say(`kubesim cluster listening on ${kubesim.url}`);

  say('installing the extension into the demo editor');
  await installExtension(userDataDir, extensionsDir, vsix);

  const editorPort = await firstFreePort(EDITOR_PORT);
  const codeServer = await startCodeServer({
    userDataDir,
    extensionsDir,
    workspace,
    bindAddr: `127.0.0.1:${editorPort}`,
    env: { ...process.env, KUBECONFIG: kubesim.kubeconfigPath },
    logFile: path.join(DEMO_DIR, 'code-server.log'),
    handleSignals: false,
  });
  stops.push(() => codeServer.stop());
  codeServer.process.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`demo: code-server exited (${signal ?? `code ${code}`}); see ${path.join(DEMO_DIR, 'code-server.log')}`);
    void stopAll(1);
  });

  console.log(`
Kube Exec demo is running.

  Open      ${codeServer.url}/?folder=${encodeURIComponent(workspace)}
  Cluster   kubesim at ${kubesim.url} (kubeconfig: ${path.relative(ROOT, kubesim.kubeconfigPath)})
  Try       the Kube Exec icon in the activity bar, expand kubesim > default, then the
            terminal icon on a running pod ("Open Shell").
  Logs      ${path.relative(ROOT, path.join(DEMO_DIR, 'code-server.log'))}

Press Ctrl-C to stop the editor and the cluster.
`);
} catch (error) {
  console.error(`demo: ${error instanceof Error ? error.message : error}`);
  await stopAll(1);
}
