// kubesim's ceiling: the least a Node client can do to run an exec over v5.channel.k8s.io
// with `ws` (no streams, no keepalive, no status parsing beyond "Success"). What it reaches is
// what kubesim and loopback allow, so a ratio of ours to kubectl is not read as kubesim's limit.
// bareWsChild.ts runs it as a process of its own.
import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { KubeConfigLike } from '../src/kube/exec/connect.ts';
import { resolveEndpoint, subresourcePath } from '../src/kube/exec/connect.ts';
import type { PodRef } from './engineProtocol.ts';

export interface BareResult {
  ms: number;
  /** Bytes received on stdout. */
  bytes: number;
  stdout: string;
}

const HIGH_WATER = 4 * 2 ** 20;

export async function bareExec(kubeConfig: KubeConfigLike, target: PodRef, command: string[], stdinFile?: string): Promise<BareResult> {
  const started = performance.now();
  const endpoint = await resolveEndpoint(kubeConfig).endpoint;
  const path = subresourcePath({ ...target, subresource: 'exec', command, stdin: stdinFile !== undefined, stdout: true, stderr: true, tty: false });
  const ws = new WebSocket(endpoint.server + path, ['v5.channel.k8s.io'], { ...endpoint.options, perMessageDeflate: false, skipUTF8Validation: true });
  let bytes = 0;
  let head = '';
  let status = '';
  let stderr = '';
  ws.on('message', (data: Buffer) => {
    const channel = data[0];
    if (channel === 1) {
      bytes += data.length - 1;
      if (head.length < 256) head += data.toString('utf8', 1, Math.min(data.length, 257));
    } else if (channel === 2) stderr += data.toString('utf8', 1);
    else if (channel === 3) status += data.toString('utf8', 1);
  });
  const closed = new Promise<void>((resolve, reject) => {
    ws.on('close', () => resolve());
    ws.on('error', reject);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  if (stdinFile) {
    for await (const chunk of createReadStream(stdinFile, { highWaterMark: 64 * 1024 })) {
      const frame = Buffer.allocUnsafe((chunk as Buffer).length + 1);
      frame[0] = 0;
      (chunk as Buffer).copy(frame, 1);
      if (ws.bufferedAmount > HIGH_WATER) await new Promise<void>((r) => ws.send(frame, () => r()));
      else ws.send(frame);
    }
    ws.send(Buffer.from([255, 0]));
  }
  await closed;
  const ms = performance.now() - started;
  if (!status.includes('"Success"')) throw new Error(`bare exec ${command.join(' ')} in ${target.pod} did not succeed: ${status || stderr || 'no status'}`);
  return { ms, bytes, stdout: head };
}
