import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isExitStatus, parseExecStatus, PROTOCOL_ERROR } from '../../src/kube/exec/status.ts';

const nonZero = (code: string) =>
  JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [sh -c exit ${code}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: code }] },
  });

test('v4/v5 Success is exit 0', () => {
  assert.deepEqual(parseExecStatus(Buffer.from('{"metadata":{},"status":"Success"}'), true), { kind: 'exit', code: 0 });
});

test('v4/v5 NonZeroExitCode gives the ExitCode cause', () => {
  for (const code of ['1', '3', '127', '255']) {
    assert.deepEqual(parseExecStatus(Buffer.from(nonZero(code)), true), { kind: 'exit', code: Number(code) });
  }
  // The cause's Go field is `Type`; a server that serialises it as "type" is understood too.
  const typed = JSON.stringify({ status: 'Failure', reason: 'NonZeroExitCode', message: 'x', details: { causes: [{ type: 'ExitCode', message: '9' }] } });
  assert.deepEqual(parseExecStatus(typed, true), { kind: 'exit', code: 9 });
});

test('NonZeroExitCode without a usable cause falls back to the message, else stays an error', () => {
  const noCause = JSON.stringify({ status: 'Failure', reason: 'NonZeroExitCode', message: 'command terminated with non-zero exit code: exit status 42' });
  assert.deepEqual(parseExecStatus(noCause, true), { kind: 'exit', code: 42 });
  const nothing = JSON.stringify({ status: 'Failure', reason: 'NonZeroExitCode', message: 'command terminated' });
  assert.deepEqual(parseExecStatus(nothing, true), { kind: 'error', message: 'command terminated', reason: 'NonZeroExitCode' });
});

test('InternalError keeps the runtime message, code and reason', () => {
  const message = 'Internal error occurred: error executing command in container: failed to exec in container: exec: "bash": executable file not found in $PATH';
  const status = JSON.stringify({ kind: 'Status', status: 'Failure', message, reason: 'InternalError', code: 500, details: { causes: [{ message: 'x' }] } });
  assert.deepEqual(parseExecStatus(Buffer.from(status), true), { kind: 'error', message, httpStatus: 500, reason: 'InternalError' });
});

test('v1-v3: errors are plain text, a non-zero exit is read from the text, silence is success', () => {
  assert.deepEqual(parseExecStatus(Buffer.from(''), false), { kind: 'exit', code: 0 });
  assert.deepEqual(parseExecStatus(Buffer.from('container not found ("nope")'), false), { kind: 'error', message: 'container not found ("nope")' });
  assert.deepEqual(
    parseExecStatus(Buffer.from('command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3'), false),
    { kind: 'exit', code: 3 },
  );
  assert.deepEqual(parseExecStatus('command terminated with non-zero exit code: Error executing in Docker Container: 127\n', false), { kind: 'exit', code: 127 });
  // A JSON-looking text on an old protocol is still just text.
  assert.deepEqual(parseExecStatus('{"status":"Success"}', false), { kind: 'error', message: '{"status":"Success"}' });
});

test('plain text on a v4 channel 3 is a protocol error quoting it', () => {
  const result = parseExecStatus('something broke', true);
  assert.ok(result.kind === 'error' && result.reason === PROTOCOL_ERROR, JSON.stringify(result));
  assert.match(result.message, /the exit status it sent is not JSON but text: "something broke"/);
});

test('a malformed or truncated v4 status is a protocol error that says what was wrong, never the raw text', () => {
  const server = 'https://10.0.0.1:6443';
  const full = nonZero('3');
  const cases: Array<[string, RegExp]> = [
    [full.slice(0, 40), /cut off after 40 bytes/],
    ['{not json', /not valid JSON/],
    ['[1,2]', /not a Kubernetes Status object/],
    ['"Success"', /not JSON but text/],
    ['{"status":"Maybe"}', /status "Maybe", neither "Success" nor "Failure"/],
    ['{"metadata":{}}', /status null, neither/],
  ];
  for (const [text, expected] of cases) {
    const result = parseExecStatus(text, true, server);
    assert.equal(result.kind, 'error', text);
    assert.ok(result.kind === 'error');
    assert.equal(result.reason, PROTOCOL_ERROR);
    assert.match(result.message, /^Protocol error: the API server at https:\/\/10\.0\.0\.1:6443 broke the exec protocol: /);
    assert.match(result.message, expected);
    if (text.startsWith('{') && text.length > 20) assert.ok(!result.message.includes(text.slice(0, 20)), `raw text echoed: ${result.message}`);
  }
});

test('exit codes out of range are kept as reported and never become success', () => {
  // Windows containers report codes above 255; kept, so the terminal shows them as they are.
  assert.deepEqual(parseExecStatus(nonZero('256'), true), { kind: 'exit', code: 256 });
  assert.deepEqual(parseExecStatus(nonZero('3221225477'), true), { kind: 'exit', code: 3221225477 });
  assert.deepEqual(parseExecStatus(nonZero('-1'), true), { kind: 'exit', code: -1 });
  // A failure whose code is 0, or not a number, is a broken status, not a success nor exit 1.
  for (const code of ['0', 'abc', '1.5', '']) {
    const result = parseExecStatus(nonZero(code), true);
    assert.equal(result.kind, 'error', `code ${JSON.stringify(code)}`);
    assert.ok(result.kind === 'error' && result.reason === PROTOCOL_ERROR);
  }
  // Old protocols: "-1" at the end of the text is -1, not 1.
  assert.deepEqual(parseExecStatus('command terminated with non-zero exit code: exit code -1', false), { kind: 'exit', code: -1 });
  assert.equal(isExitStatus(255), true);
  assert.equal(isExitStatus(256), false);
  assert.equal(isExitStatus(-1), false);
});
