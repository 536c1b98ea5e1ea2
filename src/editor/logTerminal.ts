// The terminal of "Follow Logs" (logs.ts): a small state machine (streaming -> ended -> closed)
// that shows reconnects as they happen, says why the log ended, and stops the stream when it is
// closed. Ended, it stays until Ctrl+D, pressed on its own, closes it (endedKeys.ts says why no
// other key does). Lines from the container pass through untouched (colours included); only our
// own messages are styled.
import type * as vscode from 'vscode';
import { describeError } from '../kube/errors.ts';
import type { LogEvent } from '../kube/logs.ts';
import { CTRL_D } from './endedKeys.ts';
import { DIM, RED, RESET, TerminalIo, YELLOW } from './terminalIo.ts';

/** Lines are written in batches of at most this many characters, so a long backlog shows fast. */
const MAX_BATCH = 64 * 1024;

/** The part of the engine the terminal uses; unit tests hand in a fake. */
export type LogSource = (signal: AbortSignal) => AsyncIterable<LogEvent>;

export class LogTerminal implements vscode.Pseudoterminal {
  private readonly io = new TerminalIo();
  readonly onDidWrite = this.io.onDidWrite;
  readonly onDidClose = this.io.onDidClose;

  private readonly source: LogSource;
  private readonly description: string;
  private readonly controller = new AbortController();
  private state: 'idle' | 'streaming' | 'ended' | 'closed' = 'idle';
  private batch = '';
  private flushScheduled = false;

  constructor(description: string, source: LogSource) {
    this.description = description;
    this.source = source;
  }

  open(): void {
    if (this.state !== 'idle') return;
    this.state = 'streaming';
    this.message(`${DIM}Logs of ${this.description}. Ctrl+C stops, closing the terminal too.${RESET}`);
    void this.run();
  }

  private async run(): Promise<void> {
    try {
      for await (const event of this.source(this.controller.signal)) {
        if (this.state === 'closed') return;
        switch (event.kind) {
          case 'line':
            this.write(`${event.text}\r\n`);
            break;
          case 'reconnecting':
            this.message(`${YELLOW}${event.message} Reconnecting in ${Math.max(1, Math.round(event.delayMs / 1000))} s (attempt ${event.attempt})...${RESET}`);
            break;
          case 'reconnected':
            this.message(`${DIM}Reconnected; the log goes on after the last line shown.${RESET}`);
            break;
          case 'end':
            this.end(`${DIM}${event.reason}${RESET}`);
            return;
        }
      }
      if (this.state === 'streaming') this.end(`${DIM}Stopped.${RESET}`);
    } catch (err) {
      if (this.state === 'closed') return;
      this.end(`${RED}${describeError(err)}${RESET}`);
    }
  }

  private end(text: string): void {
    this.state = 'ended';
    this.message(text);
    this.io.ended(`${DIM}Press Ctrl+D to close.${RESET}`, [{ keys: [CTRL_D], run: () => this.close() }]);
  }

  handleInput(data: string): void {
    if (this.state === 'streaming' && data === '\x03') {
      this.controller.abort();
      return;
    }
    if (this.state === 'ended') this.io.endedInput(data);
  }

  /** VS Code calls this when the user closes the terminal: the stream stops with it. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.controller.abort();
    this.io.close();
  }

  private write(text: string): void {
    this.batch += text;
    if (this.batch.length >= MAX_BATCH) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (!this.batch || this.state === 'closed') return;
    this.io.write(this.batch);
    this.batch = '';
  }

  /** The extension's own lines, after the log lines before them. */
  private message(text: string): void {
    this.flush();
    this.io.line(text);
  }
}
