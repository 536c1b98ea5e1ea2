// Command-line driver of the engine: `exec` like kubectl exec, `pods` like kubectl get pods.
// Startup time matters (one-shot `exec` is compared with kubectl), so this entry point only
// dispatches, and each command loads what it needs.

const USAGE = `Usage: kube-exec COMMAND [flags]
Commands:
  exec   run a command in a container, like kubectl exec
  pods   list pods, like kubectl get pods
Run 'kube-exec COMMAND --help' for a command's flags.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const help = rest[0] === '--help' || rest[0] === '-h';
  switch (command) {
    case 'exec': {
      const { runExec, EXEC_USAGE } = await import('./cli/exec.ts');
      if (help) return usage(EXEC_USAGE);
      return runExec(rest);
    }
    case 'pods': {
      const { runPods, PODS_USAGE } = await import('./cli/pods.ts');
      if (help) return usage(PODS_USAGE);
      return runPods(rest);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return usage(USAGE, command === undefined ? 1 : 0);
    default:
      process.stderr.write(`error: unknown command "${command}" for "kube-exec"\n${USAGE}`);
      return 1;
  }
}

function usage(text: string, code = 0): number {
  (code === 0 ? process.stdout : process.stderr).write(text);
  return code;
}

/**
 * Ends with `code` once what we wrote has reached stdout/stderr (they may be asynchronous pipes).
 * Not by calling process.exit() at once: that can deadlock when V8 happens to be compiling in
 * the background at that moment (nodejs/node#54918: the exit waits for the compiler threads
 * while one of them waits for the main thread), and the process then never ends. Letting the
 * event loop run out does not wait that way. The timer, which cannot keep the process alive by
 * itself, exits for real should some handle linger.
 */
function exit(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const done = (): void => {
    if (--pending === 0) setTimeout(() => process.exit(code), LINGER_MS).unref();
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

const LINGER_MS = 1000;

main(process.argv.slice(2)).then(exit, (err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  exit(1);
});
