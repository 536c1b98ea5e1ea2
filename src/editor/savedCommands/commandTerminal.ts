// A saved command run in one container, in a terminal named after the command and the pod. The
// command always gets a terminal (so closing it hangs the command up, as with kubectl -t); it
// gets the keyboard only when its definition says `tty: true`. Otherwise Ctrl+C ends it. The
// last line says how it ended: exit code and duration, or the API's error.
import * as vscode from 'vscode';
import type { Readable, Writable } from 'node:stream';
import type { ExecResult, TerminalSize } from '../../kube/exec/session.ts';
import { formatDuration } from './reportModel.ts';

export interface CommandSessionLike {
  readonly stdout: Readable;
  readonly stdin: Writable;
  readonly result: Promise<ExecResult>;
  resize(size: TerminalSize): void;
  close(): void;
}

export interface CommandRun {
  /** First line: the command and where it runs. */
  readonly banner: string;
  readonly interactive: boolean;
  start(size: TerminalSize): CommandSessionLike;
}

const GREEN = '\x1b[32m';
const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
const CTRL_C = '\x03';

export class CommandTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;

  private readonly run: CommandRun;
  private state: 'idle' | 'running' | 'ended' | 'closed' = 'idle';
  private session: CommandSessionLike | undefined;
  private size: TerminalSize = { columns: 80, rows: 24 };
  private exitCode = 0;
  private interrupted = false;

  constructor(run: CommandRun) {
    this.run = run;
  }

  open(dimensions: vscode.TerminalDimensions | undefined): void {
    if (this.state !== 'idle') return;
    if (dimensions) this.size = { columns: dimensions.columns, rows: dimensions.rows };
    this.message(`${DIM}${this.run.banner}${RESET}`);
    void this.start();
  }

  private async start(): Promise<void> {
    this.state = 'running';
    const t0 = performance.now();
    let session: CommandSessionLike;
    try {
      session = this.run.start(this.size);
    } catch (err) {
      this.end(1, `${RED}${err instanceof Error ? err.message : String(err)}${RESET}`);
      return;
    }
    this.session = session;
    const decoder = new TextDecoder('utf-8');
    session.stdout.on('data', (chunk: Buffer) => {
      const text = decoder.decode(chunk, { stream: true });
      if (text && !this.closed) this.writeEmitter.fire(text);
    });
    const result = await session.result;
    const tail = decoder.decode();
    if (this.closed) return;
    if (tail) this.writeEmitter.fire(tail);
    this.session = undefined;
    const took = formatDuration(performance.now() - t0);
    if (this.interrupted) {
      this.end(130, `${YELLOW}Interrupted (Ctrl+C) after ${took}.${RESET}`);
      return;
    }
    switch (result.kind) {
      case 'exit':
        this.end(result.code, `${result.code === 0 ? GREEN : RED}Exit code ${result.code}${RESET} ${DIM}· ${took}${RESET}`);
        return;
      case 'error':
        this.end(1, `${RED}${result.message}${RESET} ${DIM}· ${took}${RESET}`);
        return;
      case 'connectionLost':
        this.end(1, `${YELLOW}Connection lost: ${result.message}${RESET} ${DIM}· ${took}${RESET}`);
        return;
    }
  }

  private get closed(): boolean {
    return this.state === 'closed';
  }

  private end(code: number, text: string): void {
    this.state = 'ended';
    this.exitCode = code;
    this.message(`\n${text}\n${DIM}Press any key to close the terminal.${RESET}`);
  }

  handleInput(data: string): void {
    if (this.state === 'running') {
      if (this.run.interactive) {
        this.session?.stdin.write(Buffer.from(data, 'utf8'));
      } else if (data === CTRL_C) {
        this.interrupted = true;
        this.session?.close();
      }
      return;
    }
    if (this.state === 'ended') this.close(this.exitCode);
  }

  setDimensions(dimensions: vscode.TerminalDimensions): void {
    this.size = { columns: dimensions.columns, rows: dimensions.rows };
    this.session?.resize(this.size);
  }

  /** Closing the terminal ends the command in the container too. */
  close(code?: number): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    const session = this.session;
    this.session = undefined;
    session?.close();
    this.closeEmitter.fire(code);
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
  }

  private message(text: string): void {
    this.writeEmitter.fire(`${text.replace(/\r?\n/g, '\r\n')}\r\n`);
  }
}
