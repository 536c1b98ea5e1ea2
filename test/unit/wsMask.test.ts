import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mask, unmask } from '../../src/kube/exec/wsMask.ts';

function byteByByte(source: Uint8Array, key: Uint8Array, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = source[i]! ^ key[i & 3]!;
  return out;
}

test('mask equals the byte-by-byte XOR at every alignment of source and output, and any length', () => {
  const key = Uint8Array.from([0x12, 0x34, 0x56, 0x78]);
  const backing = randomBytes(300);
  for (const sourceShift of [0, 1, 2, 3]) {
    for (const offset of [0, 1, 2, 3, 6, 10, 14]) {
      for (const length of [0, 1, 2, 3, 4, 5, 7, 31, 48, 65, 257]) {
        const source = new Uint8Array(backing.buffer, backing.byteOffset + sourceShift, length);
        const output = new Uint8Array(new ArrayBuffer(length + offset + 8), 3, length + offset + 4);
        output.fill(0xee);
        mask(source, key, output, offset, length);
        assert.deepEqual(Buffer.from(output.subarray(offset, offset + length)), byteByByte(source, key, length), `shift ${sourceShift}, offset ${offset}, length ${length}`);
        assert.ok(output.subarray(0, offset).every((b) => b === 0xee), 'bytes before the offset are untouched');
        assert.ok(output.subarray(offset + length).every((b) => b === 0xee), 'bytes after the payload are untouched');
      }
    }
  }
});

test('unmask undoes mask in place, at any alignment', () => {
  const key = randomBytes(4);
  for (const shift of [0, 1, 2, 3]) {
    const original = randomBytes(1000 + shift);
    const masked = Buffer.alloc(original.length + 8);
    mask(original, key, masked, shift, original.length);
    const view = masked.subarray(shift, shift + original.length);
    unmask(view, key);
    assert.deepEqual(Buffer.from(view), original);
  }
});
