// Logging: the Logger every layer writes to, and its plugin-mode implementation. rancher-machine shows the plugin's stdout lines at INFO and its stderr lines only with
// --debug, and reads both with a bufio.Scanner that stops for good at a 64 KiB line: after that nobody drains the
// pipe and, since Node writes to pipes synchronously, the whole process would freeze. So every line is capped here.

/**
 * Where driver output goes. In plugin mode `info`/`warn` are user-facing lines on stdout (rancher-machine shows them
 * at INFO) and `debug`/`error` go to stderr. Implementations cap each line below 64 KiB.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
  error(message: string): void;
}

/** Longest line (in UTF-8 bytes, newline excluded) this module writes; well below bufio.Scanner's 64 KiB. */
export const MAX_LINE_BYTES = 16 * 1024;

/** What a Logger needs from a stream: process.stdout/stderr, or a test double. */
export interface LineSink {
  write(chunk: string): unknown;
  on?(event: 'error', listener: (err: Error) => void): unknown;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Cuts one line to at most `maxBytes` UTF-8 bytes, marker included, never splitting a character. The marker says
 * how much was dropped so that a reader knows the line is incomplete.
 */
export function capLine(line: string, maxBytes = MAX_LINE_BYTES): string {
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short strings need no encoding pass.
  if (line.length * 3 <= maxBytes) return line;
  const bytes = encoder.encode(line);
  if (bytes.length <= maxBytes) return line;
  const marker = ` …[truncated ${bytes.length} bytes]`;
  let end = Math.max(0, maxBytes - encoder.encode(marker).length);
  // Step back over UTF-8 continuation bytes so the cut lands on a character boundary.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return decoder.decode(bytes.subarray(0, end)) + marker;
}

/** Splits a message into lines (any of \r\n, \n, \r), capping each; a trailing newline adds no empty line. */
export function toLines(message: string, maxBytes = MAX_LINE_BYTES): string[] {
  const lines = message.split(/\r\n|\n|\r/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => capLine(l, maxBytes));
}

const guarded = new WeakSet<object>();

/**
 * Writes lines to a stream without ever throwing: a parent that went away (EPIPE) must not crash a plugin that
 * is, for instance, still rolling back a failed Create.
 */
export function writeLines(sink: LineSink, message: string, maxBytes = MAX_LINE_BYTES): void {
  if (sink.on && !guarded.has(sink)) {
    guarded.add(sink);
    sink.on('error', () => {});
  }
  const text = `${toLines(message, maxBytes).join('\n')}\n`;
  try {
    sink.write(text);
  } catch {
    // The stream is gone; there is nobody left to tell.
  }
}

export interface PluginLoggerOptions {
  stdout?: LineSink;
  stderr?: LineSink;
  maxLineBytes?: number;
}

/** info/warn → stdout (user-facing), debug/error → stderr (debug detail), as the plugin contract says. */
export function createPluginLogger(opts: PluginLoggerOptions = {}): Logger {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const max = opts.maxLineBytes ?? MAX_LINE_BYTES;
  return {
    info: (m) => writeLines(stdout, m, max),
    warn: (m) => writeLines(stdout, `warning: ${m}`, max),
    debug: (m) => writeLines(stderr, m, max),
    error: (m) => writeLines(stderr, `error: ${m}`, max),
  };
}
