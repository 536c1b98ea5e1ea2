// How an exec session ended, read from what the server wrote on channel 3.
// v4 and v5 write one JSON `Status` at the end (also on success); v1-v3 write only errors, as
// plain text, and say nothing on success.

/** The three outcomes of a session; they never blur into one another. */
export type ExecResult =
  /** The command ran and exited: 0, or the ExitCode cause of a NonZeroExitCode status. */
  | { kind: 'exit'; code: number }
  /**
   * The API server, kubelet or runtime refused or failed the request (refused upgrade, channel-3
   * Failure such as "executable file not found", TLS/auth/DNS error). `message` is the API's own.
   */
  | { kind: 'error'; message: string; httpStatus?: number; reason?: string }
  /** The connection dropped, or stopped answering pings, before the command's status arrived. */
  | { kind: 'connectionLost'; message: string };

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
 * (v4+) flag; text that is not JSON is kept as the error message either way.
 */
export function parseExecStatus(content: Buffer | string, jsonStatus: boolean): ExecResult {
  const text = (typeof content === 'string' ? content : content.toString('utf8')).trim();
  if (text === '') return { kind: 'exit', code: 0 };
  if (jsonStatus && text.startsWith('{')) {
    let status: StatusObject | undefined;
    try {
      status = JSON.parse(text) as StatusObject;
    } catch {
      status = undefined;
    }
    if (status && typeof status === 'object') return fromStatusObject(status, text);
  }
  return fromText(text);
}

function fromStatusObject(status: StatusObject, raw: string): ExecResult {
  if (status.status === 'Success') return { kind: 'exit', code: 0 };
  const message = typeof status.message === 'string' && status.message ? status.message : raw;
  const reason = typeof status.reason === 'string' && status.reason ? status.reason : undefined;
  if (reason === 'NonZeroExitCode') {
    // The Go field is StatusCause.Type, serialised as "reason"; accept "type" from odd servers.
    const cause = status.details?.causes?.find((c) => c?.reason === 'ExitCode' || c?.type === 'ExitCode');
    const code = cause ? parseExitCode(cause.message) : undefined;
    if (code !== undefined) return { kind: 'exit', code };
    const fromMessage = exitCodeInText(message);
    if (fromMessage !== undefined) return { kind: 'exit', code: fromMessage };
  }
  const result: ExecResult = { kind: 'error', message };
  if (typeof status.code === 'number' && status.code > 0) result.httpStatus = status.code;
  if (reason) result.reason = reason;
  return result;
}

function fromText(text: string): ExecResult {
  // Pre-v4 servers report a non-zero exit only as text, e.g.
  // "command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3".
  const code = exitCodeInText(text);
  if (code !== undefined) return { kind: 'exit', code };
  return { kind: 'error', message: text };
}

function parseExitCode(value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const code = Number(value);
  return Number.isInteger(code) && code >= 0 ? code : undefined;
}

const NON_ZERO_EXIT = /non-zero exit code\b.*?(\d+)\s*$/s;

function exitCodeInText(text: string): number | undefined {
  const match = NON_ZERO_EXIT.exec(text);
  return match ? parseExitCode(match[1]) : undefined;
}
