// Reads what an ELF executable needs from the dynamic loader: its interpreter (PT_INTERP) and DT_NEEDED libraries.
// Enough of the format for 64-bit little-endian executables (x86-64 and aarch64), which is all we ship.
import { readFileSync } from 'node:fs';

export interface ElfDynamicInfo {
  machine: 'x86-64' | 'aarch64' | `unknown (${number})`;
  interpreter: string | null;
  needed: string[];
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NULL = 0n;
const DT_NEEDED = 1n;
const DT_STRTAB = 5n;
const DT_STRSZ = 10n;

export function readElfDynamicInfo(path: string): ElfDynamicInfo {
  return parseElf(readFileSync(path));
}

interface Segment {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

/**
 * Reads what the loader reads: the program headers (PT_INTERP, PT_DYNAMIC) and, through the PT_LOAD segments, the
 * dynamic string table. Section headers are ignored, since a stripped executable may have none.
 */
export function parseElf(buf: Buffer): ElfDynamicInfo {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  if (buf[4] !== 2) throw new Error('not a 64-bit ELF file');
  if (buf[5] !== 1) throw new Error('not a little-endian ELF file');
  const eMachine = buf.readUInt16LE(18);
  const machine = eMachine === 62 ? 'x86-64' : eMachine === 183 ? 'aarch64' : (`unknown (${eMachine})` as const);
  const phoff = Number(buf.readBigUInt64LE(32));
  const phentsize = buf.readUInt16LE(54);
  const phnum = buf.readUInt16LE(56);
  if (phoff + phnum * phentsize > buf.length) throw new Error('truncated ELF file (program headers)');

  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    segments.push({
      type: buf.readUInt32LE(ph),
      offset: Number(buf.readBigUInt64LE(ph + 8)),
      vaddr: Number(buf.readBigUInt64LE(ph + 16)),
      filesz: Number(buf.readBigUInt64LE(ph + 32)),
    });
  }
  const inFile = (s: Segment) => {
    if (s.offset + s.filesz > buf.length) throw new Error('truncated ELF file (segment beyond the end)');
    return s;
  };

  const interp = segments.find((s) => s.type === PT_INTERP);
  const interpreter = interp ? cString(buf, inFile(interp).offset, interp.offset + interp.filesz) : null;

  const needed: string[] = [];
  const dynamic = segments.find((s) => s.type === PT_DYNAMIC);
  if (dynamic) {
    inFile(dynamic);
    const entries: Array<[bigint, bigint]> = [];
    for (let p = dynamic.offset; p + 16 <= dynamic.offset + dynamic.filesz; p += 16) {
      const tag = buf.readBigInt64LE(p);
      if (tag === DT_NULL) break;
      entries.push([tag, buf.readBigUInt64LE(p + 8)]);
    }
    const strtabAddr = entries.find(([tag]) => tag === DT_STRTAB)?.[1];
    const strsz = entries.find(([tag]) => tag === DT_STRSZ)?.[1];
    const hasNeeded = entries.some(([tag]) => tag === DT_NEEDED);
    if (hasNeeded && (strtabAddr === undefined || strsz === undefined)) throw new Error('DT_NEEDED without DT_STRTAB');
    if (strtabAddr !== undefined && strsz !== undefined) {
      // DT_STRTAB is a virtual address: the PT_LOAD segment that maps it gives its place in the file.
      const addr = Number(strtabAddr);
      const load = segments.find((s) => s.type === PT_LOAD && addr >= s.vaddr && addr < s.vaddr + s.filesz);
      if (!load) throw new Error('DT_STRTAB is not in any loaded segment');
      const strOff = inFile(load).offset + (addr - load.vaddr);
      const strEnd = strOff + Number(strsz);
      for (const [tag, value] of entries) {
        if (tag === DT_NEEDED) needed.push(cString(buf, strOff + Number(value), strEnd));
      }
    }
  }
  return { machine, interpreter, needed };
}

function cString(buf: Buffer, start: number, limit: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('latin1', start, end < 0 || end > limit ? limit : end);
}

/** The libraries glibc itself provides: all a driver executable may need inside Rancher's minimal images. */
export const GLIBC_LIBRARIES = [
  /^libc\.so\.6$/,
  /^libm\.so\.6$/,
  /^libpthread\.so\.0$/,
  /^libdl\.so\.2$/,
  /^librt\.so\.1$/,
  /^ld-linux-x86-64\.so\.2$/,
  /^ld-linux-aarch64\.so\.1$/,
];

export function outsideGlibc(needed: readonly string[]): string[] {
  return needed.filter((lib) => !GLIBC_LIBRARIES.some((re) => re.test(lib)));
}
