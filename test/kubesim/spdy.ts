// The server half of SPDY/3.1 as kubectl's port-forward speaks it (moby/spdystream on the client):
// frames, zlib-compressed header blocks with the SPDY/3 dictionary, streams with FIN half-closes,
// RST_STREAM, PING echo, GOAWAY. The same bytes travel over a raw upgraded socket (SPDY/3.1) or
// inside WebSocket binary messages ("SPDY/3.1+portforward.k8s.io", the tunnel the API server
// accepts since 1.31). Flow control is not modelled: spdystream ignores WINDOW_UPDATE too.
import { inflateSync, constants as zlibConstants } from 'node:zlib';

const VERSION = 3;
const TYPE_SYN_STREAM = 1;
const TYPE_SYN_REPLY = 2;
const TYPE_RST_STREAM = 3;
const TYPE_PING = 6;
const TYPE_GOAWAY = 7;
const FLAG_FIN = 0x01;
/** RST_STREAM status codes used here. */
export const RST_PROTOCOL_ERROR = 1;
export const RST_CANCEL = 5;
/** Data frames at most this large (spdystream accepts up to 2^24-1; smaller keeps latency low). */
const MAX_DATA = 32 * 1024;

/** The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00, 2.6.10.1). */
const DICTIONARY = Buffer.concat([
  lengthPrefixed(['options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding',
    'accept-language', 'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base',
    'content-encoding', 'content-language', 'content-length', 'content-location', 'content-md5', 'content-range',
    'content-type', 'date', 'etag', 'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since',
    'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'pragma',
    'proxy-authenticate', 'proxy-authorization', 'range', 'referer', 'retry-after', 'server', 'te', 'trailer',
    'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning', 'www-authenticate', 'method', 'get',
    'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive', 'origin']),
  Buffer.from(
    '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
      '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
      '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
      'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
      'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
      'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.',
    'latin1',
  ),
]);

function lengthPrefixed(words: string[]): Buffer {
  return Buffer.concat(words.map((w) => {
    const b = Buffer.alloc(4 + w.length);
    b.writeUInt32BE(w.length, 0);
    b.write(w, 4, 'latin1');
    return b;
  }));
}

function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** Exposed for tests: the dictionary must be byte-exact or the peer's inflate fails. */
export const SPDY_DICTIONARY_ADLER32 = adler32(DICTIONARY);
export const SPDY_DICTIONARY_LENGTH = DICTIONARY.length;

export type Headers = Map<string, string[]>;

/**
 * Header blocks one way of a connection: one zlib stream shared by every block. Incoming blocks
 * are inflated by re-inflating the whole stream so far (tiny for port-forward: a few dozen bytes
 * per stream) and keeping the new tail; outgoing blocks are stored (uncompressed) deflate blocks,
 * which any inflater reads.
 */
class HeaderDecoder {
  private compressed: Buffer[] = [];
  private produced = 0;

  decode(block: Buffer): Headers {
    this.compressed.push(block);
    const all = inflateSync(Buffer.concat(this.compressed), { dictionary: DICTIONARY, finishFlush: zlibConstants.Z_SYNC_FLUSH });
    const fresh = all.subarray(this.produced);
    this.produced = all.length;
    return parseHeaderBlock(fresh);
  }
}

class HeaderEncoder {
  private started = false;

  encode(headers: Headers): Buffer {
    const raw = serializeHeaderBlock(headers);
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      // CMF 0x78 (deflate, 32K window), FLG with FDICT, then the dictionary's Adler-32.
      const cmf = 0x78;
      let flg = 0x20;
      flg += 31 - (((cmf << 8) | flg) % 31);
      const id = Buffer.alloc(4);
      id.writeUInt32BE(SPDY_DICTIONARY_ADLER32, 0);
      parts.push(Buffer.from([cmf, flg]), id);
    }
    for (let offset = 0; offset < raw.length; offset += 0xffff) parts.push(storedBlock(raw.subarray(offset, offset + 0xffff)));
    // An empty stored block ends each header block, as a zlib sync flush does: without it Go's
    // inflater reads on into the next frame looking for the end of the data.
    parts.push(storedBlock(Buffer.alloc(0)));
    return Buffer.concat(parts);
  }
}

/** A non-final stored deflate block (BFINAL=0, BTYPE=00, padded to the byte boundary). */
function storedBlock(data: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt16LE(data.length, 1);
  head.writeUInt16LE(~data.length & 0xffff, 3);
  return Buffer.concat([head, data]);
}

function parseHeaderBlock(data: Buffer): Headers {
  const headers: Headers = new Map();
  if (data.length < 4) return headers;
  let pos = 0;
  const count = data.readUInt32BE(pos);
  pos += 4;
  for (let i = 0; i < count && pos + 4 <= data.length; i++) {
    const nameLength = data.readUInt32BE(pos);
    const name = data.toString('latin1', pos + 4, pos + 4 + nameLength).toLowerCase();
    pos += 4 + nameLength;
    const valueLength = data.readUInt32BE(pos);
    const value = data.toString('latin1', pos + 4, pos + 4 + valueLength);
    pos += 4 + valueLength;
    headers.set(name, [...(headers.get(name) ?? []), ...value.split('\0')]);
  }
  return headers;
}

function serializeHeaderBlock(headers: Headers): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  count.writeUInt32BE(headers.size, 0);
  parts.push(count);
  for (const [name, values] of headers) {
    for (const text of [name.toLowerCase(), values.join('\0')]) {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(Buffer.byteLength(text, 'latin1'), 0);
      parts.push(len, Buffer.from(text, 'latin1'));
    }
  }
  return Buffer.concat(parts);
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(payload.length, 4);
  head[4] = flags;
  return Buffer.concat([head, payload]);
}

function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head.writeUInt32BE(data.length, 4);
  head[4] = flags;
  return Buffer.concat([head, data]);
}

/** How a connection's bytes leave: a socket write, or one WebSocket message per call. */
export interface SpdyTransport {
  write(data: Buffer): void;
  /** Ends the connection (after what was written). */
  close(): void;
}

export class SpdyStream {
  readonly id: number;
  readonly headers: Headers;
  private readonly connection: SpdyConnection;
  /** We sent FIN (or a reset): no more writes. */
  private localClosed = false;
  /** The peer sent FIN or a reset. */
  remoteClosed = false;
  onData: (data: Buffer) => void = () => undefined;
  /** The peer will send no more (FIN). */
  onEnd: () => void = () => undefined;
  /** The peer reset the stream, or the connection went away. */
  onReset: () => void = () => undefined;

  constructor(connection: SpdyConnection, id: number, headers: Headers) {
    this.connection = connection;
    this.id = id;
    this.headers = headers;
  }

  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }

  write(data: Buffer): void {
    if (this.localClosed) return;
    for (let offset = 0; offset < data.length; offset += MAX_DATA) {
      this.connection.send(dataFrame(this.id, 0, data.subarray(offset, offset + MAX_DATA)));
    }
  }

  /** Half-closes our side: an empty DATA frame with FIN, as spdystream's Stream.Close(). */
  end(): void {
    if (this.localClosed) return;
    this.localClosed = true;
    this.connection.send(dataFrame(this.id, FLAG_FIN, Buffer.alloc(0)));
    this.connection.maybeForget(this);
  }

  reset(status = RST_CANCEL): void {
    if (this.localClosed && this.remoteClosed) return;
    this.localClosed = true;
    this.remoteClosed = true;
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(this.id & 0x7fffffff, 0);
    payload.writeUInt32BE(status, 4);
    this.connection.send(controlFrame(TYPE_RST_STREAM, 0, payload));
    this.connection.maybeForget(this);
  }

  get closed(): boolean {
    return this.localClosed && this.remoteClosed;
  }

  /** @internal */
  markLocalClosed(): void {
    this.localClosed = true;
  }
}

/**
 * One server-side SPDY connection. Feed it the peer's bytes with `push`; new streams are answered
 * with an empty SYN_REPLY (what the Kubernetes httpstream server does) and handed to `onStream`.
 */
export class SpdyConnection {
  private readonly transport: SpdyTransport;
  private readonly decoder = new HeaderDecoder();
  private readonly encoder = new HeaderEncoder();
  private readonly streams = new Map<number, SpdyStream>();
  private buffer: Buffer = Buffer.alloc(0);
  private lastStreamId = 0;
  private ended = false;
  onStream: (stream: SpdyStream) => void = () => undefined;
  /** The connection is over (GOAWAY, transport closed, protocol error). */
  onClose: () => void = () => undefined;

  constructor(transport: SpdyTransport) {
    this.transport = transport;
  }

  get isClosed(): boolean {
    return this.ended;
  }

  /** @internal */
  send(frame: Buffer): void {
    if (!this.ended) this.transport.write(frame);
  }

  /** @internal */
  maybeForget(stream: SpdyStream): void {
    if (stream.closed) this.streams.delete(stream.id);
  }

  push(chunk: Buffer): void {
    if (this.ended) return;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 8 && !this.ended) {
      const length = this.buffer.readUIntBE(5, 3);
      if (this.buffer.length < 8 + length) return;
      const frame = this.buffer.subarray(0, 8 + length);
      this.buffer = this.buffer.subarray(8 + length);
      try {
        this.handle(frame);
      } catch {
        // A frame we cannot parse (bad header block): what spdystream does too, give up.
        this.goAway(1);
      }
    }
  }

  private handle(frame: Buffer): void {
    const flags = frame[4]!;
    const payload = frame.subarray(8);
    if ((frame[0]! & 0x80) === 0) {
      const id = frame.readUInt32BE(0) & 0x7fffffff;
      const stream = this.streams.get(id);
      if (!stream || stream.remoteClosed) return;
      if (payload.length > 0) stream.onData(Buffer.from(payload));
      if (flags & FLAG_FIN) this.remoteFinished(stream);
      return;
    }
    const type = frame.readUInt16BE(2);
    switch (type) {
      case TYPE_SYN_STREAM: {
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        const headers = this.decoder.decode(payload.subarray(10));
        if (id <= this.lastStreamId || id % 2 === 0) {
          const rst = Buffer.alloc(8);
          rst.writeUInt32BE(id, 0);
          rst.writeUInt32BE(RST_PROTOCOL_ERROR, 4);
          this.send(controlFrame(TYPE_RST_STREAM, 0, rst));
          return;
        }
        this.lastStreamId = id;
        const stream = new SpdyStream(this, id, headers);
        this.streams.set(id, stream);
        const reply = Buffer.alloc(4);
        reply.writeUInt32BE(id, 0);
        this.send(controlFrame(TYPE_SYN_REPLY, 0, Buffer.concat([reply, this.encoder.encode(new Map())])));
        if (flags & FLAG_FIN) stream.remoteClosed = true;
        this.onStream(stream);
        if (flags & FLAG_FIN) stream.onEnd();
        return;
      }
      case TYPE_RST_STREAM: {
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        const stream = this.streams.get(id);
        if (!stream) return;
        stream.remoteClosed = true;
        stream.markLocalClosed();
        this.streams.delete(id);
        stream.onReset();
        return;
      }
      case TYPE_PING:
        // Client pings carry odd ids; answer with the same frame.
        if (payload.length >= 4 && (payload.readUInt32BE(0) & 1) === 1) this.send(frame);
        return;
      case TYPE_GOAWAY:
        this.shutdown();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE, HEADERS: nothing to do for port-forward.
        return;
    }
  }

  private remoteFinished(stream: SpdyStream): void {
    stream.remoteClosed = true;
    stream.onEnd();
    this.maybeForget(stream);
  }

  /** Sends GOAWAY and closes the transport. */
  goAway(status = 0): void {
    if (this.ended) return;
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(this.lastStreamId, 0);
    payload.writeUInt32BE(status, 4);
    this.send(controlFrame(TYPE_GOAWAY, 0, payload));
    this.shutdown();
  }

  /** The transport is gone (or we are leaving): every open stream is reset locally. */
  shutdown(): void {
    if (this.ended) return;
    this.ended = true;
    for (const stream of this.streams.values()) {
      stream.remoteClosed = true;
      stream.markLocalClosed();
      stream.onReset();
    }
    this.streams.clear();
    this.transport.close();
    this.onClose();
  }
}

/** For tests: a client-side encoder of the frames kubectl sends. */
export const testing = {
  HeaderEncoder,
  HeaderDecoder,
  controlFrame,
  dataFrame,
  synStream(encoder: InstanceType<typeof HeaderEncoder>, id: number, headers: Record<string, string>, fin = false): Buffer {
    const head = Buffer.alloc(10);
    head.writeUInt32BE(id, 0);
    const block = encoder.encode(new Map(Object.entries(headers).map(([k, v]) => [k, [v]])));
    return controlFrame(TYPE_SYN_STREAM, fin ? FLAG_FIN : 0, Buffer.concat([head, block]));
  },
};
