// The output of one command in one pod, kept within bounds: a run over hundreds of pods that
// each print megabytes must not fill the extension host's memory. The first `headBytes` and the
// last `tailBytes` are kept (the start says what ran, the end usually says why it failed); the
// middle is counted, not stored. Commands run on a terminal (see jobs.ts), so the text is
// cleaned for reading: CRLF line ends become LF and colour/cursor escape sequences are removed.

export interface OutputLimits {
  /** Bytes kept from the start. Default 256 KiB. */
  headBytes?: number;
  /** Bytes kept from the end, once the head is full. Default 64 KiB. */
  tailBytes?: number;
}

export interface CapturedOutput {
  /** Every byte the command wrote (stdout and stderr). */
  totalBytes: number;
  /** Bytes that were dropped between head and tail. */
  omittedBytes: number;
  /** The kept output as readable text: head, a note where bytes were dropped, tail. */
  text: string;
}

const DEFAULT_HEAD = 256 * 1024;
const DEFAULT_TAIL = 64 * 1024;

export class OutputCapture {
  private readonly headLimit: number;
  private readonly tailLimit: number;
  private readonly head: Buffer[] = [];
  private headLength = 0;
  /** Tail chunks, oldest first; trimmed from the front to stay within tailLimit. */
  private tail: Buffer[] = [];
  private tailLength = 0;
  private total = 0;

  constructor(limits: OutputLimits = {}) {
    this.headLimit = limits.headBytes ?? DEFAULT_HEAD;
    this.tailLimit = limits.tailBytes ?? DEFAULT_TAIL;
  }

  write(chunk: Buffer): void {
    this.total += chunk.length;
    let rest = chunk;
    if (this.headLength < this.headLimit) {
      const take = Math.min(rest.length, this.headLimit - this.headLength);
      this.head.push(rest.subarray(0, take));
      this.headLength += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0 || this.tailLimit === 0) return;
    // Copy: the tail outlives the chunk, and a view would keep the whole chunk alive.
    this.tail.push(Buffer.from(rest.subarray(Math.max(0, rest.length - this.tailLimit))));
    this.tailLength += Math.min(rest.length, this.tailLimit);
    while (this.tailLength - this.tail[0].length >= this.tailLimit) this.tailLength -= this.tail.shift()!.length;
  }

  result(): CapturedOutput {
    const tail = Buffer.concat(this.tail);
    const keptTail = tail.subarray(Math.max(0, tail.length - this.tailLimit));
    const omitted = this.total - this.headLength - keptTail.length;
    const head = readable(Buffer.concat(this.head).toString('utf8'));
    const tailText = readable(keptTail.toString('utf8'));
    const text = omitted > 0 ? `${head}\n[... ${omitted.toLocaleString('en-US')} bytes not kept ...]\n${tailText}` : head + tailText;
    return { totalBytes: this.total, omittedBytes: omitted, text };
  }
}

// CSI sequences (colours, cursor moves), OSC sequences (window titles) and lone two-byte escapes.
const ESCAPES = /\x1b\[[0-?]*[ -\/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/** Terminal output as plain text: LF line ends, no escape sequences. */
export function readable(text: string): string {
  return text.replace(ESCAPES, '').replace(/\r+\n/g, '\n');
}

/** The first `count` lines of an output, each cut to `width` characters, for reports. */
export function firstLines(text: string, count: number, width = 200): string[] {
  if (text === '') return [];
  return text
    .replace(/\r?\n$/, '')
    .split(/\r?\n/, count)
    .map((l) => (l.length > width ? `${l.slice(0, width)}…` : l));
}

/** How many lines an output has (a final line without newline counts). */
export function lineCount(text: string): number {
  if (text === '') return 0;
  const newlines = text.split('\n').length - 1;
  return text.endsWith('\n') ? newlines : newlines + 1;
}
