import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CLOSE,
  DEFAULT_PROTOCOLS,
  ERROR,
  RESIZE,
  STDERR,
  STDIN,
  STDOUT,
  decodeFrame,
  encodeBase64Frame,
  encodeBinaryFrame,
  encodeCloseFrame,
  encodeFrame,
  frameChannel,
  framePayload,
  protocolInfo,
  resizePayload,
} from '../../src/kube/exec/frames.ts';

test('channel numbers are the ones of the Kubernetes protocol', () => {
  assert.deepEqual([STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE], [0, 1, 2, 3, 4, 255]);
  assert.deepEqual(DEFAULT_PROTOCOLS, ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io']);
});

test('protocolInfo knows what each subprotocol can do', () => {
  const cases: Array<[string, number, boolean, boolean, boolean, boolean]> = [
    // name, version, base64, resize, jsonStatus, closeStream
    ['channel.k8s.io', 1, false, true, false, false],
    ['base64.channel.k8s.io', 1, true, true, false, false],
    ['v2.channel.k8s.io', 2, false, true, false, false],
    ['v3.channel.k8s.io', 3, false, true, false, false],
    ['v4.channel.k8s.io', 4, false, true, true, false],
    ['v4.base64.channel.k8s.io', 4, true, true, true, false],
    ['v5.channel.k8s.io', 5, false, true, true, true],
  ];
  for (const [name, version, base64, resize, jsonStatus, closeStream] of cases) {
    assert.deepEqual(protocolInfo(name), { name, version, base64, resize, jsonStatus, closeStream }, name);
  }
  assert.equal(protocolInfo('SPDY/3.1'), undefined);
  assert.equal(protocolInfo(''), undefined);
  assert.equal(protocolInfo('v0.channel.k8s.io'), undefined);
});

test('binary frames: channel byte then the payload, decoded without copying', () => {
  const frame = encodeBinaryFrame(STDIN, Buffer.from('hello'));
  assert.deepEqual([...frame], [0, ...Buffer.from('hello')]);
  const part = encodeBinaryFrame(STDIN, Buffer.from('hello world'), 6, 11);
  assert.equal(part.subarray(1).toString(), 'world');

  const received = Buffer.from([STDOUT, 0xe2, 0x82, 0xac]);
  assert.equal(frameChannel(received, false), STDOUT);
  const payload = framePayload(received, false);
  assert.equal(payload.toString('utf8'), '€');
  assert.equal(payload.buffer, received.buffer, 'payload is a view into the received frame');
  assert.deepEqual(decodeFrame(Buffer.from([STDERR, 0x41]), false), { channel: STDERR, payload: Buffer.from('A') });
});

test('empty frames (the "stream ready" signal) have no channel', () => {
  assert.equal(frameChannel(Buffer.alloc(0), false), -1);
  assert.equal(decodeFrame(Buffer.alloc(0), false), undefined);
  assert.equal(framePayload(Buffer.from([STDOUT]), false).length, 0);
  assert.equal(framePayload(Buffer.from('1'), true).length, 0);
});

test('base64 frames: ASCII channel digit then base64, both ways', () => {
  const bytes = Buffer.from([0, 1, 2, 250, 255, 0x0a]);
  const text = encodeBase64Frame(STDIN, bytes);
  assert.equal(text, '0' + bytes.toString('base64'));
  assert.equal(encodeBase64Frame(RESIZE, bytes, 3, 5), '4' + Buffer.from([250, 255]).toString('base64'));
  assert.equal(encodeFrame(true, STDIN, Buffer.from('ls\n')), '0bHMK');
  assert.deepEqual(encodeFrame(false, STDIN, Buffer.from('ls\n')), Buffer.from([0, 0x6c, 0x73, 0x0a]));

  const received = Buffer.from('2' + Buffer.from('oops\n').toString('base64'), 'latin1');
  assert.equal(frameChannel(received, true), STDERR);
  assert.equal(framePayload(received, true).toString(), 'oops\n');
  assert.deepEqual(decodeFrame('3' + Buffer.from('{"status":"Success"}').toString('base64'), true), {
    channel: ERROR,
    payload: Buffer.from('{"status":"Success"}'),
  });
  assert.throws(() => encodeBase64Frame(CLOSE, Buffer.from([0])), /cannot be sent/);
});

test('round trip of random payloads in both framings', () => {
  for (let n = 0; n < 50; n++) {
    const bytes = Buffer.from(Array.from({ length: n * 7 }, (_, i) => (i * 31 + n) & 0xff));
    for (const base64 of [false, true]) {
      const encoded = encodeFrame(base64, STDOUT, bytes);
      const asBuffer = typeof encoded === 'string' ? Buffer.from(encoded, 'latin1') : encoded;
      assert.equal(frameChannel(asBuffer, base64), STDOUT);
      assert.deepEqual(framePayload(asBuffer, base64), bytes);
    }
  }
});

test('v5 CLOSE and resize payloads', () => {
  assert.deepEqual([...encodeCloseFrame(STDIN)], [255, 0]);
  assert.equal(resizePayload(120, 40).toString(), '{"Width":120,"Height":40}');
  assert.deepEqual(JSON.parse(resizePayload(80, 24).toString()), { Width: 80, Height: 24 });
});
