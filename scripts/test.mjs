// `npm test`: build, type-check, then unit, integration and end-to-end tests in that order,
// each level on Node's built-in test runner. Stops at the first level that fails.
// Before the end-to-end level it installs what that level drives (Chromium, code-server; see
// scripts/setup-e2e.sh, quick when already done) and packages the VSIX the editor installs, so a
// fresh clone needs only `npm install && npm test`.
import { spawnSync } from 'node:child_process';

const steps = [
  ['npm', ['run', 'build']],
  ['npm', ['run', 'typecheck']],
  ['npm', ['run', 'test:unit']],
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
