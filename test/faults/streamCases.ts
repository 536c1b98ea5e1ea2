// Fault catalogue, group 3: the connection and the exec stream. Servers that refuse, accept and
// say nothing, or speak plain HTTP on an https URL; upgrades answered with the wrong
// subprotocol; channel.k8s.io sessions whose status frame is truncated or malformed, whose exit
// code cannot be one, that send unknown channels, close without a status or with odd codes,
// stall or reset half way through.
import { exitStatus, SUCCESS, type ExecStream, type StreamStep } from './faultServer.ts';
import { hostOf, type Case } from './harness.ts';

const RUN = ['web-0', '--', 'true'];
const stream = (steps: StreamStep[], protocol?: string | null): { exec: ExecStream } => ({ exec: { kind: 'stream', steps, protocol } });
/** Output first, so that a fault after it is a fault mid-stream. */
const OUT: StreamStep = { out: 1, data: 'a\n' };
const SPDY = 'kubectl 1.32 takes only v5.channel.k8s.io over WebSocket; on anything else it retries over SPDY, which the fault server refuses, so its answer is about that';
/** How long ours may take where a server stops answering: kubectl gives up after 45 s (issue 10, item 3). */
const HANG_MS = 50_000;

export const streamCases: Case[] = [
  // The hanging ones first: they take longest, and overlap with the rest.
  {
    // Issue 10, item 3: 124 s today; kubectl gives up after 45 s (TLS handshake timeout, retried).
    name: 'a server that accepts TCP and never answers: bounded, naming the server and the TLS handshake',
    server: { transport: 'tcp-silent' },
    args: RUN,
    expect: { code: 1, cause: (c) => [hostOf(c), /TLS handshake/i], withinMs: HANG_MS, maxConnections: 1 },
  },
  {
    name: 'pods: a server that accepts TCP and never answers: bounded, naming the server and the TLS handshake',
    command: 'pods',
    server: { transport: 'tcp-silent' },
    args: [],
    expect: { code: 1, cause: (c) => [hostOf(c), /TLS handshake/i], withinMs: HANG_MS, maxConnections: 1 },
  },
  {
    name: 'pods: an https:// server that speaks plain HTTP',
    command: 'pods',
    server: { transport: 'plain-on-https' },
    args: [],
    expect: { code: 1, cause: (c) => [hostOf(c), /HTTPS|TLS/] },
  },
  {
    name: 'a server that completes TLS and never answers: bounded, naming the server and the phase',
    server: { transport: 'tls-silent' },
    args: RUN,
    expect: { code: 1, cause: (c) => [hostOf(c), /upgrade|response|answer/i], withinMs: HANG_MS, maxConnections: 1 },
    kubectlBad: 'kubectl retries discovery four times, 32 s each (133 s in all)',
    kubectlBudgetMs: HANG_MS,
  },
  {
    name: 'the exec upgrade is never answered (the pod lookup is): bounded, naming the server and the upgrade',
    server: { exec: { kind: 'hang' } },
    args: RUN,
    expect: { code: 1, cause: (c) => [hostOf(c), /upgrade|response|answer/i], withinMs: HANG_MS },
    kubectlBad: 'kubectl waits for the answer to the upgrade forever',
    kubectlBudgetMs: HANG_MS,
  },
  {
    name: 'the stream stalls mid-way (no frames, no pongs): connection lost after the keepalive timeout',
    server: stream([OUT, { wait: 100 }, { stall: true }]),
    args: RUN,
    expect: { code: 1, stdout: 'a\n', cause: [/ping|keepalive|lost|not answer/i], withinMs: HANG_MS },
    // kubectl's read deadline on the stream is 61 s.
    kubectlBudgetMs: 70_000,
  },
  {
    name: 'connection refused',
    server: { transport: 'refused' },
    args: RUN,
    expect: { code: 1, cause: (c) => [hostOf(c), /refused/] },
  },
  {
    name: 'the server resets every connection',
    server: { transport: 'tcp-reset' },
    args: RUN,
    expect: { code: 1, cause: (c) => [hostOf(c), /reset|closed/i] },
  },
  {
    // Issue 10, item 9: OpenSSL's "wrong version number:../deps/openssl/..." today.
    name: 'plain HTTP on an https:// URL: a sentence, not OpenSSL internals',
    server: { transport: 'plain-on-https' },
    args: RUN,
    expect: { code: 1, cause: (c) => [hostOf(c), /HTTPS|TLS/] },
  },
  {
    name: 'the exec upgrade is answered by a connection reset',
    server: { exec: { kind: 'reset' } },
    args: RUN,
    expect: { code: 1, cause: (c) => [hostOf(c), /reset|closed/i] },
  },
  {
    name: '101 with a subprotocol that was not offered',
    server: stream([OUT, { status: SUCCESS }, { close: 1000 }], 'v9.fake.k8s.io'),
    args: RUN,
    expect: { code: 1, stdout: '', cause: [/subprotocol|protocol/i] },
    kubectlBad: SPDY,
  },
  {
    name: '101 without a subprotocol',
    server: stream([OUT, { status: SUCCESS }, { close: 1000 }], null),
    args: RUN,
    expect: { code: 1, stdout: '', cause: [/subprotocol|protocol/i] },
    kubectlBad: SPDY,
  },
  {
    name: '101 with base64.channel.k8s.io (offered by neither client), then a bad base64 frame',
    server: stream([{ frame: '1!!!not base64!!!' }, { status: SUCCESS }, { close: 1000 }], 'base64.channel.k8s.io'),
    args: RUN,
    expect: { code: 1, stdout: '', cause: [/subprotocol|protocol/i] },
    kubectlBad: SPDY,
  },
  {
    // Issue 10, item 7: the raw text was the message.
    name: 'a truncated status frame is a protocol error',
    server: stream([OUT, { status: '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit co' }, { close: 1000 }]),
    args: RUN,
    expect: { code: 1, stdout: 'a\n', cause: [/protocol/i], notCause: [/^error: \{/] },
  },
  {
    name: 'a status frame that is not JSON is a protocol error',
    server: stream([OUT, { status: 'this is not JSON' }, { close: 1000 }]),
    args: RUN,
    expect: { code: 1, stdout: 'a\n', cause: [/protocol/i] },
  },
  {
    name: 'a status frame that is a JSON array is a protocol error',
    server: stream([{ status: '[1,2,3]' }, { close: 1000 }]),
    args: RUN,
    expect: { code: 1, cause: [/protocol/i], notCause: [/^error: \[/] },
  },
  {
    name: 'a Failure status without message or reason: a protocol error, not raw JSON',
    server: stream([{ status: { metadata: {}, status: 'Failure' } }, { close: 1000 }]),
    args: RUN,
    expect: { code: 1, cause: [/protocol|failure/i], notCause: [/^error: \{/] },
    kubectlBad: 'kubectl prints "error: " with nothing after it',
  },
  {
    name: 'a Failure status with a message (the runtime could not start the command)',
    server: stream([{ status: { metadata: {}, status: 'Failure', reason: 'InternalError', message: 'Internal error occurred: error executing command in container: failed to exec in container: container is stopping' } }, { close: 1000 }]),
    args: RUN,
    expect: { code: 1, cause: [/container is stopping/] },
  },
  {
    // Issue 10, item 2: exit code 0 today.
    name: 'NonZeroExitCode with exit code 256 is not success',
    server: stream([{ status: exitStatus(256) }, { close: 1000 }]),
    args: RUN,
    expect: { code: 1, cause: [/256/] },
  },
  {
    name: 'NonZeroExitCode with exit code -1 is not "exit code 1"',
    server: stream([{ status: exitStatus(-1) }, { close: 1000 }]),
    args: RUN,
    expect: { code: 1, cause: [/-1/] },
  },
  {
    name: 'NonZeroExitCode with exit code "abc"',
    server: stream([{ status: exitStatus('abc') }, { close: 1000 }]),
    args: RUN,
    expect: { code: 1, cause: [/abc/] },
  },
  {
    name: 'NonZeroExitCode 3 on v4.channel.k8s.io: the exit code passes through',
    server: stream([{ frame: Buffer.from([1]) }, { out: 1, data: 'v4\n' }, { status: exitStatus(3) }, { close: 1000 }], 'v4.channel.k8s.io'),
    args: RUN,
    expect: { code: 3, stdout: 'v4\n', cause: [/^command terminated with exit code 3$/] },
    kubectlBad: SPDY,
  },
  {
    name: 'a frame on an unknown channel is ignored',
    server: stream([{ frame: Buffer.from([7, 0x41, 0x42]) }, OUT, { status: SUCCESS }, { close: 1000 }]),
    args: RUN,
    expect: { ok: true, stdout: 'a\n' },
  },
  {
    name: 'frames with a channel and no payload are ignored',
    server: stream([{ frame: Buffer.from([1]) }, { frame: Buffer.from([2]) }, { frame: Buffer.from([3]) }, OUT, { status: SUCCESS }, { close: 1000 }]),
    args: RUN,
    expect: { ok: true, stdout: 'a\n' },
  },
  {
    name: 'a message without even a channel byte is ignored',
    server: stream([{ frame: Buffer.alloc(0) }, OUT, { status: SUCCESS }, { close: 1000 }]),
    args: RUN,
    expect: { ok: true, stdout: 'a\n' },
    kubectlBad: 'kubectl gives up with "error reading from error stream: read stream id: EOF", although the output and a Success status follow',
  },
  {
    name: 'closed (1000) without a status: not success',
    server: stream([OUT, { close: 1000 }]),
    args: RUN,
    expect: { code: 1, stdout: 'a\n', cause: [/exit status|status/i] },
    kubectlBad: 'kubectl exits 0: a session that ends without its exit status counts as success',
  },
  {
    name: 'closed with code 4000 and a reason',
    server: stream([OUT, { close: 4000, reason: 'weird' }]),
    args: RUN,
    expect: { code: 1, stdout: 'a\n', cause: [/4000/] },
  },
  {
    name: 'closed with code 1011 (internal error)',
    server: stream([OUT, { close: 1011, reason: 'internal' }]),
    args: RUN,
    expect: { code: 1, stdout: 'a\n', cause: [/1011/] },
  },
  {
    name: 'a close frame with the reserved code 1005 on the wire',
    server: stream([OUT, { rawClose: 1005 }]),
    args: RUN,
    expect: { code: 1, stdout: 'a\n', cause: [/1005/] },
  },
  {
    name: 'a close frame with the invalid code 999',
    server: stream([OUT, { rawClose: 999 }]),
    args: RUN,
    expect: { code: 1, stdout: 'a\n', cause: [/999/] },
  },
  {
    name: 'the connection is reset mid-stream',
    server: stream([OUT, { wait: 100 }, { reset: true }]),
    args: RUN,
    expect: { code: 1, stdout: 'a\n', cause: [/connection|reset/i] },
  },
  {
    name: 'the connection ends (FIN) mid-stream, without a close frame',
    server: stream([OUT, { wait: 100 }, { end: true }]),
    args: RUN,
    expect: { code: 1, stdout: 'a\n', cause: [/connection|closed/i] },
  },
];
