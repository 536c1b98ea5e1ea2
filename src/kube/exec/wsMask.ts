// WebSocket masking for `ws`, a word at a time. A client must mask every frame it sends with a
// random 4-byte key (RFC 6455 5.3); `ws` does it byte by byte in JavaScript unless the native
// `bufferutil` package is installed, which an extension cannot count on. On stdin uploads that
// loop was the largest cost of our own: the release build gives `ws` this module in place of
// `bufferutil` (same two functions), about seven times faster.

/** XORs `length` bytes of `source` with `mask` into `output` at `offset`. */
export function mask(source: Uint8Array, key: Uint8Array, output: Uint8Array, offset: number, length: number): void {
  output.set(source.subarray(0, length), offset);
  xorInPlace(output, offset, length, key);
}

/** Unmasks `buffer` in place. */
export function unmask(buffer: Uint8Array, key: Uint8Array): void {
  xorInPlace(buffer, 0, buffer.length, key);
}

function xorInPlace(bytes: Uint8Array, offset: number, length: number, key: Uint8Array): void {
  // Byte by byte up to a 4-byte boundary of the underlying memory, then whole words with the
  // key rotated to match, then the tail.
  const address = bytes.byteOffset + offset;
  const head = Math.min(length, (4 - (address & 3)) & 3);
  let i = 0;
  for (; i < head; i++) bytes[offset + i] ^= key[i & 3]!;
  const words = (length - i) >>> 2;
  if (words > 0) {
    // Little-endian, as every platform Node runs on for us (x64, arm64).
    const word = (key[i & 3]! | (key[(i + 1) & 3]! << 8) | (key[(i + 2) & 3]! << 16) | (key[(i + 3) & 3]! << 24)) >>> 0;
    const view = new Uint32Array(bytes.buffer, address + i, words);
    for (let k = 0; k < words; k++) view[k] ^= word;
    i += words * 4;
  }
  for (; i < length; i++) bytes[offset + i] ^= key[i & 3]!;
}
