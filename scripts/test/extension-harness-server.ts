// Stands in for Rancher behind the UI extension's browser test: serves the built harness page and answers
// /meta/proxy/api.hetzner.cloud/v1/* the way Rancher's proxy does — it resolves the credential header (saved
// credential or raw token) to `Authorization: Bearer …` and forwards to the mock Hetzner API.
// Usage: node --import tsx scripts/test/extension-harness-server.ts <static-dir>
// Prints one JSON line {url, mockUrl} when ready; exits on SIGTERM/SIGINT or when stdin closes.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { startMock } from '../../hcloud-mock/src/index';

export const HARNESS_CREDENTIAL_ID = 'cattle-global-data:cc-harness';
export const HARNESS_TOKEN = 'harness-read-write-token';
export const HARNESS_READONLY_TOKEN = 'harness-read-only-token';

const PROXY_PREFIX = '/meta/proxy/api.hetzner.cloud/v1';
const CREDENTIALS: Record<string, string> = { [HARNESS_CREDENTIAL_ID]: HARNESS_TOKEN };
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** The bearer token Rancher would send upstream for these request headers, or undefined if it would refuse. */
export function upstreamToken(headers: IncomingMessage['headers']): string | undefined {
  const cattle = headers['x-api-cattleauth-header'];
  if (typeof cattle === 'string') {
    const m = /^Bearer credID=(\S+) passwordField=apiToken$/.exec(cattle);
    return m ? CREDENTIALS[m[1]!] : undefined;
  }
  const raw = headers['x-api-auth-header'];
  const m = typeof raw === 'string' ? /^Bearer (\S+)$/.exec(raw) : null;
  return m?.[1];
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function proxy(req: IncomingMessage, res: ServerResponse, url: URL, mockUrl: string): Promise<void> {
  const token = upstreamToken(req.headers);
  if (!token) {
    // Rancher answers with its own (non-Hetzner) error when it cannot resolve the credential.
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'error', status: '401', message: 'credential not found' }));
    return;
  }
  const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
  const upstream = await fetch(`${mockUrl}${url.pathname.slice(PROXY_PREFIX.length)}${url.search}`, {
    method: req.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
      ...(body?.length ? { 'content-type': 'application/json' } : {}),
    },
    ...(body?.length ? { body } : {}),
  });
  const text = await upstream.text();
  res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
  res.end(text);
}

function serveStatic(res: ServerResponse, root: string, pathname: string): void {
  const rel = normalize(decodeURIComponent(pathname === '/' ? '/index.html' : pathname)).replace(/^(\.\.[/\\])+/, '');
  const file = join(root, rel);
  if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(res);
}

async function main(): Promise<void> {
  const root = resolve(process.argv[2] ?? '.');
  const mock = await startMock({
    seed: 7,
    tokens: [HARNESS_TOKEN, HARNESS_READONLY_TOKEN],
    readOnlyTokens: [HARNESS_READONLY_TOKEN],
    rateLimit: false,
  });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith(`${PROXY_PREFIX}/`)) {
      proxy(req, res, url, mock.url).catch((e: unknown) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: e instanceof Error ? e.message : String(e) }));
      });
      return;
    }
    serveStatic(res, root, url.pathname);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}`, mockUrl: mock.url })}\n`);

  const stop = async () => {
    server.closeAllConnections();
    server.close();
    await mock.stop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
