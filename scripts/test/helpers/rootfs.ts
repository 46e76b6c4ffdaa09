// A root filesystem that holds one executable and the glibc files it names (its loader and DT_NEEDED libraries),
// copied from this host, the way Rancher's minimal images hold little more than glibc. Anything the executable needs
// beyond that is missing inside, so running it there proves it needs nothing else.
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { outsideGlibc, readElfDynamicInfo } from '../../lib/elf';

export interface Rootfs {
  dir: string;
  /** The executable's path inside the root. */
  executable: string;
  /** Its ELF interpreter (the dynamic loader), by the absolute path the executable names. */
  interpreter: string;
  /** Every regular file under the root, as absolute paths inside it. */
  files(): string[];
}

const MULTIARCH = { 'x86-64': 'x86_64-linux-gnu', aarch64: 'aarch64-linux-gnu' } as const;

/** Where the host keeps `lib`: the first of the loader's usual directories that has it. */
export function findHostLibrary(lib: string, machine: string): string | null {
  const triple = MULTIARCH[machine as keyof typeof MULTIARCH];
  const dirs = [
    ...(triple ? [`/lib/${triple}`, `/usr/lib/${triple}`] : []),
    '/lib64',
    '/usr/lib64',
    '/lib',
    '/usr/lib',
  ];
  return dirs.map((dir) => join(dir, lib)).find((path) => existsSync(path)) ?? null;
}

/** Hard-links when the executable is on the same filesystem (it is large), copies otherwise. */
function place(source: string, target: string): void {
  mkdirSync(dirname(target), { recursive: true });
  try {
    linkSync(source, target);
  } catch {
    copyFileSync(source, target);
  }
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}/${e.name}`) : [`${prefix}/${e.name}`],
  );
}

/**
 * Builds the root under `parent`. `emptyDirs` are created as mount points (e.g. `/proc`). Throws when the executable
 * needs a library outside glibc or one the host lacks.
 */
export function glibcRootfs(executable: string, parent: string, emptyDirs: string[] = []): Rootfs {
  const info = readElfDynamicInfo(executable);
  const foreign = outsideGlibc(info.needed);
  if (foreign.length > 0) throw new Error(`${executable} needs libraries outside glibc: ${foreign.join(', ')}`);
  if (!info.interpreter) throw new Error(`${executable} has no ELF interpreter (not dynamically linked)`);
  const dir = mkdtempSync(join(parent, 'rootfs-'));
  // mkdtemp makes 0700; an unprivileged user inside must be able to walk the tree.
  chmodSync(dir, 0o755);
  const inside = `/${executable.split('/').pop()}`;
  place(executable, join(dir, inside));
  // The loader resolves libraries by name, so each is placed under the host path where it was found; the content
  // comes from the symlink's target.
  place(realpathSync(info.interpreter), join(dir, info.interpreter));
  for (const lib of info.needed) {
    const found = findHostLibrary(lib, info.machine);
    if (!found) throw new Error(`${lib}, needed by ${executable}, is not on this host`);
    place(realpathSync(found), join(dir, found));
  }
  for (const d of emptyDirs) mkdirSync(join(dir, d), { recursive: true });
  const walk = (p: string) => {
    chmodSync(p, 0o755);
    for (const e of readdirSync(p, { withFileTypes: true })) if (e.isDirectory()) walk(join(p, e.name));
  };
  walk(dir);
  return { dir, executable: inside, interpreter: info.interpreter, files: () => listFiles(dir) };
}
