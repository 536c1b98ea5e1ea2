// `npm test`: build, type-check, then unit, integration and end-to-end tests in that order,
// each level on Node's built-in test runner. Stops at the first level that fails.
// Before the integration level it installs the outside clients that level runs against kubesim
// (Debian's python3-kubernetes; see scripts/setup-clients.sh), and before the end-to-end level
// what that level drives (Chromium, code-server; see scripts/setup-e2e.sh), both quick when already
// done; it also packages the VSIX the editor installs, so a fresh clone needs only
// `npm install && npm test`.
import { spawnSync } from 'node:child_process';

const steps = [
  ['npm', ['run', 'build']],
  ['npm', ['run', 'typecheck']],
  ['npm', ['run', 'test:unit']],
  ['bash', ['scripts/setup-clients.sh']],
  ['npm', ['run', 'test:integration']],
  ['bash', ['scripts/setup-e2e.sh']],
  ['npm', ['run', 'package']],
  ['npm', ['run', 'test:e2e']],
];

for (const [cmd, args] of steps) {
  console.log(`\n> ${cmd} ${args.join(' ')}`);
  const { status } = spawnSync(cmd, args, { stdio: 'inherit' });
  if (status !== 0) process.exit(status ?? 1);
}
