// The analysis half of the report: what bounds each scenario's numbers. Written from the
// committed run (bench/results.json) and from CPU profiles (`node --cpu-prof`) of the CLI, the
// extension bundle and kubesim taken on the same machine. Rewrite it when a new run changes the
// picture; `npm run bench -- --render` rebuilds report.md from results.json without re-running.
import type { ReportText } from './report.ts';

export const REPORT_TEXT: ReportText = {
  bounds: {
    '1a':
      'Process start on both sides. On this VM starting a process is slow: `node -e 0` alone takes about 100 ms of wall time and `kubectl version --client` about 150 ms, so kubectl\'s whole `exec -- true` is about 175 ms here (not the 43 ms the issue assumed). Our CLI starts Node, loads a bundle without client-node (its own kubeconfig reader) and opens the one WebSocket; kubectl first GETs the pod, then opens its WebSocket. Met (1.12×). Two regressions were found and fixed on the way: the first dynamic import() of a Node module started Node\'s ES module loader (about 20 ms; the bundles now turn such imports into require()), and process.exit() could deadlock with V8\'s background compiler (nodejs/node#54918; the CLI now lets its event loop run out).',
    '1b':
      'Met (0.14×), at kubesim\'s floor: the bare `ws` client takes 24.7 ms, the engine 25.4 ms, with about 7 ms of its own CPU per click against kubectl\'s 150 ms per process. What is left is kubesim\'s exec path: the TLS handshake (about 4 ms), then creating and reaping the process (`spawn` of `true` is 10 to 14 ms of wall time on this VM, about half of it blocking kubesim\'s thread). Before this run kubesim also scanned /proc each time an exec ended, about 10 ms of its CPU right between the exit status and the close, which every client waited for; it now forgets ended process trees in one delayed scan.',
    '2':
      'Met (0.14×). The engine opens one TTY exec of the remembered shell on a warm client; kubectl pays its process start, a pod GET and a new TLS connection first.',
    '3':
      'Met: the engine\'s p99 is below kubectl\'s. Both measure the same remote PTY echo; kubectl adds its process, the local PTY and Go\'s scheduler on the path. The p99 of either is scheduler noise on a shared 2-core machine (a few ms spread between rounds).',
    '4':
      'kubesim, and our client\'s share of the two cores. The bare `ws` reader (117 MiB/s) is slower than either client, and kubesim spends the same ~1.45 s of CPU per 256 MiB whoever reads, so the rate is set by how much CPU kubesim gets. Our CLI uses 0.84 s of CPU per 256 MiB against kubectl\'s 0.65 s, which leaves kubesim a little less: 0.95× in this run (0.91× and 0.98× in earlier ones), with the min/max ranges overlapping. Profile of our side: `ws` reassembles each 64 KiB frame from the 16 KiB pieces that TLS hands up, copying it into a fresh buffer (about 160 ms and most of the page faults), then garbage collection of those buffers (about 110 ms). Beating kubectl here would take a frame parser of our own that reads frames in place. Peak RSS 127 MiB (target met).',
    '5':
      'CPU per byte on our side, now 0.55 s per 64 MiB (from 0.9 s before this work; kubectl 0.20 s), with kubesim\'s ~0.8 s about the same for both. What was done: `ws` masks with a word-at-a-time function instead of its byte loop (the native `bufferutil` is not available to an extension); stdin frames are built in one reused buffer and go out frame by frame as the socket takes them, so no fresh 64 KiB buffer per frame and no copying of queued frames into one write (page faults on new memory had been a third of the CPU); mask keys come from a pool; the CLI reads a stdin file through two reused 1 MiB buffers. The ratio went from 0.80× to 0.89× (0.86× to 0.90× over this session\'s runs). What is left: Node\'s start, TLS encryption, and the copy `ws` makes of every frame into a fresh buffer while masking it. The next step would be to write pre-masked frames from reused buffers straight to the socket, past `ws`\'s sender; that relies on `ws` internals and was not done.',
    '6':
      'Met by a wide margin. The engine parses each 500-pod page with `JSON.parse` and summarises pods without client-node\'s ObjectSerializer; the first page (a namespace expand) is one request of 200 pods, 29 ms. `kubectl get pods -A -o json` spends 7.3 s of CPU decoding the 10,000 pods and encoding them again as JSON, and peaks at 507 MiB against the engine\'s 187 MiB.',
    '7':
      'Met: 5.8× faster than the sequential loop and 4.5× faster than `xargs -P 10`. kubesim spends about 30 ms of CPU per exec in one thread (TLS, the process spawn, the session), so 100 execs cost it about 3 s whoever asks; the engine finished in 2.7 s with 10 sessions at a time. The previous run missed (3.9×) because kubesim also scanned /proc once per ended exec; it now does that once for many, a second later.',
    '8':
      'Met: 32 ms to load and activate (25 ms `require`, 7 ms `activate()`), from 358 ms. Activation reads the kubeconfig with our own small YAML reader and checks entries the way client-node does, without loading client-node; client-node is bundled apart (dist/client-node.js, only `KubeConfig` and what it needs) and loaded with `ws`, https and the other network modules on the first request to a cluster. esbuild\'s CommonJS interop had also copied the `vscode` module\'s ~300 properties once per importing module (20 times); it is now done once. A test checks that activating the release bundle loads none of client-node, ws, http(s), tls, net or crypto. VSIX 1.1 MiB, about 0.7 MiB of it README screenshots.',
    '9':
      'Met in all three runs (medians 124, 117 and 113 MiB against the 150 MiB bound; kubectl about 50 MiB). What the CLI holds while its reader stalls is small and fixed: read live at the end of a stall (`test/integration/cli-memory.test.ts`), its high-water mark is 65 to 73 MiB, of which about 58 MiB is Node and the bundle (what `exec -- true` peaks at), and it has read at most about 5 MiB by then; the rest waits in the cluster, or in the pipe or file. The peak comes afterwards, while the data flows: each 64 KiB frame passes through fresh buffers (`ws` reassembles every incoming frame into one and copies every outgoing frame while masking it; a pipe on stdin adds one per read), and V8 frees dead buffers only after memory outside its heap has grown by about 64 MiB, so at the peak 60 to 70 MiB of them sit on top of the baseline (`process.memoryUsage().external`; the heap itself stays near 11 MiB). Over this session\'s runs the peak ranged from 100 to 141 MiB, depending on when the collector ran. kubectl reuses its buffers and stays near 50 MiB. Coming closer to it means fewer fresh buffers per frame (the frame parser and the pre-masked writes named under 4 and 5), not different backpressure.',
  },
  discussion: `## kubesim's own ceiling

kubesim is a single Node process; every byte and every exec goes through one thread of it. What a
bare client gets from it (rows marked \\*):

- **Exec latency:** a bare \`ws\` client doing \`exec -- true\` takes 24.7 ms (median), with about
  20 to 30 ms of kubesim CPU per exec. That is the floor under scenarios 1b and 7.
- **Output:** a bare \`ws\` reader gets 117 MiB/s, with kubesim spending about 1.4 s of CPU per
  256 MiB. Our CLI (152) and kubectl (161) are both above it: the bare reader spends more CPU of its
  own (1.6 s), which kubesim then lacks. Output rates are set by how the two cores are shared.
- **Upload:** kubesim spends about 0.8 to 0.95 s of CPU per 64 MiB whoever sends; the bare writer is a
  plain Node client with more per-byte cost than ours, so it bounds nothing here (see scenario 5).

A ratio at the ceiling says the server is the limit, not that the two clients are equal; the CPU
columns (ours and kubesim's, per round) show where the time went on a machine where every process
competes for the same two cores.

## Reading the numbers

- All processes (kubesim, the client, the command in the container, and other engineers' jobs)
  share two cores. The CPU-time rows are steadier than wall times under such sharing.
- In-process numbers (1b, 2, 3, 6 first page/full model, 7 engine) exclude Node's start and module
  loading, as in the extension host where the engine is already loaded; whole-process numbers
  (1a, 4, 5, 6 RSS and kubectl) include everything from spawn to exit.
- Everything runs against kubesim, not a real API server and kubelet: absolute exec latencies on a
  real cluster are higher (API server → kubelet → runtime), and the ratios that kubesim bounds
  here would be bounded by that path there.
`,
};
