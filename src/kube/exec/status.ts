// How an exec session ended, read from what the server wrote on channel 3.
// v4 and v5 write one JSON `Status` at the end (also on success); v1-v3 write only errors, as
// plain text, and say nothing on success.

/** The three outcomes of a session; they never blur into one another. */
export type ExecResult =
  /**
   * The command ran and exited: 0, or the ExitCode cause of a NonZeroExitCode status, as the
   * server reported it (never 0 for a failure; Windows containers report codes above 255).
   */
  | { kind: 'exit'; code: number }
  /**
   * The API server, kubelet or runtime refused or failed the request (refused upgrade, channel-3
   * Failure such as "executable file not found", TLS/auth/DNS error), or it broke the protocol.
   * `message` is the API's own where it gave one. `noResponse`: the server gave no answer at
   * all (nothing could be sent, or no connection, TLS or HTTP response came), so asking it
   * anything else is pointless;
   * `errorCode` is then the system's code for why, when it gave one (ECONNREFUSED).
   */
  | { kind: 'error'; message: string; httpStatus?: number; reason?: string; noResponse?: boolean; errorCode?: string }
  /** The connection dropped, or stopped answering pings, before the command's status arrived. */
  | { kind: 'connectionLost'; message: string };

import { redactSecrets, shortenServerText } from '../errors.ts';

/** The reason given to results that report a server breaking the exec protocol. */
export const PROTOCOL_ERROR = 'ProtocolError';

interface StatusCause {
  reason?: unknown;
  type?: unknown;
  message?: unknown;
}

interface StatusObject {
  status?: unknown;
  message?: unknown;
  reason?: unknown;
  code?: unknown;
  details?: { causes?: StatusCause[] };
}

/**
 * Parses the channel-3 content of a finished session. `jsonStatus` is the protocol's
 * (v4+) flag. On those protocols anything but a JSON Status (text, JSON cut short, JSON of
 * another shape) is a protocol error that says what was wrong.
 */
export function parseExecStatus(content: Buffer | string, jsonStatus: boolean, server?: string): ExecResult {
  const protocolError = (what: string): ExecResult => protocolErrorResult(what, server);
  const text = (typeof content === 'string' ? content : content.toString('utf8')).trim();
  if (text === '') return { kind: 'exit', code: 0 };
  if (jsonStatus && (text.startsWith('{') || text.startsWith('['))) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const cut = /end of (JSON )?input|Unterminated/i.test((err as Error).message);
      return protocolError(cut ? `the exit status it sent is cut off after ${Buffer.byteLength(text)} bytes` : `the exit status it sent is not valid JSON (${(err as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return protocolError('the exit status it sent is not a Kubernetes Status object');
    return fromStatusObject(value as StatusObject, protocolError);
  }
  if (jsonStatus) {
    // v4 and v5 servers write a JSON Status there and nothing else.
    const excerpt = text.length > 120 ? `${text.slice(0, 120)}...` : text;
    return protocolError(`the exit status it sent is not JSON but text: ${JSON.stringify(redactSecrets(excerpt))}`);
  }
  return fromText(text);
}

function protocolErrorResult(what: string, server: string | undefined): ExecResult {
  return { kind: 'error', message: `Protocol error: the API server${server ? ` at ${server}` : ''} broke the exec protocol: ${what}. The command's outcome is unknown.`, reason: PROTOCOL_ERROR };
}

function fromStatusObject(status: StatusObject, protocolError: (what: string) => ExecResult): ExecResult {
  if (status.status === 'Success') return { kind: 'exit', code: 0 };
  if (status.status !== 'Failure') {
    return protocolError(`the exit status it sent has status ${JSON.stringify(status.status ?? null)}, neither "Success" nor "Failure"`);
  }
  const reason = typeof status.reason === 'string' && status.reason ? status.reason : undefined;
  const raw = typeof status.message === 'string' && status.message.trim() ? status.message : undefined;
  const message = raw ? redactSecrets(shortenServerText(raw)) : undefined;
  if (reason === 'NonZeroExitCode') {
    // The Go field is StatusCause.Type, serialised as "reason"; accept "type" from odd servers.
    const cause = status.details?.causes?.find((c) => c?.reason === 'ExitCode' || c?.type === 'ExitCode');
    const code = cause ? parseExitCode(cause.message) : raw ? exitCodeInText(raw) : undefined;
    if (code !== undefined && code !== 0) return { kind: 'exit', code };
    if (cause || code === 0) {
      // A failure must never read as success, nor as some other code.
      return protocolError(`it reported a non-zero exit with the exit code ${JSON.stringify(cause?.message ?? code)}`);
    }
  }
  const result: ExecResult = { kind: 'error', message: message ?? `The server reported a failure${reason ? ` (${reason})` : ''} without a message.` };
  if (typeof status.code === 'number' && status.code > 0) result.httpStatus = status.code;
  if (reason) result.reason = reason;
  return result;
}

function fromText(text: string): ExecResult {
  // Pre-v4 servers report a non-zero exit only as text, e.g.
  // "command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3".
  const code = exitCodeInText(text);
  if (code !== undefined && code !== 0) return { kind: 'exit', code };
  return { kind: 'error', message: text };
}

/** An integer exit code, negative or above 255 included (the terminal shows it as reported). */
function parseExitCode(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value !== 'string' || !/^\s*-?\d+\s*$/.test(value)) return undefined;
  const code = Number(value);
  return Number.isSafeInteger(code) ? code : undefined;
}

const NON_ZERO_EXIT = /non-zero exit code\b.*?(-?\d+)\s*$/s;

function exitCodeInText(text: string): number | undefined {
  const match = NON_ZERO_EXIT.exec(text);
  return match ? parseExitCode(match[1]) : undefined;
}

/** Whether `code` can be a process's exit status (0-255), so a CLI can pass it on as its own. */
export function isExitStatus(code: number): boolean {
  return Number.isInteger(code) && code >= 0 && code <= 255;
}
