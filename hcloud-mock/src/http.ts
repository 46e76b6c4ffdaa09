// The HTTP plumbing of the mock: how a reply is written (JSON or a bare body, with the CORS headers the extension's
// browser test needs), how API errors look on the wire, and how a request's body and query are read.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiError } from './util';

export interface Reply {
  status: number;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

const JSON_TYPE = 'application/json';

const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept',
  'Access-Control-Expose-Headers': 'RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Correlation-Id, Link',
};

export function errorReply(err: ApiError): Reply {
  return {
    status: err.status,
    body: { error: { code: err.code, message: err.message, details: err.details ?? null } },
  };
}

/** Writes one reply; a response whose socket is gone is left alone. */
export function send(res: ServerResponse, reply: Reply, base: Record<string, string>): void {
  if (res.destroyed) return;
  const headers: Record<string, string> = { ...CORS_HEADERS, ...base, ...(reply.headers ?? {}) };
  let payload = '';
  if (reply.raw !== undefined) {
    payload = reply.raw;
    headers['Content-Type'] = 'text/plain; charset=utf-8';
  } else if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body);
    headers['Content-Type'] = JSON_TYPE;
  }
  res.writeHead(reply.status, headers);
  res.end(payload);
}

export function queryObject(q: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(q.keys())) {
    const all = q.getAll(key);
    out[key] = all.length === 1 ? all[0]! : all;
  }
  return out;
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
