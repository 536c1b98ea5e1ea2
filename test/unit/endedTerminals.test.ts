// What the terminals do with keys once their session has ended, with no editor: the shell,
// saved-command and log terminals with fake sessions, on a mocked clock. A line typed right
// after the end must not close the terminal (VS Code would focus the next one, and the rest of
// the line would go to another container), must not reconnect, and must reach no session; only
// a key pressed on its own acts.
import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import type { ExecResult } from '../../src/kube/exec/session.ts';
import { NoShellError } from '../../src/kube/exec/shell.ts';
import { CTRL_D, ENTER, EndedKeys, QUIET_MS } from '../../src/editor/endedKeys.ts';
import { LogTerminal } from '../../src/editor/logTerminal.ts';
import { CommandTerminal } from '../../src/editor/savedCommands/commandTerminal.ts';
import { ShellTerminal, type ShellConnector } from '../../src/editor/shellTerminal.ts';
import type { TerminalSession } from '../../src/editor/terminalIo.ts';
import type { LogEvent } from '../../src/kube/logs.ts';

/** A person typing: 80 ms a key. */
const KEY_GAP_MS = 80;

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

/** Lets promise callbacks and stream events run (setImmediate is not mocked). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

function typeKeys(into: { handleInput(data: string): void }, text: string): void {
  for (const key of text) {
    into.handleInput(key);
    mock.timers.tick(KEY_GAP_MS);
  }
}

/** A pause longer than the quiet window: what makes the next key a deliberate one. */
function pause(): void {
  mock.timers.tick(QUIET_MS + 1);
}

interface FakeSession {
  session: TerminalSession;
  /** What the terminal wrote to the session's stdin. */
  stdin: string[];
  end(result: ExecResult): void;
  closed(): boolean;
}

function fakeSession(): FakeSession {
  const stdin: string[] = [];
  let end!: (result: ExecResult) => void;
  let closed = false;
  const session: TerminalSession = {
    stdout: new PassThrough(),
    stdin: new Writable({ write(chunk: Buffer, _encoding, done) { stdin.push(chunk.toString()); done(); } }),
    result: new Promise<ExecResult>((resolve) => (end = resolve)),
    resize() {},
    close() {
      closed = true;
    },
  };
  return { session, stdin, end, closed: () => closed };
}

/** A Pseudoterminal's output and close as a test sees them. */
function watch(pty: { onDidWrite(l: (text: string) => void): unknown; onDidClose?: (l: (code: number | void) => void) => unknown }) {
  const seen = { text: '', closes: [] as Array<number | void> };
  pty.onDidWrite((text) => (seen.text += text));
  pty.onDidClose?.((code) => seen.closes.push(code));
  return seen;
}

// ---------------------------------------------------------------------------------------------
// The rule itself.

test('EndedKeys: the prompt shows once input pauses; typing postpones it and never acts', () => {
  const ran: string[] = [];
  const shown: string[] = [];
  const keys = new EndedKeys('PROMPT', [{ keys: [ENTER], run: () => ran.push('enter') }], (text) => shown.push(text));
  // A whole line typed from the moment the session ended, Enter included.
  for (const key of 'echo hi\r') {
    keys.input(key);
    mock.timers.tick(KEY_GAP_MS);
  }
  assert.deepEqual(shown, [], 'no prompt while the user types');
  pause();
  assert.deepEqual(shown, ['PROMPT']);
  assert.deepEqual(ran, [], 'the Enter that ended the typed line did nothing');
  // More typing after the prompt: still nothing, and the prompt is not written again.
  for (const key of 'ls\r') {
    keys.input(key);
    mock.timers.tick(KEY_GAP_MS);
  }
  pause();
  assert.deepEqual(ran, []);
  assert.deepEqual(shown, ['PROMPT']);
});

test('EndedKeys: a key on its own acts once the quiet window after it has passed; a key right after cancels it', () => {
  const ran: string[] = [];
  const keys = new EndedKeys('PROMPT', [{ keys: ['d', 'D'], run: () => ran.push('d') }], () => {});
  pause();
  // "df": the d has company, so it was typing.
  keys.input('d');
  mock.timers.tick(KEY_GAP_MS);
  keys.input('f');
  pause();
  assert.deepEqual(ran, []);
  keys.input('D');
  mock.timers.tick(QUIET_MS - 1);
  assert.deepEqual(ran, [], 'not before the quiet window after the key');
  mock.timers.tick(1);
  assert.deepEqual(ran, ['d']);
  // One action per end.
  pause();
  keys.input('d');
  pause();
  assert.deepEqual(ran, ['d']);
});

test('EndedKeys: a key pressed before the first pause never acts, nor does a paste holding a key', () => {
  const ran: string[] = [];
  const keys = new EndedKeys('PROMPT', [{ keys: [ENTER], run: () => ran.push('enter') }], () => {});
  keys.input(ENTER);
  pause();
  assert.deepEqual(ran, [], 'Enter right at the end is a typed line\'s end');
  keys.input(`ls${ENTER}`);
  pause();
  assert.deepEqual(ran, []);
});

test('EndedKeys: dispose cancels a pending action', () => {
  const ran: string[] = [];
  const keys = new EndedKeys('PROMPT', [{ keys: [CTRL_D], run: () => ran.push('close') }], () => {});
  pause();
  keys.input(CTRL_D);
  keys.dispose();
  pause();
  assert.deepEqual(ran, []);
});

// ---------------------------------------------------------------------------------------------
// The shell terminal.

function shellWith(opens: Array<FakeSession | Error>) {
  const calls = { open: 0, debug: [] as string[] };
  const connector: ShellConnector = {
    description: 'default/web-0',
    async open() {
      const next = opens[calls.open++];
      if (!next) throw new Error('no more sessions');
      if (next instanceof Error) throw next;
      return { session: next.session, shell: 'bash' };
    },
    debugContainer(action) {
      calls.debug.push(action);
    },
  };
  const pty = new ShellTerminal(connector);
  const seen = watch(pty);
  return { pty, seen, calls };
}

test('shell: after exit 3, a whole line typed right after neither closes, reconnects nor reaches a session; the code stays', async () => {
  const first = fakeSession();
  const { pty, seen, calls } = shellWith([first, fakeSession()]);
  pty.open({ columns: 80, rows: 24 });
  await settle();
  pty.handleInput('exit 3\r');
  assert.deepEqual(first.stdin, ['exit 3\r']);
  first.end({ kind: 'exit', code: 3 });
  await settle();
  assert.match(seen.text, /The shell exited with code 3\./);

  typeKeys(pty, 'echo LEAKED\r');
  pause();
  assert.deepEqual(seen.closes, [], 'the terminal stays open');
  assert.equal(calls.open, 1, 'the Enter ending the typed line opened no new shell');
  assert.deepEqual(first.stdin, ['exit 3\r'], 'nothing typed after the end was sent anywhere');
  assert.doesNotMatch(seen.text, /LEAKED/);
  assert.match(seen.text, /The shell exited with code 3\.[\s\S]*Press Enter to open a new shell, Ctrl\+D to close\./);
});

test('shell: Enter on its own opens a new shell in the same terminal; Ctrl+D on its own closes it', async () => {
  const first = fakeSession();
  const second = fakeSession();
  const { pty, seen, calls } = shellWith([first, second]);
  pty.open(undefined);
  await settle();
  first.end({ kind: 'connectionLost', message: 'no answer to pings' });
  await settle();
  pause();
  assert.match(seen.text, /Connection lost: no answer to pings[\s\S]*Press Enter to reconnect, Ctrl\+D to close\./);
  pty.handleInput(ENTER);
  pause();
  await settle();
  assert.equal(calls.open, 2);
  pty.handleInput('echo back\r');
  assert.deepEqual(second.stdin, ['echo back\r'], 'the new shell gets the keys');

  second.end({ kind: 'error', message: 'pods "web-0" not found' });
  await settle();
  pause();
  pty.handleInput(CTRL_D);
  assert.deepEqual(seen.closes, [], 'not before the quiet window after the key');
  pause();
  assert.deepEqual(seen.closes, [undefined], 'closed with no code: the outcome is on screen already');
  assert.equal(calls.open, 2);
});

test('shell: exit 0 closes the terminal with 0', async () => {
  const first = fakeSession();
  const { pty, seen } = shellWith([first]);
  pty.open(undefined);
  await settle();
  first.end({ kind: 'exit', code: 0 });
  await settle();
  assert.deepEqual(seen.closes, [0]);
});

test('shell: no shell in the image: typing "df -h" starts no debug container; D on its own does, and the terminal stays', async () => {
  const noShell = new NoShellError({ namespace: 'default', pod: 'distroless-0', container: 'app' }, ['bash', 'sh']);
  const { pty, seen, calls } = shellWith([noShell]);
  pty.open(undefined);
  await settle();
  assert.deepEqual(calls.debug, ['offer']);
  typeKeys(pty, 'df -h\r');
  pause();
  typeKeys(pty, 'd');
  typeKeys(pty, 'f\r');
  pause();
  assert.deepEqual(calls.debug, ['offer'], 'typing started nothing');
  assert.match(seen.text, /Press D to start one, Ctrl\+D to close\./);

  pty.handleInput('D');
  pause();
  assert.deepEqual(calls.debug, ['offer', 'start']);
  assert.deepEqual(seen.closes, [], 'the terminal stays while the debug container starts, so focus does not move');
  // D again does not start a second one; Ctrl+D closes.
  pty.handleInput('d');
  pause();
  assert.deepEqual(calls.debug, ['offer', 'start']);
  pty.handleInput(CTRL_D);
  pause();
  assert.deepEqual(seen.closes, [undefined]);
});

test('shell: closed by the user while an action is pending, nothing happens after', async () => {
  const first = fakeSession();
  const { pty, seen, calls } = shellWith([first, fakeSession()]);
  pty.open(undefined);
  await settle();
  first.end({ kind: 'exit', code: 1 });
  await settle();
  pause();
  pty.handleInput(ENTER);
  pty.close();
  pause();
  await settle();
  assert.equal(calls.open, 1);
  assert.deepEqual(seen.closes, [undefined]);
});

// ---------------------------------------------------------------------------------------------
// The saved-command and log terminals.

test('saved command: the exit code stays through typing; Ctrl+D on its own closes with it', async () => {
  const run = fakeSession();
  const pty = new CommandTerminal({ banner: 'Greet · web-0', interactive: true, start: () => run.session });
  const seen = watch(pty);
  pty.open(undefined);
  await settle();
  run.end({ kind: 'exit', code: 3 });
  await settle();
  typeKeys(pty, 'echo LEAKED\r');
  pause();
  assert.deepEqual(seen.closes, []);
  assert.deepEqual(run.stdin, []);
  assert.match(seen.text, /Exit code 3[\s\S]*Press Ctrl\+D to close the terminal\./);
  pty.handleInput(CTRL_D);
  pause();
  assert.deepEqual(seen.closes, [3]);
});

test('logs: once the log has ended, typing keeps the terminal; Ctrl+D on its own closes it', async () => {
  async function* source(): AsyncIterable<LogEvent> {
    yield { kind: 'line', text: 'line 1', timestamp: '2026-01-02T03:04:05Z' };
    yield { kind: 'end', reason: 'The container has stopped.' };
  }
  const pty = new LogTerminal('default/logger-0', source);
  const seen = watch(pty);
  pty.open();
  await settle();
  typeKeys(pty, 'ls\r');
  pause();
  assert.deepEqual(seen.closes, []);
  assert.match(seen.text, /line 1\r\n[\s\S]*The container has stopped\.[\s\S]*Press Ctrl\+D to close\./);
  pty.handleInput(CTRL_D);
  pause();
  assert.deepEqual(seen.closes, [undefined]);
});

test('shell: a resize made while the shell is still connecting reaches the session once it opens', async () => {
  const resized: Array<{ columns: number; rows: number }> = [];
  const session = fakeSession();
  session.session.resize = (size) => void resized.push(size);
  let open!: () => void;
  const connector: ShellConnector = {
    description: 'default/web-0',
    open: () => new Promise((resolve) => (open = () => resolve({ session: session.session, shell: 'bash' }))),
    debugContainer() {},
  };
  const pty = new ShellTerminal(connector);
  pty.open({ columns: 80, rows: 24 });
  await settle();
  // The panel is laid out while the shell is still connecting.
  pty.setDimensions({ columns: 132, rows: 40 });
  open();
  await settle();
  assert.deepEqual(resized.at(-1), { columns: 132, rows: 40 });
});
