// Container "images": a bin directory per image holding only the programs that image ships, as
// symlinks to host binaries. An exec'd process gets PATH=<that dir>, so `command -v bash` and the
// runtime's own executable lookup see exactly what the image has. Processes are not chrooted:
// absolute paths in argv[0] are resolved against the container root (as runc does inside the
// container's mount namespace), but a running shell can still reach host files by absolute path.
import { access, chmod, constants, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type ImageName = 'kubesim/bash' | 'kubesim/busybox' | 'kubesim/distroless' | 'kubesim/windows';

export const IMAGES: readonly ImageName[] = ['kubesim/bash', 'kubesim/busybox', 'kubesim/distroless', 'kubesim/windows'];

const TOOLS = [
  'cat', 'echo', 'ls', 'stty', 'head', 'tail', 'sha256sum', 'sleep', 'true', 'false', 'env', 'tar',
  'mkdir', 'rm', 'mv', 'cp', 'stat', 'id', 'ps', 'kill', 'top', 'vi', 'grep', 'sed', 'wc', 'printf',
  'dd', 'base64', 'find', 'chmod', 'touch', 'readlink', 'uname', 'date', 'tty', 'pwd', 'test',
  'basename', 'dirname', 'seq', 'yes', 'od', 'tr', 'cut', 'sort', 'uniq', 'tee', 'xargs', 'md5sum',
  'hostname', 'clear', 'tput', 'less', 'more', 'which', 'timeout', 'nohup', 'expr',
];

const HOST_PATH = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function hostBinary(name: string): Promise<string | undefined> {
  for (const dir of HOST_PATH) {
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Windows executables are stand-ins: sh scripts that behave enough like a shell to type into. */
const CMD_EXE = `#!/bin/sh
# kubesim stand-in for cmd.exe: "/c CMD" runs CMD, otherwise an interactive prompt.
if [ "$1" = "/c" ] || [ "$1" = "/C" ]; then shift; exec /bin/sh -c "$*"; fi
PS1='C:\\> ' exec /bin/sh -i
`;

const POWERSHELL_EXE = `#!/bin/sh
# kubesim stand-in for powershell.exe: "-Command CMD" runs CMD, otherwise an interactive prompt.
if [ "$1" = "-Command" ] || [ "$1" = "-c" ]; then shift; exec /bin/sh -c "$*"; fi
PS1='PS C:\\> ' exec /bin/sh -i
`;

export function imageBinDir(root: string, image: ImageName): string {
  return join(root, 'images', image.replace('/', '_'), 'bin');
}

async function link(binDir: string, name: string, target: string | undefined): Promise<void> {
  if (!target) return;
  await symlink(target, join(binDir, name)).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
}

async function script(binDir: string, name: string, text: string): Promise<void> {
  const file = join(binDir, name);
  await writeFile(file, text);
  await chmod(file, 0o755);
}

/** Builds every image's bin directory under `<root>/images/`. */
export async function buildImages(root: string): Promise<void> {
  const tools = new Map<string, string | undefined>();
  for (const name of [...TOOLS, 'bash', 'dash']) tools.set(name, await hostBinary(name));
  const dash = tools.get('dash') ?? (await hostBinary('sh'));

  const bash = imageBinDir(root, 'kubesim/bash');
  await mkdir(bash, { recursive: true });
  await link(bash, 'bash', tools.get('bash'));
  await link(bash, 'sh', dash);
  for (const name of TOOLS) await link(bash, name, tools.get(name));

  // busybox: a POSIX sh and the usual applets, but no bash and no ash.
  const busybox = imageBinDir(root, 'kubesim/busybox');
  await mkdir(busybox, { recursive: true });
  await link(busybox, 'sh', dash);
  for (const name of TOOLS) await link(busybox, name, tools.get(name));

  // distroless: the application binary and nothing else, not even a shell.
  const distroless = imageBinDir(root, 'kubesim/distroless');
  await mkdir(distroless, { recursive: true });
  await link(distroless, 'sleep', tools.get('sleep'));

  const windows = imageBinDir(root, 'kubesim/windows');
  await mkdir(windows, { recursive: true });
  await script(windows, 'cmd.exe', CMD_EXE);
  await script(windows, 'powershell.exe', POWERSHELL_EXE);
}

export function isKnownImage(image: string): image is ImageName {
  return (IMAGES as readonly string[]).includes(image);
}

/** The image name without a tag or digest, e.g. `kubesim/bash:1.0` -> `kubesim/bash`. */
export function imageBase(image: string): string {
  const at = image.indexOf('@');
  const noDigest = at >= 0 ? image.slice(0, at) : image;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/**
 * The kubesim image behind an image reference: kubesim's own (`kubesim/bash:1.0`), or public
 * busybox images (`busybox:1.36`, `docker.io/library/busybox`), which debug containers use.
 * Undefined for anything else: kubesim cannot "pull" it.
 */
export function kubesimImage(image: string): ImageName | undefined {
  const base = imageBase(image.trim()).replace(/^docker\.io\//, '').replace(/^library\//, '');
  if (isKnownImage(base)) return base;
  return base === 'busybox' ? 'kubesim/busybox' : undefined;
}

export interface ContainerRoot {
  root: string;
  binDir: string;
}

/**
 * Creates (on first use) `<dir>/containers/<ns>/<pod>/<container>/` with `bin` and `usr/bin`
 * pointing at the image's bin directory, so `/bin/sh` style paths resolve like in the image.
 * Unknown images get the bash image's tools.
 */
export async function containerRoot(dir: string, ns: string, pod: string, container: string, image: string): Promise<ContainerRoot> {
  const binDir = imageBinDir(dir, kubesimImage(image) ?? 'kubesim/bash');
  const root = join(dir, 'containers', ns, pod, container);
  await mkdir(join(root, 'usr'), { recursive: true });
  await mkdir(join(root, 'tmp'), { recursive: true });
  await link(root, 'bin', binDir);
  await link(join(root, 'usr'), 'bin', binDir);
  return { root, binDir };
}

export async function executableAt(path: string): Promise<boolean> {
  return isExecutable(path);
}
