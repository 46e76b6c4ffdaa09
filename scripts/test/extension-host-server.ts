// Stands in for the Rancher server behind the extension's host test (extension/test/host/run.mjs):
//   /                                   the host page (extension/test/host/page/index.html)
//   /host/*                             the built host (extension/.host-dist)
//   /vendor/vue.js, /vendor/vuex.js     the global builds of the Vue and Vuex of the line named by the `line` cookie,
//                                       from the npm aliases in extension/node_modules (never fetched at run time)
//   /v1/uiplugins/<name>/<version>/plugin/*   the built extension (extension/dist-pkg/<name>-<version>/), where
//                                       Rancher serves a UIPlugin's files
//   /meta/proxy/api.hetzner.cloud/v1/*  Rancher's proxy (see extension-harness-server) in front of the mock Hetzner
//                                       API of the line named by the `line` cookie: one mock per line, so the lines
//                                       can run side by side, each with its own injected faults
// Usage: node --import tsx scripts/test/extension-host-server.ts <extension dir> <line>...
// Prints one JSON line {url, mocks: {<line>: mockUrl}} when ready; exits on SIGTERM/SIGINT or when stdin closes.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { startMock } from '../../hcloud-mock/src/index';
import { HARNESS_READONLY_TOKEN, HARNESS_TOKEN, upstreamToken } from './extension-harness-server';

const PROXY_PREFIX = '/meta/proxy/api.hetzner.cloud/v1';
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** `vue-3-5-18` style alias directory names for a line's Vue and Vuex, as the runner sets them in cookies. */
const ALIAS = /^vuex?-\d+-\d+-\d+$/;

function cookies(req: IncomingMessage): Record<string, string> {
  return Object.fromEntries(
    (req.headers.cookie ?? '')
      .split(';')
      .map((c) => c.trim().split('='))
      .filter((kv): kv is [string, string] => kv.length === 2),
  );
}

function sendFile(res: ServerResponse, file: string): void {
  if (!existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'cache-control': 'no-store',
  });
  createReadStream(file).pipe(res);
}

/** A file under `root` named by a URL path, or undefined if the path leaves it. */
function under(root: string, rel: string): string | undefined {
  const file = normalize(join(root, decodeURIComponent(rel)));
  return file.startsWith(`${root}/`) ? file : undefined;
}

async function proxy(req: IncomingMessage, res: ServerResponse, url: URL, mockUrl: string): Promise<void> {
  const token = upstreamToken(req.headers);
  if (!token) {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'error', status: '401', message: 'credential not found' }));
    return;
  }
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks);
  const upstream = await fetch(`${mockUrl}${url.pathname.slice(PROXY_PREFIX.length)}${url.search}`, {
    method: req.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
      ...(body.length ? { 'content-type': 'application/json' } : {}),
    },
    ...(body.length ? { body } : {}),
  });
  const text = await upstream.text();
  res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
  res.end(text);
}

async function main(): Promise<void> {
  const ext = resolve(process.argv[2] ?? 'extension');
  const modules = join(ext, 'node_modules');
  const lines = process.argv.slice(3);
  const mocks = new Map(
    await Promise.all(
      lines.map(
        async (line) =>
          [
            line,
            await startMock({
              seed: 7,
              tokens: [HARNESS_TOKEN, HARNESS_READONLY_TOKEN],
              readOnlyTokens: [HARNESS_READONLY_TOKEN],
              rateLimit: false,
            }),
          ] as const,
      ),
    ),
  );
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    if (path.startsWith(`${PROXY_PREFIX}/`)) {
      const mock = mocks.get(cookies(req).line ?? '');
      if (!mock) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('no mock for this line');
        return;
      }
      proxy(req, res, url, mock.url).catch((e: unknown) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: e instanceof Error ? e.message : String(e) }));
      });
      return;
    }
    if (path === '/' || path === '/index.html') return sendFile(res, join(ext, 'test', 'host', 'page', 'index.html'));
    if (path === '/vendor/vue.js' || path === '/vendor/vuex.js') {
      const alias = cookies(req)[path === '/vendor/vue.js' ? 'vue' : 'vuex'] ?? '';
      const pkg = alias.startsWith('vuex') ? 'vuex' : 'vue';
      if (!ALIAS.test(alias)) return sendFile(res, '');
      const file = pkg === 'vue' ? 'vue.runtime.global.prod.js' : 'vuex.global.prod.js';
      return sendFile(res, join(modules, alias, 'dist', file));
    }
    const host = /^\/host\/(.+)$/.exec(path);
    if (host) return sendFile(res, under(join(ext, '.host-dist'), host[1]!) ?? '');
    const plugin = /^\/v1\/uiplugins\/([a-z0-9-]+)\/([0-9A-Za-z.+-]+)\/plugin\/(.+)$/.exec(path);
    if (plugin) {
      const [, name, version, rest] = plugin;
      return sendFile(res, under(join(ext, 'dist-pkg', `${name}-${version}`), rest!) ?? '');
    }
    sendFile(res, '');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  const mockUrls = Object.fromEntries([...mocks].map(([line, m]) => [line, m.url]));
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}`, mocks: mockUrls })}\n`);

  const stop = async () => {
    server.closeAllConnections();
    server.close();
    await Promise.all([...mocks.values()].map((m) => m.stop()));
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
