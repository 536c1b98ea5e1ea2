import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { Utf8StreamDecoder, decodeUtf8 } from '../../src/kube/exec/utf8.ts';

// 4-byte characters (emoji, CJK extension B), 3-byte, 2-byte and ASCII, mixed.
const TEXT = '😀𠀋a€é😀😀b𝄞ü';
const BYTES = Buffer.from(TEXT, 'utf8');

test('a stream of multi-byte characters cut at every offset decodes intact', () => {
  for (let cut = 0; cut <= BYTES.length; cut++) {
    const decoder = new Utf8StreamDecoder();
    const text = decoder.write(BYTES.subarray(0, cut)) + decoder.write(BYTES.subarray(cut)) + decoder.end();
    assert.equal(text, TEXT, `cut at ${cut}`);
  }
});

test('cut into pieces of every size, including one byte at a time', () => {
  for (let size = 1; size <= 9; size++) {
    const decoder = new Utf8StreamDecoder();
    let text = '';
    for (let i = 0; i < BYTES.length; i += size) {
      const piece = decoder.write(BYTES.subarray(i, i + size));
      assert.ok(!piece.includes('\uFFFD'), `no replacement characters (size ${size})`);
      text += piece;
    }
    assert.equal(text + decoder.end(), TEXT, `pieces of ${size}`);
  }
});

test('a character never finished becomes U+FFFD at the end only', () => {
  const decoder = new Utf8StreamDecoder();
  assert.equal(decoder.write(Buffer.from([0x61, 0xf0, 0x9f])), 'a');
  assert.equal(decoder.end(), '\uFFFD');
});

test('decodeUtf8 follows a Readable, flushes at the end and can detach', async () => {
  const stream = new PassThrough();
  const seen: string[] = [];
  let ended = false;
  decodeUtf8(stream, (t) => seen.push(t), () => (ended = true));
  for (let i = 0; i < BYTES.length; i += 3) stream.write(BYTES.subarray(i, i + 3));
  stream.end();
  await new Promise((r) => stream.once('end', r));
  assert.equal(seen.join(''), TEXT);
  assert.ok(ended);

  const other = new PassThrough();
  const got: string[] = [];
  const stop = decodeUtf8(other, (t) => got.push(t));
  other.write('one ');
  await new Promise((r) => setImmediate(r));
  stop();
  other.write('two');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(got, ['one ']);
  other.destroy();
});
