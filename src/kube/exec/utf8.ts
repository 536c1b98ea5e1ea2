// Turning the container's bytes into text for a terminal. Frames are cut wherever the
// server's buffers happened to end, so a multi-byte character may arrive in two (or four)
// pieces; decoding each frame on its own would turn those into U+FFFD.
import type { Readable } from 'node:stream';

/** A streaming UTF-8 decoder: keeps an incomplete trailing sequence until the next chunk. */
export class Utf8StreamDecoder {
  private readonly decoder = new TextDecoder('utf-8');

  /** Text of every complete character so far; may be '' when the chunk ended mid-character. */
  write(chunk: Uint8Array): string {
    return this.decoder.decode(chunk, { stream: true });
  }

  /** Whatever is left; an incomplete sequence at the very end becomes U+FFFD. */
  end(): string {
    return this.decoder.decode();
  }
}

/**
 * Calls `onText` with the decoded text of every chunk of `readable`, never splitting a
 * character. Returns a function that stops listening (pending partial bytes are dropped).
 * `onEnd` runs after the last text, when the stream ends.
 */
export function decodeUtf8(readable: Readable, onText: (text: string) => void, onEnd?: () => void): () => void {
  const decoder = new Utf8StreamDecoder();
  const onData = (chunk: Buffer | string): void => {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (text) onText(text);
  };
  const onFinish = (): void => {
    detach();
    const tail = decoder.end();
    if (tail) onText(tail);
    onEnd?.();
  };
  const detach = (): void => {
    readable.off('data', onData);
    readable.off('end', onFinish);
  };
  if (readable.readableEnded) {
    queueMicrotask(() => onEnd?.());
    return () => {};
  }
  readable.on('data', onData);
  readable.on('end', onFinish);
  return detach;
}
