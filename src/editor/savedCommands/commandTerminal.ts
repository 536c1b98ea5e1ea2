// A saved command run in one container, in a terminal named after the command and the pod. The
// command always gets a terminal (so closing it hangs the command up, as with kubectl -t); it
// gets the keyboard only when its definition says `tty: true`. Otherwise Ctrl+C ends it. The
// last line says how it ended: exit code and duration, or the API's error. That stays on
// screen until Ctrl+D, pressed on its own, closes the terminal (endedKeys.ts says why no other
// key does).
import type * as vscode from 'vscode';
import type { TerminalSize } from '../../kube/exec/session.ts';
import { CTRL_D } from '../endedKeys.ts';
import { DIM, GREEN, RED, RESET, TerminalIo, YELLOW, type TerminalSession } from '../terminalIo.ts';
import { formatDuration } from './reportModel.ts';

export type CommandSessionLike = TerminalSession;

export interface CommandRun {
  /** First line: the command and where it runs. */
  readonly banner: string;
  readonly interactive: boolean;
  start(size: TerminalSize): CommandSessionLike;
}

const CTRL_C = '\x03';

export class CommandTerminal implements vscode.Pseudoterminal {
  private readonly io = new TerminalIo();
  readonly onDidWrite = this.io.onDidWrite;
  readonly onDidClose = this.io.onDidClose;

  private readonly run: CommandRun;
  private state: 'idle' | 'running' | 'ended' | 'closed' = 'idle';
  private interrupted = false;

  constructor(run: CommandRun) {
    this.run = run;
  }

  open(dimensions: vscode.TerminalDimensions | undefined): void {
    if (this.state !== 'idle') return;
    this.io.resize(dimensions);
    this.io.line(`${DIM}${this.run.banner}${RESET}`);
    void this.start();
  }

  private async start(): Promise<void> {
    this.state = 'running';
    const t0 = performance.now();
    let session: CommandSessionLike;
    try {
      session = this.run.start(this.io.size);
    } catch (err) {
      this.end(1, `${RED}${err instanceof Error ? err.message : String(err)}${RESET}`);
      return;
    }
    this.io.session = session;
    const flush = this.io.follow(session.stdout);
    const result = await session.result;
    if (this.closed) return;
    flush();
    this.io.session = undefined;
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
    this.io.line(`\n${text}`);
    this.io.ended(`${DIM}Press Ctrl+D to close the terminal.${RESET}`, [{ keys: [CTRL_D], run: () => this.close(code) }]);
  }

  handleInput(data: string): void {
    if (this.state === 'running') {
      if (this.run.interactive) {
        this.io.session?.stdin.write(Buffer.from(data, 'utf8'));
      } else if (data === CTRL_C) {
        this.interrupted = true;
        this.io.session?.close();
      }
      return;
    }
    if (this.state === 'ended') this.io.endedInput(data);
  }

  setDimensions(dimensions: vscode.TerminalDimensions): void {
    this.io.resize(dimensions);
  }

  /** Closing the terminal ends the command in the container too. */
  close(code?: number): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.io.close(code);
  }
}
