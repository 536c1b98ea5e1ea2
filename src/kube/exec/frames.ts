// Framing of the Kubernetes exec/attach WebSocket subprotocols (`*.channel.k8s.io`).
// Every message carries one stream: the first byte names the channel, the rest is payload.
// Binary protocols send that as is; the base64 ones send a text frame with the channel as an
// ASCII digit followed by the payload in base64 (for clients that cannot do binary frames).

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
/** Errors, and from v4 on the final `Status` of the command. */
export const ERROR = 3;
/** Terminal size changes, as JSON `{"Width":..,"Height":..}`. */
export const RESIZE = 4;
/** v5 only: `[255, channel]` half-closes one stream, e.g. stdin EOF. */
export const CLOSE = 255;

export const PROTOCOL_V5 = 'v5.channel.k8s.io';
export const PROTOCOL_V4 = 'v4.channel.k8s.io';
export const PROTOCOL_V3 = 'v3.channel.k8s.io';
export const PROTOCOL_V2 = 'v2.channel.k8s.io';
export const PROTOCOL_V1 = 'channel.k8s.io';
export const PROTOCOL_BASE64 = 'base64.channel.k8s.io';
export const PROTOCOL_V4_BASE64 = 'v4.base64.channel.k8s.io';

/**
 * What we offer by default, best first. The API server's translating endpoint (1.30+) speaks
 * only v5; kubelets and older API servers proxying to them speak v4 and channel.k8s.io.
 */
export const DEFAULT_PROTOCOLS: readonly string[] = [PROTOCOL_V5, PROTOCOL_V4, PROTOCOL_V1];

export interface ProtocolInfo {
  readonly name: string;
  /** 1 for the unversioned names, otherwise the `vN.` prefix. */
  readonly version: number;
  readonly base64: boolean;
  /**
   * Channel 4 exists. In SPDY only from v3 on, but every WebSocket channel protocol of the
   * kubelet (and the API server's v5) defines all five channels, so always true here.
   */
  readonly resize: boolean;
  /** Channel 3 ends with a JSON Status, also on success (v4+); before that only errors, as text. */
  readonly jsonStatus: boolean;
  /** A single stream can be half-closed (v5+): the only way to send stdin EOF and keep the output. */
  readonly closeStream: boolean;
}

const PROTOCOL_NAME = /^(?:v(\d+)\.)?(base64\.)?channel\.k8s\.io$/;

/** Capabilities of a subprotocol name, or undefined when it is not a channel protocol. */
export function protocolInfo(name: string): ProtocolInfo | undefined {
  const match = PROTOCOL_NAME.exec(name);
  if (!match) return undefined;
  const version = match[1] === undefined ? 1 : Number(match[1]);
  if (!(version >= 1)) return undefined;
  const base64 = match[2] !== undefined;
  return {
    name,
    version,
    base64,
    resize: true,
    jsonStatus: version >= 4,
    // v5 defines CLOSE for binary frames only; there is no v5 base64 protocol.
    closeStream: version >= 5 && !base64,
  };
}

/** A binary frame: channel byte + payload (one copy of the payload, which is unavoidable). */
export function encodeBinaryFrame(channel: number, payload: Uint8Array, start = 0, end = payload.length): Buffer {
  const frame = Buffer.allocUnsafe(1 + end - start);
  frame[0] = channel;
  frame.set(payload.subarray(start, end), 1);
  return frame;
}

/** A base64 text frame: ASCII channel digit + base64 payload. */
export function encodeBase64Frame(channel: number, payload: Uint8Array, start = 0, end = payload.length): string {
  if (channel > 9) throw new RangeError(`channel ${channel} cannot be sent on a base64 channel protocol`);
  const bytes = Buffer.from(payload.buffer, payload.byteOffset + start, end - start);
  return String.fromCharCode(0x30 + channel) + bytes.toString('base64');
}

export function encodeFrame(base64: boolean, channel: number, payload: Uint8Array, start = 0, end = payload.length): Buffer | string {
  return base64 ? encodeBase64Frame(channel, payload, start, end) : encodeBinaryFrame(channel, payload, start, end);
}

/** The v5 CLOSE signal for one channel. */
export function encodeCloseFrame(channel: number): Buffer {
  return Buffer.from([CLOSE, channel]);
}

/** Channel of a received frame (binary: first byte; base64: ASCII digit), or -1 for an empty frame. */
export function frameChannel(data: Buffer, base64: boolean): number {
  if (data.length === 0) return -1;
  return base64 ? data[0] - 0x30 : data[0];
}

/**
 * Payload of a received frame. Binary frames give a view into `data` (no copy); base64 frames
 * are decoded into a new buffer.
 */
export function framePayload(data: Buffer, base64: boolean): Buffer {
  if (data.length <= 1) return data.subarray(data.length);
  return base64 ? Buffer.from(data.toString('latin1', 1), 'base64') : data.subarray(1);
}

export interface Frame {
  channel: number;
  payload: Buffer;
}

/** Convenience for callers off the hot path; undefined for an empty frame. */
export function decodeFrame(data: Buffer | string, base64: boolean): Frame | undefined {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  const channel = frameChannel(bytes, base64);
  if (channel < 0) return undefined;
  return { channel, payload: framePayload(bytes, base64) };
}

/** Channel-4 payload; built by hand because it is tiny and sent on every resize. */
export function resizePayload(columns: number, rows: number): Buffer {
  return Buffer.from(`{"Width":${columns},"Height":${rows}}`, 'latin1');
}
