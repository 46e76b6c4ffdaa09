// Where the token goes is the token owner's choice (HETZNER_API_ENDPOINT, from the cloud credential), never a machine
// pool's, a second local connection's or the environment's TLS switch. Each case points something at a recording
// listener on loopback and checks that the token never arrives there.
import type { MockServer } from 'hcloud-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PluginCallError, PluginClient } from '../../src/plugin/client';
import { baseConfig, flagDefaults, spawnDriverPlugin } from '../fixtures/plugin-session';
import { startTokenRecorder, type TokenRecorder } from '../fixtures/token-recorder';
import { fastMockPerFile, resourcesOf, TOKEN, tempStore } from './helpers';

let mock: MockServer;
fastMockPerFile({ tokens: [TOKEN] }, (m) => {
  mock = m;
});

let recorder: TokenRecorder;
const clients: PluginClient[] = [];
beforeEach(async () => {
  recorder = await startTokenRecorder();
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  await recorder.close();
});

const TIMEOUT = 60_000;

async function spawn(env: NodeJS.ProcessEnv): Promise<PluginClient> {
  const client = await spawnDriverPlugin({
    env: { ...process.env, HETZNER_API_TOKEN: TOKEN, HETZNER_DRIVER_POLL_MS: '20', ...env },
    addressTimeoutMs: 60_000,
  });
  clients.push(client);
  return client;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PluginCallError);
  return err as Error;
}

describe('the API endpoint belongs to the credential', () => {
  it(
    "refuses a machine pool's endpoint that points elsewhere; the token never reaches it",
    async () => {
      const c = await spawn({ HETZNER_API_ENDPOINT: mock.url });
      await c.setConfigRaw(baseConfig('ep-pool', tempStore()));
      const opts = await flagDefaults(c);
      opts.set('hetzner-api-endpoint', recorder.url);
      const err = await failure(c.setConfigFromFlags(opts));
      expect(err.message).toMatch(/hetzner-api-endpoint ".*" is refused: the API endpoint belongs to the cloud/);
      expect(err.message).toMatch(/HETZNER_API_ENDPOINT/);
      // Whatever the caller does next, the requests go to the credential's endpoint.
      await c.preCreateCheck().catch(() => {});
      expect(recorder.requests).toEqual([]);
      expect(err.message).not.toContain(TOKEN);
    },
    TIMEOUT,
  );

  it(
    'accepts the flag when it repeats the environment (rancher-machine fills it from HETZNER_API_ENDPOINT)',
    async () => {
      const c = await spawn({ HETZNER_API_ENDPOINT: mock.url });
      await c.setConfigRaw(baseConfig('ep-same', tempStore()));
      const opts = await flagDefaults(c);
      opts.set('hetzner-api-endpoint', `${mock.url}/`);
      await c.setConfigFromFlags(opts);
      await c.preCreateCheck();
    },
    TIMEOUT,
  );

  it(
    'refuses plain http to a host that is not loopback, before any request',
    async () => {
      // TEST-NET-1: never routed, so an attempt would only time out; the refusal must come first and say why.
      const c = await spawn({ HETZNER_API_ENDPOINT: 'http://192.0.2.10/v1', HETZNER_DRIVER_REQUEST_TIMEOUT_MS: '200' });
      await c.setConfigRaw(baseConfig('ep-http', tempStore()));
      await c.setConfigFromFlags(await flagDefaults(c));
      const err = await failure(c.preCreateCheck());
      expect(err.message).toMatch(
        /HETZNER_API_ENDPOINT: Hetzner API endpoint "http:\/\/192\.0\.2\.10\/v1" uses plain http to 192\.0\.2\.10/,
      );
      expect(err.message).toMatch(/loopback/);
    },
    TIMEOUT,
  );

  it(
    'a second connection to the plugin cannot re-point the endpoint of the first',
    async () => {
      const first = await spawn({ HETZNER_API_ENDPOINT: mock.url });
      const store = tempStore();
      await first.setConfigRaw(baseConfig('ep-second', store));
      await first.setConfigFromFlags(await flagDefaults(first));

      const second = await PluginClient.connect(first.address);
      clients.push(second);
      const opts = await flagDefaults(second);
      opts.set('hetzner-api-endpoint', recorder.url);
      await failure(second.setConfigFromFlags(opts));
      await second.setConfigRaw(baseConfig('ep-second', store)).catch(() => {});

      await first.setConfigFromFlags(await flagDefaults(first));
      await first.preCreateCheck();
      await first.create();
      expect(recorder.requests).toEqual([]);
      expect(resourcesOf(mock, 'ep-second').servers).toHaveLength(1);
      await first.remove();
      expect(resourcesOf(mock, 'ep-second').servers).toHaveLength(0);
    },
    TIMEOUT,
  );

  it(
    'a stored endpoint does not redirect Remove: the process setting wins',
    async () => {
      const store = tempStore();
      const creator = await spawn({ HETZNER_API_ENDPOINT: mock.url });
      await creator.setConfigRaw(baseConfig('ep-stored', store));
      await creator.setConfigFromFlags(await flagDefaults(creator));
      await creator.preCreateCheck();
      await creator.create();
      const saved = JSON.parse(new TextDecoder().decode(await creator.getConfigRawBytes()));
      saved.APIEndpoint = recorder.url;

      const rm = await spawn({ HETZNER_API_ENDPOINT: mock.url });
      await rm.setConfigRaw(saved);
      await rm.remove();
      expect(recorder.requests).toEqual([]);
      expect(resourcesOf(mock, 'ep-stored')).toEqual({ servers: [], keys: [] });
    },
    TIMEOUT,
  );

  it(
    'NODE_TLS_REJECT_UNAUTHORIZED=0 does not switch off certificate checks',
    async () => {
      const tls = await startTokenRecorder({ tls: true });
      try {
        const c = await spawn({ HETZNER_API_ENDPOINT: tls.url, NODE_TLS_REJECT_UNAUTHORIZED: '0' });
        await c.setConfigRaw(baseConfig('ep-tls', tempStore()));
        await c.setConfigFromFlags(await flagDefaults(c));
        const err = await failure(c.preCreateCheck());
        expect(err.message).toMatch(/HETZNER_API_ENDPOINT: cannot talk to the Hetzner API/);
        expect(tls.requests).toEqual([]);
      } finally {
        await tls.close();
      }
    },
    TIMEOUT,
  );
});
