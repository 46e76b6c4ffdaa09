// The CONNECT exchange parsed by hand: head boundaries with either line ending, Go's verdicts, the client check.
import { describe, expect, it } from 'vitest';
import { checkConnectResponse, judgeConnectRequest, scanHead } from '../../src/plugin/http-connect';

const enc = (s: string) => new TextEncoder().encode(s);

describe('scanHead', () => {
  it('finds the blank line with LF or CRLF endings and returns the bytes after it', () => {
    const lf = scanHead(enc('CONNECT /_goRPC_ HTTP/1.0\n\n\x2f\xff'));
    expect(lf).toMatchObject({ done: true, tooLarge: false, lines: ['CONNECT /_goRPC_ HTTP/1.0'] });
    expect(lf.done && !lf.tooLarge && [...lf.rest]).toEqual([0x2f, 0xc3, 0xbf]);
    const crlf = scanHead(enc('CONNECT /_goRPC_ HTTP/1.1\r\nHost: a\r\n\r\n'));
    expect(crlf).toMatchObject({ done: true, lines: ['CONNECT /_goRPC_ HTTP/1.1', 'Host: a'] });
  });

  it('waits for more bytes, and gives up on an oversized head', () => {
    expect(scanHead(enc('CONNECT /_goRPC_ HTTP/1.0\n'))).toEqual({ done: false });
    expect(scanHead(enc('x'.repeat(100)), 64)).toEqual({ done: true, tooLarge: true });
  });
});

describe('judgeConnectRequest', () => {
  it('accepts CONNECT to /_goRPC_ only, with the status Go uses otherwise', () => {
    expect(judgeConnectRequest(['CONNECT /_goRPC_ HTTP/1.0'])).toEqual({ ok: true });
    expect(judgeConnectRequest(['GET /_goRPC_ HTTP/1.1'])).toMatchObject({ ok: false, body: '405 must CONNECT\n' });
    expect(judgeConnectRequest(['CONNECT /debug/rpc HTTP/1.0'])).toMatchObject({ ok: false, status: '404 Not Found' });
    expect(judgeConnectRequest(['\u0000\u0001garbage'])).toMatchObject({ ok: false, status: '400 Bad Request' });
    expect(judgeConnectRequest([])).toMatchObject({ ok: false, status: '400 Bad Request' });
  });
});

describe('checkConnectResponse', () => {
  it('wants exactly "200 Connected to Go RPC"', () => {
    expect(checkConnectResponse(['HTTP/1.0 200 Connected to Go RPC'])).toBeNull();
    expect(checkConnectResponse(['HTTP/1.0 200 OK'])).toMatch(/unexpected HTTP response/);
    expect(checkConnectResponse(['HTTP/1.0 405 Method Not Allowed', 'Content-Type: text/plain'])).toMatch(/405/);
  });
});
