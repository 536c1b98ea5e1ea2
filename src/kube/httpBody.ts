// Reading an HTTP response body as text: whole (a JSON answer), or as much of an error body as
// is worth showing (a refusal's Status), in one place for REST requests, exec and port-forward.
import type { Readable } from 'node:stream';

/** A refusal's body beyond this is not going to help anyone read it. */
const ERROR_BODY_LIMIT = 64 * 1024;

/** The whole body as text; rejects if the stream breaks. */
export async function readBody(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The first 64 KiB of an error response's body as text. Never rejects: a body cut off by a
 * broken connection gives what arrived, which is still the best explanation there is.
 */
export function readErrorBody(stream: Readable): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      const buffer = Buffer.concat(chunks);
      resolve((size > ERROR_BODY_LIMIT ? buffer.subarray(0, ERROR_BODY_LIMIT) : buffer).toString('utf8'));
    };
    stream.on('data', (chunk: Buffer) => {
      if (size < ERROR_BODY_LIMIT) chunks.push(chunk);
      size += chunk.length;
    });
    stream.once('end', done);
    stream.once('error', done);
    stream.once('close', done);
  });
}
