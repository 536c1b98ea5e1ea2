// Fault catalogue, group 2: the API server (or a proxy in front of it) refuses, with a Status,
// HTML, an empty or a huge body, or something that is not JSON at all; on the pod lookup, on
// the exec upgrade, or on both. Faults a real API server gives are also taken from kubesim.
import { status, type Reply } from './faultServer.ts';
import { JWT, kubeconfig, PASSWORD, q, type Case } from './harness.ts';

const RUN = ['web-0', '--', 'true'];
const HTML_500: Reply = { kind: 'raw', code: 500, contentType: 'text/html', body: '<html><body><h1>500 Internal Server Error</h1><hr><center>nginx</center></body></html>' };
const EMPTY_503: Reply = { kind: 'raw', code: 503, body: '' };
const UNAUTHORIZED = status(401, 'Unauthorized', 'Unauthorized');
const FORBIDDEN = status(403, 'Forbidden', 'pods "web-0" is forbidden: User "fault-user" cannot create resource "pods/exec" in API group "" in the namespace "default"', { name: 'web-0', kind: 'pods' });
const HUGE = 5 * 1024 * 1024;
/** What a single sign-on proxy answers to anything: a login page, with 200. */
const LOGIN_PAGE: Reply = { kind: 'raw', code: 200, contentType: 'text/html; charset=utf-8', body: '<!doctype html><html><head><title>Sign in</title></head><body><form>Sign in to continue</form></body></html>' };
const everywhere = (reply: Reply) => ({ discovery: reply, pod: reply, namespace: reply, exec: reply });

export const apiCases: Case[] = [
  {
    name: '401 with a Status, on every request',
    server: everywhere(UNAUTHORIZED),
    args: RUN,
    expect: { code: 1, cause: [/logged in|Unauthorized|credentials/i] },
  },
  {
    name: '401 for a basic-auth user (the password is never printed)',
    server: everywhere(UNAUTHORIZED),
    kubeconfig: (c) => kubeconfig(c, { user: ['username: fault-admin', `password: ${q(PASSWORD)}`] }),
    args: RUN,
    expect: { code: 1, cause: [/logged in|Unauthorized|credentials/i] },
  },
  {
    name: '401 whose Status echoes the bearer token: redacted',
    server: { ...everywhere(status(401, 'Unauthorized', `Unauthorized: invalid bearer token in "Authorization: Bearer ${JWT}"`)), discovery: undefined },
    kubeconfig: (c) => kubeconfig(c, { user: [`token: ${q(JWT)}`] }),
    args: RUN,
    expect: { code: 1, cause: [/logged in|Unauthorized|credentials/i] },
    kubectlBad: "kubectl prints the server's message as it is, token and all",
  },
  {
    name: '403 with a Status, on the pod and the exec',
    server: { pod: FORBIDDEN, exec: FORBIDDEN },
    args: RUN,
    expect: { code: 1, cause: [/forbidden/] },
  },
  {
    // Issue 10, "also seen": exec refusals skipped the redaction REST errors get.
    name: '403 on the exec only, whose Status echoes the token: redacted',
    server: { exec: status(403, 'Forbidden', `pods "web-0" is forbidden: token=${JWT} may not exec (request header "Authorization: Bearer ${JWT}")`) },
    kubeconfig: (c) => kubeconfig(c, { user: [`token: ${q(JWT)}`] }),
    args: RUN,
    expect: { code: 1, cause: [/forbidden/] },
    kubectlBad: "kubectl prints the server's message as it is, token and all",
  },
  {
    name: '404: no such pod',
    args: ['gone-0', '--', 'true'],
    expect: { code: 1, cause: [/pods "gone-0" not found/] },
  },
  {
    // Issue 10, item 8.
    name: '404: no such namespace is reported as the namespace, as kubectl does',
    args: ['-n', 'no-such-ns', ...RUN],
    expect: { code: 1, cause: [/namespaces "no-such-ns" not found/] },
  },
  {
    name: '404 for the exec subresource itself (the server does not serve it)',
    server: { exec: status(404, 'NotFound', 'the server could not find the requested resource', {}) },
    args: RUN,
    expect: { code: 1, cause: [/could not find the requested resource/] },
  },
  {
    name: '500 with an HTML page, on the pod and the exec',
    server: { pod: HTML_500, exec: HTML_500 },
    args: RUN,
    expect: { code: 1, cause: [/500/] },
  },
  {
    name: '500 with an HTML page, on every request (discovery too)',
    server: everywhere(HTML_500),
    args: RUN,
    expect: { code: 1, cause: [/500/] },
  },
  {
    name: '500 with an HTML page, on the exec only',
    server: { exec: HTML_500 },
    args: RUN,
    expect: { code: 1, cause: [/500/] },
  },
  {
    name: '503 with an empty body, on the exec only',
    server: { exec: EMPTY_503 },
    args: RUN,
    expect: { code: 1, cause: [/503|unavailable/i] },
    kubectlBad: 'kubectl prints "Error from server: " with nothing after it',
  },
  {
    name: '503 with an empty body, on the pod and the exec',
    server: { pod: EMPTY_503, exec: EMPTY_503 },
    args: RUN,
    expect: { code: 1, cause: [/503|unavailable/i] },
  },
  {
    name: '400 with a Status: a container the pod does not have',
    args: ['-c', 'nope', ...RUN],
    expect: { code: 1, cause: [/container nope is not valid for pod web-0/] },
  },
  {
    name: '429 with Retry-After, on the exec',
    server: { exec: { kind: 'raw', code: 429, contentType: 'text/plain', headers: { 'Retry-After': '1' }, body: 'Too many requests, please try again later.\n' } },
    args: RUN,
    expect: { code: 1, cause: [/429|too many/i] },
  },
  {
    name: 'a huge (5 MiB) text body on the exec refusal: one short line',
    server: { exec: { kind: 'raw', code: 502, contentType: 'text/plain', body: 'upstream connect error '.repeat(HUGE / 23) } },
    args: RUN,
    expect: { code: 1, cause: [/502|bad gateway/i] },
    kubectlBad: 'kubectl prints the whole 5 MiB body as its error message',
  },
  {
    name: 'a huge (5 MiB) HTML body on the pod and the exec: one short line',
    server: { pod: { ...HTML_500, body: `<html>${'<p>busy</p>'.repeat(HUGE / 11)}</html>` }, exec: { ...HTML_500, body: `<html>${'<p>busy</p>'.repeat(HUGE / 11)}</html>` } },
    args: RUN,
    expect: { code: 1, cause: [/500/] },
    kubectlBad: 'kubectl quotes the whole 5 MiB body in its error message',
  },
  {
    name: 'a huge Status message (1 MiB): one short line',
    server: { pod: status(500, 'InternalError', `Internal error occurred: ${'x'.repeat(1024 * 1024)}`), exec: status(500, 'InternalError', `Internal error occurred: ${'x'.repeat(1024 * 1024)}`) },
    args: RUN,
    expect: { code: 1, cause: [/Internal error/] },
    kubectlBad: 'kubectl prints the whole 1 MiB message',
  },
  {
    name: 'a login page (200, HTML) for every request: not JSON',
    server: everywhere(LOGIN_PAGE),
    args: RUN,
    expect: { code: 1, cause: [/JSON|HTML|200/] },
  },
  {
    name: 'the exec answered 200 with a page instead of an upgrade',
    server: { exec: LOGIN_PAGE },
    args: RUN,
    expect: { code: 1, cause: [/200|upgrade/i] },
  },
  {
    name: 'the exec refused (404) and the pod lookup answers something that is not JSON',
    server: { exec: status(404, 'NotFound', 'pods "web-0" not found', { name: 'web-0', kind: 'pods' }), pod: { kind: 'raw', code: 200, contentType: 'application/json', body: '{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-0"' } },
    args: RUN,
    expect: { code: 1, cause: [/JSON|pods "web-0" not found/] },
  },
  {
    name: 'the pod lookup resets the connection, the exec is refused',
    server: { pod: { kind: 'reset' }, exec: status(404, 'NotFound', 'pods "web-0" not found', { name: 'web-0', kind: 'pods' }) },
    args: RUN,
    expect: { code: 1, cause: [/reset|closed|not found/i] },
  },
  // The same faults as a real API server gives them (kubesim).
  {
    name: 'kubesim: a token the server does not know (401)',
    server: 'kubesim',
    args: ['--context', 'kubesim-badtoken', ...RUN],
    expect: { code: 1, cause: [/logged in|Unauthorized/i] },
  },
  {
    name: 'kubesim: RBAC forbids the exec (403)',
    server: 'kubesim',
    args: ['--context', 'kubesim-forbidden', ...RUN],
    expect: { code: 1, cause: [/forbidden/] },
  },
  {
    name: 'kubesim: no such namespace',
    server: 'kubesim',
    args: ['-n', 'no-such-ns', ...RUN],
    expect: { code: 1, cause: [/namespaces "no-such-ns" not found/] },
  },
  {
    name: 'kubesim: a completed pod',
    server: 'kubesim',
    args: ['done-0', '--', 'true'],
    expect: { code: 1, cause: [/completed pod/] },
  },
  {
    name: 'kubesim: a container the pod does not have',
    server: 'kubesim',
    args: ['-c', 'nope', ...RUN],
    expect: { code: 1, cause: [/nope/] },
  },
  {
    name: 'kubesim: an executable the container does not have',
    server: 'kubesim',
    args: ['web-0', '--', 'no-such-binary'],
    expect: { cause: [/no-such-binary/] },
  },
];
