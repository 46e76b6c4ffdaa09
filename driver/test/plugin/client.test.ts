// The TypeScript plugin client's own failure handling: plugins that never print an address, print garbage, die
// early, answer CONNECT wrongly, or drop the connection on .Close the way Go plugins may.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PluginClient, PluginConnectionError } from '../../src/plugin/client';

const node = (script: string) => ({ command: process.execPath, args: ['-e', script] });
const servers: Server[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A fake plugin endpoint: answers the CONNECT head with `reply`, then runs `onRpc` for gob bytes. */
async function fakeServer(reply: string, onRpc: (socket: import('node:net').Socket) => void): Promise<string> {
  const server = createServer((socket) => {
    let head = '';
    const onData = (c: Buffer) => {
      head += c.toString('latin1');
      if (!head.includes('\n\n')) return;
      socket.off('data', onData);
      socket.write(reply);
      onRpc(socket);
    };
    socket.on('data', onData);
    socket.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  return `127.0.0.1:${addr.port}`;
}

describe('PluginClient.spawn', () => {
  it('reports a plugin that exits before printing its address, with its stderr', async () => {
    await expect(PluginClient.spawn(node('process.stderr.write("token missing\\n"); process.exit(3)'))).rejects.toThrow(
      /exited \(code 3, signal null\) before printing its address; stderr: token missing/,
    );
  });

  it('rejects a first line that is not an address', async () => {
    await expect(PluginClient.spawn(node('console.log("hello world"); setTimeout(() => {}, 5000)'))).rejects.toThrow(
      /first stdout line is not an address: "hello world"/,
    );
  });

  it('gives up after addressTimeoutMs and kills the process', async () => {
    const started = Date.now();
    await expect(PluginClient.spawn({ ...node('setTimeout(() => {}, 20000)'), addressTimeoutMs: 300 })).rejects.toThrow(
      new PluginConnectionError('plugin printed no address within 300 ms'),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('keeps a character whole when its UTF-8 bytes arrive in separate chunks', async () => {
    const stderr: string[] = [];
    // '€' is E2 82 AC; the pause makes the pipe deliver its first byte on its own.
    const script =
      'process.stderr.write(Buffer.from([0xe2])); setTimeout(() => { process.stderr.write(Buffer.from([0x82, 0xac, 0x0a])); setTimeout(() => process.exit(3), 100); }, 200)';
    await expect(PluginClient.spawn({ ...node(script), onStderr: (l) => stderr.push(l) })).rejects.toThrow(
      PluginConnectionError,
    );
    for (let i = 0; i < 100 && stderr.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(stderr).toEqual(['€']);
  });

  it('passes MACHINE_PLUGIN_TOKEN=42 and forwards later output lines', async () => {
    const address = await fakeServer('HTTP/1.0 200 Connected to Go RPC\n\n', () => {});
    const stdout: string[] = [];
    const stderr: string[] = [];
    const c = await PluginClient.spawn({
      ...node(
        `console.log(${JSON.stringify(address)}); console.log("token=" + process.env.MACHINE_PLUGIN_TOKEN); console.error("dbg"); setTimeout(() => {}, 20000)`,
      ),
      onStdout: (l) => stdout.push(l),
      onStderr: (l) => stderr.push(l),
    });
    for (let i = 0; i < 100 && (stdout.length === 0 || stderr.length === 0); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(c.address).toBe(address);
    expect(stdout).toEqual(['token=42']);
    expect(stderr).toEqual(['dbg']);
    expect((await c.killProcess()).signal).toBe('SIGKILL');
  });
});

describe('PluginClient.connect', () => {
  it('refuses a server that does not answer "200 Connected to Go RPC"', async () => {
    const address = await fakeServer('HTTP/1.0 405 Method Not Allowed\r\n\r\n405 must CONNECT\n', (s) => s.end());
    await expect(PluginClient.connect(address)).rejects.toThrow(/unexpected HTTP response: "HTTP\/1\.0 405/);
  });

  it('treats a connection dropped on .Close as a normal goodbye, and fails pending calls clearly', async () => {
    const address = await fakeServer('HTTP/1.0 200 Connected to Go RPC\n\n', (s) => s.once('data', () => s.destroy()));
    const c = await PluginClient.connect(address);
    await expect(c.close(2_000)).resolves.toEqual({ code: null, signal: null });

    const d = await PluginClient.connect(address);
    await expect(d.getVersion()).rejects.toThrow(PluginConnectionError);
    await expect(d.driverName()).rejects.toThrow('plugin connection closed');
  });
});
