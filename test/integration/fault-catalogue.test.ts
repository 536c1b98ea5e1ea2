// The fault catalogue (issue 10): broken kubeconfigs, API errors, broken streams and hostile
// names, each run through our CLI and through kubectl on the same input, and judged by
// test/faults/harness.ts: bounded time, kubectl's exit code where kubectl's is definite (a
// non-zero one at least), one clear line naming the cause, no stack trace, no secret, no
// process or socket left behind. Faults come from our own fault server (test/faults/faultServer.ts),
// which can misbehave as no real API server would, and from kubesim for the rest. Where kubectl
// itself hangs or answers badly, the case says so and ours is judged on its own.
//
// The groups run side by side, and the cases within a group too: the few cases about hanging
// servers (which take up to a minute each) then overlap with everything else.
import { after, before, describe, test } from 'node:test';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startKubesim } from '../kubesim/index.ts';
import { apiCases } from '../faults/apiCases.ts';
import { inputCases } from '../faults/inputCases.ts';
import { kubeconfigCases } from '../faults/kubeconfigCases.ts';
import { streamCases } from '../faults/streamCases.ts';
import { keys, runCase, type Case, type Env } from '../faults/harness.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const env: Env = { cli: '', nodePath: join(root, 'node_modules'), dir: '' };

before(async () => {
  env.dir = await mkdtemp(join(tmpdir(), 'fault-catalogue-'));
  env.cli = join(env.dir, 'cli', 'cli.js');
  // The same bundle `npm run build` makes, built aside so dist/ is left alone. It finds js-yaml
  // through NODE_PATH, as dist/cli.js finds it in the repository's node_modules.
  const build = promisify(execFile)(process.execPath, [join(root, 'scripts', 'build.mjs'), '--outdir', join(env.dir, 'cli')], { cwd: root });
  const [sim] = await Promise.all([startKubesim(), build, keys()]);
  env.sim = sim;
});

after(async () => {
  await env.sim?.stop();
  if (env.dir) await rm(env.dir, { recursive: true, force: true });
});

const GROUPS: Array<[string, Case[]]> = [
  ['kubeconfig', kubeconfigCases],
  ['API errors', apiCases],
  ['stream faults', streamCases],
  ['input safety', inputCases],
];

let index = 0;
describe('fault catalogue', { concurrency: GROUPS.length }, () => {
  for (const [group, cases] of GROUPS) {
    describe(group, { concurrency: 6 }, () => {
      for (const c of cases) {
        const i = index++;
        test(c.name, { timeout: 150_000 }, (t) => runCase(t, env, c, i));
      }
    });
  }
});
