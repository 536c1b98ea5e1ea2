// A bare exec in a process of its own (scenarios 4 and 5's kubesim ceiling, under GNU time).
// Usage: node bareWsChild.ts KUBECONFIG CONTEXT NAMESPACE POD [--stdin FILE] -- CMD...
// Prints { ms, bytes, stdout } (stdout: the first 256 bytes of output, as text).
import { loadKubeconfig, kubeConfigForContext } from '../src/kube/kubeconfig.ts';
import { bareExec } from './bareWs.ts';

async function main(argv: string[]): Promise<void> {
  const dash = argv.indexOf('--');
  const [kubeconfig, context, namespace, pod, ...flags] = argv.slice(0, dash);
  const command = argv.slice(dash + 1);
  if (dash < 0 || !kubeconfig || !context || !namespace || !pod || command.length === 0) {
    throw new Error('usage: bareWsChild.ts KUBECONFIG CONTEXT NAMESPACE POD [--stdin FILE] -- CMD...');
  }
  const stdinFile = flags[0] === '--stdin' ? flags[1] : undefined;
  const kc = kubeConfigForContext(await loadKubeconfig({ files: [kubeconfig] }), context);
  const result = await bareExec(kc, { namespace, pod }, command, stdinFile);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
