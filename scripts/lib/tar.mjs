// The release archive format: what Rancher's job unpacks (`tar xzf`) to find docker-machine-driver-<name> at the
// top level. Written here rather than by the host's tar so that the bytes depend only on the inputs.
import { gzipSync } from 'node:zlib';

/**
 * A gzip'd POSIX tar holding one executable file (mode 0755, owner 0:0) and nothing else: no directory entry, no
 * extended headers, no host user names, a fixed mtime, no name or time in the gzip header.
 */
export function singleFileTarGz(name, data, mtime) {
  // ustar's plain header has 100 bytes for the name and 11 octal digits for the size; longer needs extensions.
  if (!/^[\x21-\x7e]{1,99}$/.test(name) || name.includes('/'))
    throw new Error(`unsuitable archive member name: ${name}`);
  if (data.length >= 8 ** 11) throw new Error(`${name} is too large for a plain ustar header`);
  const header = Buffer.alloc(512);
  const field = (offset, length, value) => header.write(value, offset, length, 'latin1');
  const octal = (offset, length, value) => field(offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
  field(0, 100, name);
  octal(100, 8, 0o755);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, data.length);
  octal(136, 12, mtime);
  field(148, 8, ' '.repeat(8));
  field(156, 1, '0');
  field(257, 8, 'ustar\x0000');
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512);
  // Two zero blocks end the archive.
  const tar = Buffer.concat([
    header,
    Buffer.from(data.buffer, data.byteOffset, data.length),
    padding,
    Buffer.alloc(1024),
  ]);
  return gzipSync(tar, { level: 6 });
}
