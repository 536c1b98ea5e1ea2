// GET pods/{pod}/log as the API server and kubelet serve it: PodLogOptions parsed and validated
// like the API server (422 Invalid, 400 for unparsable values), the kubelet's choice of container
// instance (validateContainerLogStatus, with its messages), then the lines of that instance's log
// filtered by sinceSeconds/sinceTime, cut to tailLines and limitBytes, with timestamps on request,
// and followed while the instance runs. sinceTime reaches the kubelet with second precision (the
// API server re-formats it as RFC3339), so resuming from a timestamp repeats that second's lines.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ContainerStatus, Pod } from './fixtures.ts';
import { formatNanos, nanosOf, nowNanos, type ContainerLog, type LogEntry, type MainProcesses } from './mainProcess.ts';
import { queryBool, queryInt64 } from './params.ts';
import { badRequest, failure, type Status } from './status.ts';

interface LogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: bigint;
  limitBytes?: number;
}

function parseOptions(name: string, query: URLSearchParams): LogOptions | Status {
  // PodLogOptions from the query (params.ts): booleans never fail; the integers fail with a 400
  // in the conversion's field order (sinceSeconds, then sinceTime, tailLines, limitBytes).
  const opts: Partial<LogOptions> = {};
  for (const key of ['follow', 'previous', 'timestamps'] as const) opts[key] = queryBool(query, key);
  const sinceSeconds = queryInt64(query, 'sinceSeconds');
  if (typeof sinceSeconds === 'object') return sinceSeconds;
  if (sinceSeconds !== undefined) opts.sinceSeconds = sinceSeconds;
  const sinceTime = query.get('sinceTime');
  if (sinceTime !== null) {
    const ms = Date.parse(sinceTime);
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(sinceTime) || Number.isNaN(ms)) {
      return badRequest(`parsing time ${JSON.stringify(sinceTime)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(sinceTime)} as "2006"`);
    }
    opts.sinceTime = BigInt(Math.floor(ms / 1000)) * 1_000_000_000n;
  }
  for (const key of ['tailLines', 'limitBytes'] as const) {
    const v = queryInt64(query, key);
    if (typeof v === 'object') return v;
    if (v !== undefined) opts[key] = v;
  }
  // field.ErrorList as NewInvalid reports it: one cause per field, all of them in the message.
  const causes: Array<{ reason: string; message: string; field: string }> = [];
  const invalid = (field: string, value: number, why: string) => causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${why}`, field });
  if (opts.tailLines !== undefined && opts.tailLines < 0) invalid('tailLines', opts.tailLines, 'must be greater than or equal to 0');
  if (opts.limitBytes !== undefined && opts.limitBytes < 1) invalid('limitBytes', opts.limitBytes, 'must be greater than 0');
  if (opts.sinceSeconds !== undefined && opts.sinceTime !== undefined) {
    causes.push({ reason: 'FieldValueForbidden', message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified', field: '' });
  } else if (opts.sinceSeconds !== undefined && opts.sinceSeconds < 1) {
    invalid('sinceSeconds', opts.sinceSeconds, 'must be greater than 0');
  }
  if (causes.length > 0) {
    const texts = causes.map((c) => `${c.field}: ${c.message}`);
    const joined = texts.length === 1 ? texts[0]! : `[${texts.join(', ')}]`;
    return failure(422, 'Invalid', `PodLogOptions "${name}" is invalid: ${joined}`, { name, kind: 'PodLogOptions', causes });
  }
  return opts as LogOptions;
}

/** The kubelet's validateContainerLogStatus: which instance's log, or why there is none. */
function chooseInstance(pod: Pod, container: string, previous: boolean): { id: string; state: Record<string, unknown> } | string {
  const name = pod.metadata.name;
  const all = [
    ...(pod.status.containerStatuses ?? []),
    ...(pod.status.initContainerStatuses ?? []),
    ...((pod.status['ephemeralContainerStatuses'] as ContainerStatus[] | undefined) ?? []),
  ];
  const s = all.find((c) => c.name === container);
  if (!s) return `container "${container}" in pod "${name}" is not available`;
  const last = s.lastState?.['terminated'];
  const { waiting, running, terminated } = s.state as Record<string, Record<string, unknown> | undefined>;
  if (previous) {
    if (!last || !last['containerID']) return `previous terminated container "${container}" in pod "${name}" not found`;
    return { id: String(last['containerID']), state: last };
  }
  if (running) return { id: s.containerID ?? '', state: running };
  if (terminated) {
    if (terminated['containerID']) return { id: String(terminated['containerID']), state: terminated };
    if (last?.['containerID']) return { id: String(last['containerID']), state: last };
    return `container "${container}" in pod "${name}" is terminated`;
  }
  if (last) {
    if (!last['containerID']) return `container "${container}" in pod "${name}" is terminated`;
    return { id: String(last['containerID']), state: last };
  }
  if (waiting) {
    const reason = String(waiting['reason'] ?? '');
    if (reason === 'ErrImagePull') return `container "${container}" in pod "${name}" is waiting to start: image can't be pulled`;
    if (reason === 'ImagePullBackOff') return `container "${container}" in pod "${name}" is waiting to start: trying and failing to pull image`;
    return `container "${container}" in pod "${name}" is waiting to start: ${reason}`;
  }
  return `container "${container}" in pod "${name}" is in an unrecognized state`;
}

function sendStatus(res: ServerResponse, status: Status): void {
  const body = JSON.stringify(status);
  res.writeHead(status.code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache, private' });
  res.end(body);
}

/** Serves the log of `container` (already resolved and checked against the spec by the caller). */
export function serveLogs(processes: MainProcesses, req: IncomingMessage, res: ServerResponse, pod: Pod, container: string, query: URLSearchParams): void {
  const opts = parseOptions(pod.metadata.name, query);
  if ('code' in opts) return sendStatus(res, opts);
  if (!pod.spec.nodeName) {
    // LogLocation returns no location for an unscheduled pod: an empty log.
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
    res.end();
    return;
  }
  const chosen = chooseInstance(pod, container, opts.previous);
  if (typeof chosen === 'string') return sendStatus(res, badRequest(chosen));
  const log: ContainerLog = processes.logOf(pod, container, chosen.id, chosen.state);

  const since = opts.sinceTime ?? (opts.sinceSeconds !== undefined ? nowNanos() - BigInt(opts.sinceSeconds) * 1_000_000_000n : undefined);
  let entries = log.entries.filter((e) => since === undefined || e.time >= since);
  if (opts.tailLines !== undefined) entries = opts.tailLines === 0 ? [] : entries.slice(-opts.tailLines);

  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  let budget = opts.limitBytes ?? Infinity;
  let done = false;
  let unfollow = (): void => undefined;
  const finish = (): void => {
    if (done) return;
    done = true;
    unfollow();
    if (!res.writableEnded) res.end();
  };
  const write = (e: LogEntry): void => {
    if (done) return;
    let line = Buffer.concat([
      opts.timestamps ? Buffer.from(`${formatNanos(e.time)} `) : Buffer.alloc(0),
      e.data,
      e.partial ? Buffer.alloc(0) : Buffer.from('\n'),
    ]);
    if (line.length > budget) line = line.subarray(0, budget);
    budget -= line.length;
    res.write(line);
    if (budget <= 0) finish();
  };
  for (const e of entries) write(e);
  if (done || !opts.follow || log.ended) return finish();
  unfollow = log.follow((e) => {
    if (since === undefined || e.time >= since) write(e);
  }, finish);
  req.on('close', finish);
  res.on('close', finish);
}
