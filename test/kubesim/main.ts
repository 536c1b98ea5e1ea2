// `npm run kubesim -- --kubeconfig FILE [--port P] [--pods N] [--bulk-namespaces M]`: runs kubesim
// by hand until SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { startKubesim } from './index.ts';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    port: { type: 'string' },
    pods: { type: 'string' },
    'bulk-namespaces': { type: 'string' },
    dir: { type: 'string' },
  },
});

if (!values.kubeconfig) {
  console.error('usage: npm run kubesim -- --kubeconfig FILE [--port P] [--pods N] [--bulk-namespaces M] [--dir DIR]');
  process.exit(2);
}

const sim = await startKubesim({
  kubeconfigPath: values.kubeconfig,
  port: values.port ? Number(values.port) : 0,
  pods: values.pods ? Number(values.pods) : 0,
  bulkNamespaces: values['bulk-namespaces'] ? Number(values['bulk-namespaces']) : 1,
  dir: values.dir,
});
console.log(`kubesim listening on ${sim.url}`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  sim.stop().then(() => process.exit(0), (err: Error) => {
    console.error(`kubesim: stop failed: ${err.message}`);
    process.exit(1);
  });
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
