// User data as rancher-machine delivers it: the first user-data flag (`hetzner-user-data`) carries the PATH of the
// cloud-config it wrote (`$TMPDIR/modified-user-data…`), so there a value that is a path is read, never sent
// literally. Only there: rancher-machine turns no other flag into a file, and a path in a machine pool is input from
// whoever may edit the pool. So the read is bounded, limited to regular files outside the kernel's pseudo-file
// systems (where the process's own environment, with the API token, lives), and every way a path can be unusable
// fails with the same message, so that errors tell nothing about files the caller could not read anyway.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readlinkSync, readSync, realpathSync } from 'node:fs';

/** Hetzner's limit on `user_data` in POST /servers. */
export const USER_DATA_LIMIT = 32 * 1024;

/** Directories whose files are the kernel's views (environment, memory maps, devices), never user data. */
const PSEUDO_FILE_SYSTEMS = ['/proc', '/sys', '/dev'];

const MAX_PATH = 4096;

export class UserDataError extends Error {
  constructor(
    readonly flag: string,
    message: string,
  ) {
    super(message);
  }
}

/** A one-line value that starts like a path: decided by its text alone, never by what exists on disk. */
function isPathLike(value: string): boolean {
  const v = value.trim();
  return v.length > 0 && v.length <= MAX_PATH && !/[\n\r\0]/.test(v) && /^(\/|\.\.?\/)/.test(v);
}

const UNUSABLE_FILE =
  'names no file the driver can use: give the path of a readable regular file outside /proc, /sys and /dev that ' +
  'holds UTF-8 cloud-init user data (starting with #cloud-config, #! or another cloud-init header), or the user ' +
  'data itself';

const TOO_LARGE_FILE =
  `names a file larger than Hetzner's limit of ${USER_DATA_LIMIT} bytes (32 KiB) for user data: shorten it or ` +
  'fetch larger files from cloud-init instead';

function inPseudoFileSystem(path: string): boolean {
  return PSEUDO_FILE_SYSTEMS.some((dir) => path === dir || path.startsWith(`${dir}/`));
}

/** The path the descriptor was opened as, symlinks resolved, where /proc can tell (it can in every pod). */
function openedPath(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

/**
 * At most USER_DATA_LIMIT + 1 bytes of the file at `path`, or why not. The file is opened once and everything is
 * checked on that descriptor, so a path swapped between the checks and the read changes nothing.
 */
function readBounded(path: string): Buffer | 'unusable' | 'too-large' {
  let fd: number;
  try {
    // Refused before opening too: opening a device can have effects of its own.
    if (inPseudoFileSystem(realpathSync(path))) return 'unusable';
    // Non-blocking, so that a FIFO cannot hold the open; no controlling terminal from a tty.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    return 'unusable';
  }
  try {
    if (!fstatSync(fd).isFile()) return 'unusable';
    const opened = openedPath(fd);
    if (opened !== null && inPseudoFileSystem(opened)) return 'unusable';
    // Files in pseudo-file systems report size 0 whatever they hold, so the size is never trusted: read to the bound.
    const buf = Buffer.alloc(USER_DATA_LIMIT + 1);
    let filled = 0;
    while (filled < buf.length) {
      const n = readSync(fd, buf, filled, buf.length - filled, null);
      if (n === 0) break;
      filled += n;
    }
    if (filled > USER_DATA_LIMIT) return 'too-large';
    return buf.subarray(0, filled);
  } catch {
    return 'unusable';
  } finally {
    closeSync(fd);
  }
}

type PartType = 'text/cloud-config' | 'text/x-shellscript' | 'text/jinja2' | 'text/x-include-url';

function partType(content: string): PartType | null {
  const first = content.replace(/^\uFEFF/, '').trimStart();
  if (first.startsWith('#cloud-config')) return 'text/cloud-config';
  if (first.startsWith('#!')) return 'text/x-shellscript';
  if (first.startsWith('## template: jinja')) return 'text/jinja2';
  if (first.startsWith('#include')) return 'text/x-include-url';
  return null;
}

function isMime(content: string): boolean {
  return /^content-type:\s*multipart\//i.test(content.trimStart()) || /^mime-version:/i.test(content.trimStart());
}

/** The user data in the file at `path` (the value of `flag`), which must be cloud-init user data in UTF-8. */
function readUserDataFile(flag: string, path: string): string {
  const bytes = readBounded(path);
  if (bytes === 'too-large') throw new UserDataError(flag, TOO_LARGE_FILE);
  if (bytes === 'unusable') throw new UserDataError(flag, UNUSABLE_FILE);
  let content: string;
  try {
    content = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UserDataError(flag, UNUSABLE_FILE);
  }
  // Anything else is no user data cloud-init would run; saying which would tell what the file starts with.
  if (!partType(content) && !isMime(content)) throw new UserDataError(flag, UNUSABLE_FILE);
  return content;
}

/** Inline content, checked for what reaches us from a Go string that was not UTF-8. */
function inlineUserData(flag: string, value: string): string {
  // Bytes that were not UTF-8 reach us (through gob strings) as U+FFFD: the server would boot with mangled data.
  if (value.includes('\uFFFD')) {
    throw new UserDataError(flag, 'is not valid UTF-8 text: Hetzner accepts text user data only; save it as UTF-8');
  }
  return value;
}

/**
 * `hetzner-user-data`: inline content, or the content of the file a path-like value names (what rancher-machine
 * passes). The path is read however it arrived; the rules above make that safe.
 */
export function readUserDataValue(flag: string, value: string): { content: string; fromFile: string | null } {
  if (isPathLike(value)) return { content: readUserDataFile(flag, value.trim()), fromFile: value.trim() };
  return { content: inlineUserData(flag, value), fromFile: null };
}

/** `hetzner-additional-user-data`: always the content itself; rancher-machine never makes it a file. */
export function readAdditionalUserData(flag: string, value: string): string {
  if (isPathLike(value)) {
    throw new UserDataError(
      flag,
      'takes the cloud-config itself, not the path of a file: paste the content (only hetzner-user-data, where ' +
        'rancher-machine passes its file, is read from a file)',
    );
  }
  return inlineUserData(flag, value);
}

/**
 * Merges the additional cloud-config into the main user data as a cloud-init MIME multi-part message. cloud-init
 * merges the cloud-config parts itself; the Merge-Type appends lists (runcmd, write_files) and keeps the keys
 * Rancher set (hostname), so neither side's YAML has to be parsed or rewritten here.
 */
export function mergeUserData(main: string, additional: string, boundarySeed?: string): string {
  if (additional.trim() === '') return main;
  if (main.trim() === '') return additional;
  const extraType = partType(additional);
  if (!extraType) {
    throw new UserDataError(
      'hetzner-additional-user-data',
      'must start with "#cloud-config" (or "#!" for a script); add that first line',
    );
  }
  if (isMime(main)) {
    throw new UserDataError(
      'hetzner-additional-user-data',
      'cannot be merged into user data that is already a MIME multi-part message; put the extra configuration ' +
        'into that message instead',
    );
  }
  const mainType = partType(main);
  if (!mainType) {
    throw new UserDataError(
      'hetzner-user-data',
      'must start with "#cloud-config" or "#!" to be merged with hetzner-additional-user-data',
    );
  }
  let boundary = `==HETZNER-${boundarySeed ?? randomBytes(12).toString('hex')}==`;
  while (main.includes(boundary) || additional.includes(boundary))
    boundary = `==HETZNER-${randomBytes(12).toString('hex')}==`;
  const part = (type: PartType, content: string, name: string) =>
    [
      `--${boundary}`,
      `Content-Type: ${type}; charset="utf-8"`,
      'MIME-Version: 1.0',
      `Content-Disposition: attachment; filename="${name}"`,
      ...(type === 'text/cloud-config' ? ['Merge-Type: list(append)+dict(no_replace,recurse_list)+str()'] : []),
      '',
      content.endsWith('\n') ? content.slice(0, -1) : content,
    ].join('\n');
  return [
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    'MIME-Version: 1.0',
    '',
    part(mainType, main, 'rancher-user-data'),
    part(extraType, additional, 'hetzner-additional-user-data'),
    `--${boundary}--`,
    '',
  ].join('\n');
}

/** Reads both flags, merges them and enforces Hetzner's size limit. */
export function resolveUserData(userData: string, additionalUserData: string): { content: string; sources: string[] } {
  const main = readUserDataValue('hetzner-user-data', userData);
  const extra = readAdditionalUserData('hetzner-additional-user-data', additionalUserData);
  const content = mergeUserData(main.content, extra);
  if (Buffer.byteLength(content, 'utf8') > USER_DATA_LIMIT) {
    // No size in the message: with a file in it, that would tell the file's size.
    throw new UserDataError(
      'hetzner-user-data',
      `the user data is larger than Hetzner's limit of ${USER_DATA_LIMIT} bytes (32 KiB), ` +
        'hetzner-additional-user-data included; shorten it or fetch larger files from cloud-init instead',
    );
  }
  return { content, sources: main.fromFile === null ? [] : [main.fromFile] };
}
