import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExecStatus } from '../../src/kube/exec/status.ts';

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

test('garbage on a v4 channel 3 is reported as it came', () => {
  assert.deepEqual(parseExecStatus('{not json', true), { kind: 'error', message: '{not json' });
  assert.deepEqual(parseExecStatus('something broke', true), { kind: 'error', message: 'something broke' });
});
