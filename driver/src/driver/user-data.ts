// User data as rancher-machine delivers it: the first user-data flag carries the PATH of the cloud-config it wrote
// (`$TMPDIR/modified-user-data…`), so a value that names an existing regular file is read, never sent literally.
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

/** Hetzner's limit on `user_data` in POST /servers. */
export const USER_DATA_LIMIT = 32 * 1024;

export class UserDataError extends Error {
  constructor(
    readonly flag: string,
    message: string,
  ) {
    super(message);
  }
}

/** True when `value` is the path of an existing regular file (as opposed to inline content). */
function isFilePath(value: string): boolean {
  if (value === '' || value.length > 4096 || /[\n\r]/.test(value)) return false;
  try {
    return statSync(value).isFile();
  } catch {
    return false;
  }
}

/** Inline content, or the content of the file the value names. */
export function readUserDataValue(flag: string, value: string): { content: string; fromFile: string | null } {
  if (!isFilePath(value)) {
    // Sending a path as user data boots a server that never joins; say so instead.
    if (/^(\/|\.\.?\/)[^\n]*$/.test(value.trim())) {
      throw new UserDataError(
        flag,
        `"${value.trim()}" looks like a file path, but no readable regular file is there: fix the path or pass the ` +
          'content itself',
      );
    }
    // Bytes that were not UTF-8 reach us (through gob strings) as U+FFFD: the server would boot with mangled data.
    if (value.includes('\uFFFD')) {
      throw new UserDataError(flag, 'is not valid UTF-8 text: Hetzner accepts text user data only; save it as UTF-8');
    }
    return { content: value, fromFile: null };
  }
  let bytes: Buffer;
  try {
    // Far larger than the API accepts: refuse without reading the whole file into memory.
    if (statSync(value).size > USER_DATA_LIMIT * 4) {
      throw new UserDataError(
        flag,
        `the user data file ${value} is ${statSync(value).size} bytes; Hetzner accepts at most ${USER_DATA_LIMIT} ` +
          'bytes (32 KiB): shorten it or fetch larger files from cloud-init instead',
      );
    }
    bytes = readFileSync(value);
  } catch (e) {
    if (e instanceof UserDataError) throw e;
    throw new UserDataError(flag, `cannot read the user data file ${value}: ${(e as Error).message}`);
  }
  try {
    return { content: new TextDecoder('utf-8', { fatal: true }).decode(bytes), fromFile: value };
  } catch {
    throw new UserDataError(
      flag,
      `the user data file ${value} is not valid UTF-8 text (gzip or other binary data cannot be sent): save it as UTF-8`,
    );
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
  const extra = readUserDataValue('hetzner-additional-user-data', additionalUserData);
  const content = mergeUserData(main.content, extra.content);
  const size = Buffer.byteLength(content, 'utf8');
  if (size > USER_DATA_LIMIT) {
    throw new UserDataError(
      'hetzner-user-data',
      `the user data is ${size} bytes, more than Hetzner's limit of ${USER_DATA_LIMIT} bytes ` +
        '(32 KiB) including hetzner-additional-user-data; shorten it or fetch larger files from cloud-init instead',
    );
  }
  const sources = [main.fromFile, extra.fromFile].filter((s): s is string => s !== null);
  return { content, sources };
}
