/** A gzip'd POSIX tar of one executable file `name` (mode 0755, owner 0:0, mtime in seconds since the epoch). */
export function singleFileTarGz(name: string, data: Uint8Array, mtime: number): Buffer;
