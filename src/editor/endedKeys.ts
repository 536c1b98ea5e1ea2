// What a terminal does with keys once its session has ended (a shell that exited, a lost
// connection, a saved command that finished, a log that stopped). The terminal stays open with
// the outcome on screen, exit code included, until the user closes it or deliberately picks an
// action; every other key goes nowhere.
//
// Why not "press any key to close": the key that closes the terminal is seldom the last one
// typed. A session often ends while the user is typing (the connection drops, a script exits,
// `exit` is followed by keys typed ahead); VS Code then focuses the next terminal, and the rest
// of the line ran in a shell in another container. Nor is a plain "Enter reconnects" safe:
// Enter is how every typed line ends.
//
// So a key acts only when it is pressed on its own: no key in the QUIET_MS before it (the end
// of the session counts as one) and none in the QUIET_MS after it. Typing never does that: the
// Enter that ends a line comes right after the line's last letter, and the d that starts "df"
// comes right before the f. The line saying which keys do what appears when input first
// pauses, which is when a key can first act; that is also the only hint: ignored keys do not
// write anything, however many there are.
export const ENTER = '\r';
export const CTRL_D = '\x04';

/** How long input must pause around a key for the key to count as pressed on its own. */
export const QUIET_MS = 500;

export interface EndAction {
  /** The keys (as the terminal receives them) that take this action. */
  readonly keys: readonly string[];
  run(): void;
}

export class EndedKeys {
  private readonly prompt: string;
  private readonly actions: readonly EndAction[];
  private readonly show: (text: string) => void;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** No key for QUIET_MS (since the end or the last key): the next key may be deliberate. */
  private quiet = false;
  private prompted = false;
  /** An action key pressed after a pause; it runs if no key follows within QUIET_MS. */
  private pending: EndAction | undefined;
  private disposed = false;

  /** `show` writes the prompt (the keys and what they do) once input first pauses. */
  constructor(prompt: string, actions: readonly EndAction[], show: (text: string) => void) {
    this.prompt = prompt;
    this.actions = actions;
    this.show = show;
    this.waitForQuiet();
  }

  input(data: string): void {
    if (this.disposed) return;
    // A key right after an action key cancels it: the two were typing. `data` with more than
    // one key in it (a paste) is never an action.
    this.pending = this.quiet ? this.actions.find((a) => a.keys.includes(data)) : undefined;
    this.quiet = false;
    this.waitForQuiet();
  }

  /** Cancels what is pending; nothing acts after this. */
  dispose(): void {
    this.disposed = true;
    this.pending = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private waitForQuiet(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.settled(), QUIET_MS);
  }

  private settled(): void {
    this.timer = undefined;
    this.quiet = true;
    const action = this.pending;
    if (action) {
      // One action per end: a terminal that stays ended afterwards sets up new keys.
      this.dispose();
      action.run();
      return;
    }
    if (!this.prompted) {
      this.prompted = true;
      this.show(this.prompt);
    }
  }
}
