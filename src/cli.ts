// Command-line driver of the engine (placeholder until the exec engine lands).
console.error('kube-exec cli: not built yet');
process.exit(1);
