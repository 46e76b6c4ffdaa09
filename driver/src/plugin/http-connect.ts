// The HTTP/1.0 CONNECT exchange that opens a net/rpc connection, both sides. Go's client writes
// "CONNECT /_goRPC_ HTTP/1.0\n\n" and insists on the status "200 Connected to Go RPC"; after the blank line the
// socket carries gob and nothing else, so the head is parsed by hand and any bytes after it are handed on.

export const RPC_PATH = '/_goRPC_';
export const CONNECT_REQUEST = `CONNECT ${RPC_PATH} HTTP/1.0\n\n`;
export const CONNECTED_STATUS = '200 Connected to Go RPC';
export const CONNECTED_RESPONSE = `HTTP/1.0 ${CONNECTED_STATUS}\n\n`;
/** A request or response head longer than this is hostile or not HTTP; Go's own limit is 1 MiB, ours need not be. */
export const MAX_HEAD_BYTES = 8 * 1024;

const latin1 = new TextDecoder('latin1');

export type HeadScan =
  | { done: false }
  | { done: true; tooLarge: false; lines: string[]; rest: Uint8Array }
  | { done: true; tooLarge: true };

/**
 * Finds the end of an HTTP head (the first empty line, LF or CRLF endings) in `buf`. Returns the head's lines
 * (without line endings) and the bytes after it.
 */
export function scanHead(buf: Uint8Array, maxBytes = MAX_HEAD_BYTES): HeadScan {
  let lineStart = 0;
  const lines: string[] = [];
  const limit = Math.min(buf.length, maxBytes);
  for (let i = 0; i < limit; i++) {
    if (buf[i] !== 0x0a) continue;
    let end = i;
    if (end > lineStart && buf[end - 1] === 0x0d) end--;
    if (end === lineStart) return { done: true, tooLarge: false, lines, rest: buf.subarray(i + 1) };
    lines.push(latin1.decode(buf.subarray(lineStart, end)));
    lineStart = i + 1;
  }
  if (buf.length >= maxBytes) return { done: true, tooLarge: true };
  return { done: false };
}

export type ConnectVerdict = { ok: true } | { ok: false; status: string; body: string; reason: string };

function httpError(status: string, body: string, reason: string): ConnectVerdict {
  return { ok: false, status, body, reason };
}

/** Judges a request head the way Go's rpc.HandleHTTP + DefaultServeMux would. */
export function judgeConnectRequest(lines: readonly string[]): ConnectVerdict {
  const first = lines[0] ?? '';
  const m = /^([A-Z]+) (\S+) HTTP\/(\d)\.(\d)$/.exec(first);
  if (!m)
    return httpError(
      '400 Bad Request',
      '400 Bad Request',
      `malformed request line ${JSON.stringify(first.slice(0, 80))}`,
    );
  const [, method, path] = m;
  if (path !== RPC_PATH) return httpError('404 Not Found', '404 page not found\n', `unknown path ${path}`);
  if (method !== 'CONNECT') return httpError('405 Method Not Allowed', '405 must CONNECT\n', `method ${method}`);
  return { ok: true };
}

/** The bytes of an HTTP error response that ends the connection. */
export function httpErrorResponse(status: string, body: string): string {
  return `HTTP/1.0 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** Checks the server's answer to CONNECT as Go's rpc.DialHTTPPath does; returns an error message or null. */
export function checkConnectResponse(lines: readonly string[]): string | null {
  const first = lines[0] ?? '';
  const m = /^HTTP\/\d\.\d (.*)$/.exec(first);
  if (m && m[1] === CONNECTED_STATUS) return null;
  return `unexpected HTTP response: ${JSON.stringify(first.slice(0, 200))}`;
}
