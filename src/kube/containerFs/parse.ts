// Parsers for what the scripts in scripts.ts print. Kept apart (and pure) so every odd case
// can be tested without a container.

/** d = directory, f = regular file, o = other (device, fifo, socket), x = dangling symlink. */
export type EntryKind = 'directory' | 'file' | 'other' | 'danglingLink';

export interface DirectoryEntry {
  name: string;
  kind: EntryKind;
  /** The entry is a symbolic link (kind is then what it points to). */
  symlink: boolean;
}

export interface ContainerFileStat {
  kind: EntryKind;
  symlink: boolean;
  /** The container's user may write it. */
  writable: boolean;
  size: number;
  /** Milliseconds since the epoch; 0 when the container could not say. */
  mtimeMs: number;
  /** Last status change (Linux keeps no portable creation time), ms since the epoch. */
  ctimeMs: number;
}

const KINDS: Record<string, EntryKind> = { d: 'directory', f: 'file', o: 'other', x: 'danglingLink' };

const STAT_LINE = /^([L-])([dfox])([w-]) +(\d+) +(-?\d+) +(-?\d+)\s*$/;

export function parseStat(output: string): ContainerFileStat {
  const line = output.trim();
  const match = STAT_LINE.exec(line);
  if (!match) throw new Error(`Unexpected output from stat in the container: ${JSON.stringify(line.slice(0, 200))}`);
  return {
    symlink: match[1] === 'L',
    kind: KINDS[match[2]!]!,
    writable: match[3] === 'w',
    size: Number(match[4]),
    mtimeMs: Number(match[5]) * 1000,
    ctimeMs: Number(match[6]) * 1000,
  };
}

/**
 * Records `<L|-><d|f|o|x>NAME/`. Split on the byte `/` before decoding: it cannot occur inside a
 * file name, nor inside a multi-byte UTF-8 character.
 */
export function parseDirectory(output: Buffer): DirectoryEntry[] {
  const entries: DirectoryEntry[] = [];
  let start = 0;
  while (start < output.length) {
    const end = output.indexOf(0x2f, start);
    if (end < 0) throw new Error('The directory listing from the container was cut off.');
    const link = output[start];
    const kind = KINDS[String.fromCharCode(output[start + 1] ?? 0)];
    if ((link !== 0x4c && link !== 0x2d) || !kind || end - start < 3) {
      throw new Error(`Unexpected directory listing from the container near ${JSON.stringify(output.toString('utf8', start, Math.min(end, start + 80)))}`);
    }
    entries.push({ name: output.toString('utf8', start + 2, end), kind, symlink: link === 0x4c });
    start = end + 1;
  }
  return entries;
}

/**
 * The `SIZE\n` line that precedes a file's bytes. Feed chunks until `size` is known; the rest
 * of the chunk that held the newline is returned as the first content.
 */
export class SizeHeader {
  private text = '';
  private done = false;
  /** Undefined until the header was read; null when the container could not tell the size. */
  size: number | null | undefined = undefined;

  /** Returns the content that followed the header in this chunk, or undefined while still in the header. */
  push(chunk: Buffer): Buffer | undefined {
    if (this.done) return chunk;
    const newline = chunk.indexOf(0x0a);
    if (newline < 0) {
      this.text += chunk.toString('latin1');
      if (this.text.length > 32) throw new Error('The container sent no file size before the content.');
      return undefined;
    }
    this.text += chunk.toString('latin1', 0, newline);
    this.done = true;
    const text = this.text.trim();
    this.size = /^\d+$/.test(text) ? Number(text) : null;
    return chunk.subarray(newline + 1);
  }

  get complete(): boolean {
    return this.done;
  }
}

/**
 * Collects a file's bytes into one array allocated at the announced size, so the whole file is
 * never held twice (a list of chunks plus their concatenation). Grows by doubling only when the
 * file turns out larger than announced (it changed while being read, or /proc-style files that
 * report size 0).
 */
export class ContentBuffer {
  private buffer: Uint8Array;
  private length = 0;

  constructor(expected: number | null) {
    this.buffer = new Uint8Array(expected ?? 64 * 1024);
  }

  append(chunk: Uint8Array): void {
    if (this.length + chunk.length > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + chunk.length));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(chunk, this.length);
    this.length += chunk.length;
  }

  /** The bytes received; a view, not a copy, when the size was right. */
  result(): Uint8Array {
    return this.length === this.buffer.length ? this.buffer : this.buffer.subarray(0, this.length);
  }
}
