// Fault catalogue, group 4: names that are not names. A namespace, pod or container name that
// Kubernetes could never have created must be refused before anything is sent (the fault
// server must see no request at all), with kubectl's wording where kubectl refuses it too;
// otherwise a ".." or "/" in a name changes the URL and the user sees an unrelated answer
// (issue 10, item 1). The fault server answers like a real API server: pod web-0 with
// container app in namespace default, 404 for any other pod or namespace, 400 for any other
// container.
import { kubeconfig, type Case } from './harness.ts';

const CMD = ['--', 'true'];

/** kubectl refuses these itself, before asking for the pod: ours must say what kubectl says. */
const kubectlRefuses = (name: string, args: string[]): Case => ({
  name,
  args: [...args, ...CMD],
  expect: { code: 1, noRequest: true, kubectlWording: true },
});

/** kubectl sends these (and the server says not found); ours refuses them up front, naming the name. */
const refused = (name: string, args: string[], cause: RegExp[]): Case => ({
  name,
  args: [...args, ...CMD],
  expect: { code: 1, noRequest: true, cause },
});

export const inputCases: Case[] = [
  kubectlRefuses('namespace ".."', ['-n', '..', 'web-0']),
  { name: 'pods: namespace ".."', command: 'pods', args: ['-n', '..'], expect: { code: 1, noRequest: true, kubectlWording: true } },
  kubectlRefuses('namespace "."', ['-n', '.', 'web-0']),
  kubectlRefuses('namespace "a/b"', ['-n', 'a/b', 'web-0']),
  kubectlRefuses('namespace "%"', ['-n', '%', 'web-0']),
  kubectlRefuses('pod "."', ['.']),
  kubectlRefuses('pod ".."', ['..']),
  kubectlRefuses('pod/..', ['pod/..']),
  kubectlRefuses('pod "a%2Fb"', ['a%2Fb']),
  kubectlRefuses('pod "%"', ['%']),
  refused('pod "" (empty)', [''], [/empty|must be specified|required/i]),
  refused('pod "a/b" (a slash that is not TYPE/NAME)', ['a/b'], [/a\/b/]),
  refused('pod/a/b (two slashes)', ['pod/a/b'], [/a\/b/]),
  refused('pod "Web-0" (uppercase)', ['Web-0'], [/"Web-0"/]),
  refused('pod "a b" (a space)', ['a b'], [/"a b"/]),
  refused('pod name of 254 characters', ['a'.repeat(254)], [/253/]),
  refused('pod "pöd" (not ASCII)', ['pöd'], [/"pöd"/]),
  refused('pod "-web" (starts with "-")', ['pod/-web'], [/"-web"/]),
  refused('pod "web\\n0" (a newline: still one line, the name quoted)', ['web\n0'], [/"web\\n0"/]),
  refused('pod "web-0?container=x" (a query in the name)', ['web-0?container=x'], [/web-0\?container=x/]),
  refused('pod "web-0#frag" (a fragment in the name)', ['web-0#frag'], [/web-0#frag/]),
  refused('namespace "UPPER"', ['-n', 'UPPER', 'web-0'], [/"UPPER"/]),
  refused('namespace "-bad" (starts with "-")', ['--namespace=-bad', 'web-0'], [/"-bad"/]),
  refused('namespace of 64 characters (a label has at most 63)', ['-n', 'n'.repeat(64), 'web-0'], [/63/]),
  refused('namespace "näme" (not ASCII)', ['-n', 'näme', 'web-0'], [/"näme"/]),
  refused('namespace "a.b" (a dot: namespaces are labels)', ['-n', 'a.b', 'web-0'], [/"a\.b"/]),
  refused('container ".."', ['-c', '..', 'web-0'], [/container/, /"\.\."/]),
  refused('container "UP"', ['-c', 'UP', 'web-0'], [/container/, /"UP"/]),
  refused('container "a/b"', ['-c', 'a/b', 'web-0'], [/container/, /"a\/b"/]),
  refused('container "app&command=rm" (a query parameter in the name)', ['-c', 'app&command=rm', 'web-0'], [/container/, /app&command=rm/]),
  {
    name: 'namespace ".." from the kubeconfig context',
    kubeconfig: (c) => kubeconfig(c, { namespace: '..' }),
    args: ['web-0', ...CMD],
    expect: { code: 1, noRequest: true, kubectlWording: true },
  },
  {
    name: 'namespace "" (-n ""): the context namespace, as kubectl',
    args: ['-n', '', 'web-0', ...CMD],
    expect: { ok: true, stdout: 'ok\n' },
  },
  {
    name: 'container "" (-c ""): the default container, as kubectl',
    args: ['-c', '', 'web-0', ...CMD],
    expect: { ok: true, stdout: 'ok\n' },
  },
];
