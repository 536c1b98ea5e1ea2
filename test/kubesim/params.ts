// A request's path and query as the API server reads them, for every kubesim route. Clients spell
// the same request differently (the official Python client sends `stdin=False&stdout=True`,
// client-go `stdout=true`, others `stdout=1`, and names are percent-encoded), so kubesim must read
// them exactly as Kubernetes v1.35 does. Sources: Go's net/url (url.ParseRequestURI, ParseQuery)
// and strconv; k8s.io/apimachinery v0.35.0 pkg/runtime/conversion.go (Convert_Slice_string_To_bool,
// _To_Pointer_bool, _To_int64, _To_Pointer_int64), pkg/apis/meta/v1/conversion.go
// (Convert_Slice_string_To_Slice_int32) and pkg/api/validation/path/name.go; k8s.io/apiserver
// v0.35.0 pkg/endpoints/request/requestinfo.go and pkg/storage/api_object_versioner.go.
import { badRequest, goQuote, type Status } from './status.ts';

/** The request target, decoded as Go's server decodes it before any handler runs. */
export interface RequestTarget {
  /**
   * url.URL.Path: the whole path percent-decoded before anything splits it. RequestInfoFactory
   * and go-restful's router both split this decoded path on '/', so an encoded slash (%2F)
   * separates segments exactly like a literal one and no name can contain it; dot segments
   * ("..", "%2E%2E") are left as they are (Go does not resolve them, unlike WHATWG URL).
   */
  path: string;
  /** Request.URL.Query(): url.ParseQuery's pairs; `get` gives the first value, as the decoders use. */
  query: URLSearchParams;
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/**
 * net/url's unescape: each %XX becomes its byte, '+' becomes a space in a query but not in a
 * path; undefined where Go returns an EscapeError (a '%' without two hex digits). Bytes that are
 * not UTF-8 become U+FFFD here, where Go would keep them (only their quoting in a message differs).
 */
function unescape(s: string, mode: 'path' | 'query'): string | undefined {
  if (!s.includes('%') && (mode === 'path' || !s.includes('+'))) return s;
  const src = Buffer.from(s, 'utf8');
  const out = Buffer.alloc(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x25) {
      const hi = hexValue(src[i + 1]);
      const lo = hexValue(src[i + 2]);
      if (hi < 0 || lo < 0) return undefined;
      out[n++] = hi * 16 + lo;
      i += 2;
    } else {
      out[n++] = c === 0x2b && mode === 'query' ? 0x20 : c;
    }
  }
  return out.subarray(0, n).toString('utf8');
}

/**
 * url.ParseQuery as Request.URL.Query() keeps its result: pairs split on '&', a pair that holds
 * a ';' (no longer a separator since Go 1.17) or a malformed escape is dropped, the rest kept.
 */
export function parseQuery(raw: string): URLSearchParams {
  const params = new URLSearchParams();
  for (const pair of raw.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const key = unescape(eq < 0 ? pair : pair.slice(0, eq), 'query');
    const value = unescape(eq < 0 ? '' : pair.slice(eq + 1), 'query');
    if (key === undefined || value === undefined) continue;
    params.append(key, value);
  }
  return params;
}

/**
 * url.ParseRequestURI on the request line's target, which Go's HTTP server runs before any
 * handler; undefined where it fails (a malformed %-escape in the path, a target that is neither
 * a path nor an absolute URL), which that server answers with a bare `400 Bad Request`. Neither
 * the query nor a '#' is an error there: the query is parsed lazily and a request target has no
 * fragment.
 */
export function parseTarget(raw: string): RequestTarget | undefined {
  let rest = raw;
  // The absolute form (`https://host/path`), which a server must accept too: its path counts.
  const absolute = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?]*/.exec(rest);
  if (absolute) rest = rest.slice(absolute[0].length);
  const q = rest.indexOf('?');
  const rawPath = q < 0 ? rest : rest.slice(0, q);
  const rawQuery = q < 0 ? '' : rest.slice(q + 1);
  if (!absolute && !rawPath.startsWith('/') && rawPath !== '*') return undefined;
  const path = unescape(rawPath, 'path');
  if (path === undefined) return undefined;
  return { path, query: parseQuery(rawQuery) };
}

/** What Go's HTTP/1 server writes for a request line it cannot parse, before closing. */
export const GO_BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request';

// ---------------------------------------------------------------------------------------------
// Query parameter conversions (url.Values -> the versioned options struct)

/** Convert_Slice_string_To_bool's false: "0", or "false" under strings.EqualFold. */
function isFalse(value: string): boolean {
  // EqualFold is Unicode simple folding, under which U+017F (long s) equals 's'; toLowerCase
  // covers the rest of "false" (no other character folds to f, a, l, s or e).
  return value === '0' || value.replace(/\u017f/g, 's').toLowerCase() === 'false';
}

/**
 * runtime.Convert_Slice_string_To_bool: an absent parameter is false; a present one is false only
 * for "0" or "false" in any case, and true for anything else, "" and "no" included. It never
 * fails: the API server answers no boolean with a 400 (strconv.ParseBool is not used here).
 */
export function queryBool(query: URLSearchParams, key: string): boolean {
  const value = query.get(key);
  return value !== null && !isFalse(value);
}

/** Convert_Slice_string_To_Pointer_bool: like queryBool, but undefined (nil) when absent. */
export function queryOptionalBool(query: URLSearchParams, key: string): boolean | undefined {
  const value = query.get(key);
  return value === null ? undefined : !isFalse(value);
}

const MAX_UINT64 = (1n << 64n) - 1n;

/**
 * strconv.ParseUint(s, 10, bits), with Go's error text on failure. Go reports a range error as
 * soon as the value overflows, even if a later character is not a digit; so does this.
 */
export function parseUint(s: string, bits: number, fn = 'ParseUint'): { value: bigint } | { error: string } {
  const syntax = { error: `strconv.${fn}: parsing ${goQuote(s)}: invalid syntax` };
  const range = { error: `strconv.${fn}: parsing ${goQuote(s)}: value out of range` };
  if (s === '') return syntax;
  const cutoff = MAX_UINT64 / 10n + 1n;
  const maxVal = (1n << BigInt(bits)) - 1n;
  let n = 0n;
  for (const ch of Buffer.from(s, 'utf8')) {
    if (ch < 0x30 || ch > 0x39) return syntax;
    if (n >= cutoff) return range;
    n = n * 10n + BigInt(ch - 0x30);
    if (n > maxVal) return range;
  }
  return { value: n };
}

/** strconv.ParseInt(s, 10, 64), with Go's error text (which names the whole input) on failure. */
export function parseInt64(s: string): { value: number } | { error: string } {
  const signed = s.startsWith('+') || s.startsWith('-');
  const unsigned = parseUint(signed ? s.slice(1) : s, 64);
  const range = { error: `strconv.ParseInt: parsing ${goQuote(s)}: value out of range` };
  if ('error' in unsigned) {
    return unsigned.error.endsWith('value out of range') ? range : { error: `strconv.ParseInt: parsing ${goQuote(s)}: invalid syntax` };
  }
  const cutoff = 1n << 63n;
  const negative = s.startsWith('-');
  if ((!negative && unsigned.value >= cutoff) || (negative && unsigned.value > cutoff)) return range;
  return { value: Number(negative ? -unsigned.value : unsigned.value) };
}

/**
 * runtime.Convert_Slice_string_To_Pointer_int64 (and _To_int64): undefined when absent, else the
 * first value through strconv.ParseInt; the API server answers a failure with a 400 BadRequest
 * whose message is the bare strconv error (DecodeParameters' error, wrapped by NewBadRequest).
 */
export function queryInt64(query: URLSearchParams, key: string): number | undefined | Status {
  const value = query.get(key);
  if (value === null) return undefined;
  const parsed = parseInt64(value);
  return 'error' in parsed ? badRequest(parsed.error) : parsed.value;
}

/**
 * PodPortForwardOptions.Ports from `ports` (metav1.Convert_Slice_string_To_Slice_int32): every
 * value, split on ',', through strconv.ParseUint(p, 10, 16). Zero passes here; the kubelet
 * refuses it later.
 */
export function queryPorts(query: URLSearchParams): number[] | Status {
  const ports: number[] = [];
  for (const value of query.getAll('ports')) {
    for (const p of value.split(',')) {
      const parsed = parseUint(p, 16);
      if ('error' in parsed) return badRequest(`cannot convert to []int32: ${parsed.error}`);
      ports.push(Number(parsed.value));
    }
  }
  return ports;
}

/**
 * The storage's APIObjectVersioner.ParseResourceVersion: "" and "0" mean any; anything else must
 * be an unsigned 64-bit integer. The error is the field error the storage returns
 * (storage.InvalidError), which each caller maps in its own way.
 */
export function parseResourceVersion(rv: string): { value: number } | { error: string } {
  if (rv === '' || rv === '0') return { value: 0 };
  const parsed = parseUint(rv, 64);
  if ('error' in parsed) return { error: `resourceVersion: Invalid value: ${goQuote(rv)}: ${parsed.error}` };
  return { value: Number(parsed.value) };
}

/**
 * The registry's key functions (NamespaceKeyFunc, NoNamespaceKeyFunc) refuse a name that could
 * not be a path segment, with IsValidPathSegmentName's reasons, before the object is looked up.
 * Other invalid names (`a;b`, upper case) are simply not found: only creation validates them.
 */
export function invalidName(name: string): Status | undefined {
  let reasons: string[];
  if (name === '.' || name === '..') reasons = [`may not be '${name}'`];
  else reasons = ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
  return reasons.length > 0 ? badRequest(`Name parameter invalid: ${goQuote(name)}: ${reasons.join(';')}`) : undefined;
}
