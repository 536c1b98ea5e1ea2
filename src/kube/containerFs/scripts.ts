// The shell scripts that do the file work inside the container. They run as
// `sh -c SCRIPT kube-exec ARG...`: paths travel as separate argv elements (the exec API passes
// argv as is), so no file name is ever parsed by a shell and no quoting can go wrong.
//
// They need only what a busybox image has: a POSIX sh (its builtins `[`, `printf`, `cd`, `trap`, `true`)
// plus cat, head, wc, stat, mkdir, rm, mv, cp, tar. Tests use shell builtins where they can, so a
// listing works even with no coreutils at all. Conditions the script checks itself end with
// the exit codes below; a failing tool leaves its own message (ending in the C library's
// strerror text) on stderr, which errors.ts reads.

/** Exit codes our scripts use for conditions they detect themselves. */
export const EXIT = {
  notFound: 90,
  exists: 91,
  notADirectory: 92,
  isADirectory: 93,
  notEmpty: 94,
  /** The upload ended before all bytes arrived; the target was left as it was. */
  incomplete: 95,
  permissionDenied: 96,
  /** A FIFO or socket: reading it would wait for a writer forever. */
  notAFile: 97,
} as const;

/** Output record of a directory entry or stat: `<L|-><d|f|o|x>`, L = symlink, x = dangling link. */
const TYPE_FLAGS = `
if [ -L "$p" ]; then l=L; elif [ -e "$p" ]; then l=-; else l=; fi
if [ -d "$p" ]; then t=d; elif [ -f "$p" ]; then t=f; elif [ -e "$p" ]; then t=o; else t=x; fi`;

/** Leaves with ENOENT, or EACCES when the parent exists but cannot be searched. */
const NOT_FOUND = `{ d=\${p%/*}; if [ -n "$d" ] && [ -d "$d" ] && [ ! -x "$d" ]; then exit ${EXIT.permissionDenied}; fi; exit ${EXIT.notFound}; }`;

/** The parent of "$p" must be a directory (for creating "$p"). */
const PARENT_IS_DIRECTORY = `
d=\${p%/*}
if [ -n "$d" ] && [ ! -d "$d" ]; then if [ -e "$d" ]; then exit ${EXIT.notADirectory}; fi; exit ${EXIT.notFound}; fi`;

/**
 * stat PATH -> one line `<L|-><d|f|o|x><w|-> SIZE MTIME CTIME` (seconds). Size and times follow
 * symlinks; `w` means the exec user may write it. Without a `stat` tool the size comes from
 * `wc -c` and the times are 0.
 */
export const STAT = `p=$1${TYPE_FLAGS}
if [ -z "$l" ]; then ${NOT_FOUND}; fi
if [ -w "$p" ]; then w=w; else w=-; fi
if [ "$t" = x ]; then printf '%s\\n' "$l$t$w 0 0 0"; exit 0; fi
if command -v stat >/dev/null 2>&1; then s=$(stat -L -c '%s %Y %Z' -- "$p") || exit
elif [ "$t" = f ]; then s="$(wc -c < "$p") 0 0" || exit
else s='0 0 0'; fi
printf '%s\\n' "$l$t$w $s"`;

/**
 * readdir DIR -> records `<L|-><d|f|o|x>NAME/`, one per entry except . and .., using only
 * shell builtins. `/` ends a record because it is the one byte (with NUL, which printf in some
 * shells cannot write) that no file name contains; names with newlines or any bytes come
 * through whole.
 */
export const READ_DIRECTORY = `p=$1
if [ ! -d "$p" ]; then if [ -e "$p" ]; then exit ${EXIT.notADirectory}; fi; ${NOT_FOUND}; fi
cd "$p" || exit
if [ ! -r . ]; then exit ${EXIT.permissionDenied}; fi
for p in * .[!.]* ..?*; do${TYPE_FLAGS}
  if [ -n "$l" ]; then printf '%s%s%s/' "$l" "$t" "$p"; fi
done`;

/**
 * read PATH -> a first line with the size (or `-` when unknown), then the bytes. The size
 * lets the reader allocate the result once instead of collecting chunks and copying them.
 */
export const READ_FILE = `p=$1
if [ -d "$p" ]; then exit ${EXIT.isADirectory}; fi
if [ -p "$p" ] || [ -S "$p" ]; then exit ${EXIT.notAFile}; fi
if [ ! -e "$p" ] && [ ! -L "$p" ]; then ${NOT_FOUND}; fi
s=$(stat -L -c %s -- "$p" 2>/dev/null) || s=-
printf '%s\\n' "$s"
exec cat -- "$p"`;

/**
 * write PATH SIZE CREATE OVERWRITE, content on stdin. The bytes go to a temporary file first
 * (next to the target, else in $TMPDIR or /tmp) and are checked against SIZE before they are
 * copied over the target, so a dropped connection does not leave a truncated file (only where no
 * temporary file can be made at all is the target written directly). Copying with `cat >`
 * rather than `mv` keeps the target's inode: its owner, mode, hard links, and a symlink stays a
 * symlink. `head -c` reads exactly SIZE bytes, so the upload ends even where stdin EOF cannot be
 * sent (before the v5 protocol). The temporary file is claimed under noclobber (`set -C`) with
 * `true >`, not `: >`: a failed redirection on a special builtin such as `:` ends a POSIX shell.
 */
export const WRITE_FILE = `p=$1 n=$2
if [ -d "$p" ]; then exit ${EXIT.isADirectory}; fi
if [ -e "$p" ] || [ -L "$p" ]; then
  if [ "$4" != 1 ]; then exit ${EXIT.exists}; fi
else
  if [ "$3" != 1 ]; then exit ${EXIT.notFound}; fi${PARENT_IS_DIRECTORY.replace(/\n/g, '\n  ')}
fi
if command -v head >/dev/null 2>&1; then take() { head -c "$n"; }; else take() { cat; }; fi
t=
set -C
for d in "\${p%/*}" "\${TMPDIR:-/tmp}"; do
  if { true > "$d/.kube-exec-upload.$$"; } 2>/dev/null; then t=$d/.kube-exec-upload.$$; break; fi
done
set +C
if [ -z "$t" ]; then
  take >| "$p" || exit
  got=$(wc -c < "$p") || exit
  if [ $got -ne $n ]; then exit ${EXIT.incomplete}; fi
  exit 0
fi
trap 'rm -f "$t"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
take >| "$t" || exit
got=$(wc -c < "$t") || exit
if [ $got -ne $n ]; then exit ${EXIT.incomplete}; fi
cat -- "$t" >| "$p"`;

/** mkdir PATH: fails if it exists or its parent does not. */
export const CREATE_DIRECTORY = `p=$1
if [ -e "$p" ] || [ -L "$p" ]; then exit ${EXIT.exists}; fi${PARENT_IS_DIRECTORY}
exec mkdir -- "$p"`;

/**
 * delete PATH RECURSIVE. A symlink is removed, never followed. Without RECURSIVE a directory
 * must be empty (checked with globs, since not every image has rmdir).
 */
export const DELETE = `p=$1
if [ ! -e "$p" ] && [ ! -L "$p" ]; then ${NOT_FOUND}; fi
if [ -d "$p" ] && [ ! -L "$p" ] && [ "$2" != 1 ]; then
  for e in "$p"/* "$p"/.[!.]* "$p"/..?*; do if [ -e "$e" ] || [ -L "$e" ]; then exit ${EXIT.notEmpty}; fi; done
fi
exec rm -rf -- "$p"`;

/**
 * Shared by rename and copy: SOURCE must exist; an existing TARGET is an error unless
 * OVERWRITE, and is then removed first (so a directory target is replaced rather than
 * receiving the source inside it, which is what plain mv/cp would do).
 */
const MOVE_PRECHECK = `s=$1 p=$2
if [ ! -e "$s" ] && [ ! -L "$s" ]; then exit ${EXIT.notFound}; fi
if [ -e "$p" ] || [ -L "$p" ]; then
  if [ "$3" != 1 ]; then exit ${EXIT.exists}; fi
  rm -rf -- "$p" || exit
else${PARENT_IS_DIRECTORY.replace(/\n/g, '\n  ')}
fi`;

/** rename SOURCE TARGET OVERWRITE */
export const RENAME = `${MOVE_PRECHECK}
exec mv -f -- "$s" "$p"`;

/** copy SOURCE TARGET OVERWRITE: recursive, symlinks copied as links. */
export const COPY = `${MOVE_PRECHECK}
exec cp -R -- "$s" "$p"`;

/** tar-out DIR -> a tar archive of the directory's contents on stdout. */
export const TAR_OUT = `p=$1
if [ ! -d "$p" ]; then if [ -e "$p" ]; then exit ${EXIT.notADirectory}; fi; ${NOT_FOUND}; fi
exec tar -cf - -C "$p" .`;

/** tar-in DIR OVERWRITE, archive on stdin: creates DIR (replacing it with OVERWRITE) and unpacks into it. */
export const TAR_IN = `p=$1
if [ -e "$p" ] || [ -L "$p" ]; then
  if [ "$2" != 1 ]; then exit ${EXIT.exists}; fi
  rm -rf -- "$p" || exit
else${PARENT_IS_DIRECTORY.replace(/\n/g, '\n  ')}
fi
mkdir -- "$p" || exit
exec tar -xf - -C "$p"`;
