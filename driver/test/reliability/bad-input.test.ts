// Bad input: malformed flag values, configs and wire messages. Each must be refused with an error that names what is
// wrong, before any API call that would create (or change) anything, and without echoing the token.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MockServer } from 'hcloud-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlagValue } from '../../src/driver/interface';
import { PluginCallError, PluginClient } from '../../src/plugin/client';
import { t } from '../../src/plugin/gob/types';
import { GOB_NAMES, RPCFlagsType } from '../../src/plugin/wire';
import { configJson, fastMock, flags, mockEnv, newDriver, TOKEN, tempStore } from '../driver/helpers';
import { pluginCommand } from '../fixtures/plugin-command';

let mock: MockServer;
let store: string;
beforeAll(async () => {
  mock = await fastMock({ tokens: [TOKEN] });
  store = tempStore();
});
afterAll(async () => {
  await mock?.stop();
});

function file(name: string, content: string | Buffer): string {
  const path = join(store, name);
  writeFileSync(path, content);
  return path;
}

/** Runs the create path as rancher-machine does and returns the first error, with the requests that changed state. */
async function attempt(values: Record<string, FlagValue>, config?: Uint8Array, name = 'bad-input') {
  const before = mock.requests.length;
  let error: Error | null = null;
  try {
    const d = newDriver({ env: mockEnv(mock) });
    await d.setConfigRaw(config ?? configJson(name, store));
    await d.setConfigFromFlags(flags(mock, values));
    await d.preCreateCheck();
    await d.create();
    await d.remove();
  } catch (e) {
    error = e as Error;
  }
  const writes = mock.requests.slice(before).filter((r) => r.method !== 'GET');
  return { error, writes: writes.map((r) => `${r.method} ${r.path}`) };
}

const big = (n: number) => `#cloud-config\n#${'x'.repeat(n)}\n`;

/** [case, flag values, expected message] */
const FLAG_CORPUS: Array<[string, () => Record<string, FlagValue>, RegExp]> = [
  [
    'label key with a space',
    () => ({ 'hetzner-server-labels': ['bad key=1'] }),
    /hetzner-server-labels: .*invalid key/,
  ],
  ['reserved label key', () => ({ 'hetzner-server-labels': ['machine=x'] }), /hetzner-server-labels: .*reserved/],
  ['label without a key', () => ({ 'hetzner-server-labels': ['=v'] }), /hetzner-server-labels: /],
  [
    'label value of 64 characters',
    () => ({ 'hetzner-server-labels': [`k=${'v'.repeat(64)}`] }),
    /hetzner-server-labels:/,
  ],
  ['label in the hetzner.cloud namespace', () => ({ 'hetzner-server-labels': ['hetzner.cloud/x=1'] }), /labels:/],
  ['non-ASCII label key', () => ({ 'hetzner-server-labels': ['ключ=1'] }), /hetzner-server-labels: .*invalid key/],
  ['CIDR given as a network', () => ({ 'hetzner-networks': ['10.0.0.0/33'] }), /network "10\.0\.0\.0\/33" does not/],
  ['CIDR given as a firewall', () => ({ 'hetzner-firewalls': ['0.0.0.0/0'] }), /firewall "0\.0\.0\.0\/0" does not/],
  ['negative SSH port', () => ({ 'hetzner-ssh-port': -1 }), /hetzner-ssh-port must be a port number/],
  ['SSH port 0', () => ({ 'hetzner-ssh-port': 0 }), /hetzner-ssh-port must be a port number between 1 and 65535/],
  ['SSH port 65536', () => ({ 'hetzner-ssh-port': 65536 }), /hetzner-ssh-port must be a port number/],
  ['huge SSH port', () => ({ 'hetzner-ssh-port': 2 ** 40 }), /hetzner-ssh-port must be a port number/],
  ['SSH port that is not a number', () => ({ 'hetzner-ssh-port': '22; rm -rf /' }), /hetzner-ssh-port must be/],
  ['fractional SSH port', () => ({ 'hetzner-ssh-port': '22.5' }), /hetzner-ssh-port must be a port number/],
  ['unknown server type', () => ({ 'hetzner-server-type': 'cx999' }), /hetzner-server-type: server type "cx999"/],
  ['unknown location', () => ({ 'hetzner-server-location': 'mars1' }), /hetzner-server-location: location "mars1"/],
  ['unknown image', () => ({ 'hetzner-image': 'plan9-4' }), /hetzner-image: image "plan9-4" does not exist/],
  ['unknown image ID', () => ({ 'hetzner-image': '987654321987' }), /hetzner-image: image "987654321987"/],
  ['unknown placement group', () => ({ 'hetzner-placement-group': 'nope' }), /hetzner-placement-group: /],
  ['unknown existing SSH key', () => ({ 'hetzner-existing-ssh-key': 'nope' }), /hetzner-existing-ssh-key: /],
  // The endpoint is the credential's (HETZNER_API_ENDPOINT); a pool's flag that differs is refused before any call.
  [
    'endpoint flag that is not http(s)',
    () => ({ 'hetzner-api-endpoint': 'ftp://example/v1' }),
    /hetzner-api-endpoint "ftp:\/\/example\/v1" is refused: the API endpoint belongs to the cloud credential/,
  ],
  ['endpoint flag that is not a URL', () => ({ 'hetzner-api-endpoint': 'not a url' }), /"not a url" is refused/],
  [
    'token with a space',
    () => ({ 'hetzner-api-token': 'tok en-secret-1' }),
    /hetzner-api-token: .*spaces or non-ASCII/,
  ],
  ['non-ASCII token', () => ({ 'hetzner-api-token': 'tökén-secret-2' }), /hetzner-api-token: .*non-ASCII/],
  ['wrong token', () => ({ 'hetzner-api-token': 'wrong-secret-3' }), /hetzner-api-token: .*rejected the token/],
  [
    'non-UTF-8 user data file',
    () => ({ 'hetzner-user-data': file('binary-user-data', Buffer.from([0x23, 0x21, 0x0a, 0xff, 0xfe, 0x00, 0xc3])) }),
    /hetzner-user-data: names no file the driver can use/,
  ],
  [
    'user data that arrived with non-UTF-8 bytes',
    () => ({ 'hetzner-user-data': '#cloud-config\nruncmd: [echo \uFFFD]\n' }),
    /hetzner-user-data: is not valid UTF-8 text/,
  ],
  ['inline user data over 32 KiB', () => ({ 'hetzner-user-data': big(33 * 1024) }), /hetzner-user-data: .*32 KiB/],
  [
    'user data file far over 32 KiB',
    () => ({ 'hetzner-user-data': file('huge-user-data', big(400 * 1024)) }),
    /hetzner-user-data: names a file larger than Hetzner's limit of 32768 bytes/,
  ],
  [
    'user data and additional user data together over 32 KiB',
    () => ({ 'hetzner-user-data': big(20 * 1024), 'hetzner-additional-user-data': big(20 * 1024) }),
    /32 KiB/,
  ],
  ['user data path that does not exist', () => ({ 'hetzner-user-data': '/nonexistent/ud' }), /names no file/],
  ['create-firewall without a cluster', () => ({ 'hetzner-create-firewall': true }), /set --hetzner-cluster-id/],
  ['firewall name of 129 characters', () => ({ 'hetzner-firewall-name': 'f'.repeat(129) }), /hetzner-firewall-name:/],
];

describe('malformed flag values', () => {
  it.each(FLAG_CORPUS)('%s', async (_case, values, pattern) => {
    const v = values();
    const { error, writes } = await attempt(v);
    expect(error, 'an error').not.toBeNull();
    expect(error!.message).toMatch(pattern);
    expect(writes).toEqual([]);
    const token = v['hetzner-api-token'];
    if (typeof token === 'string') expect(error!.message).not.toContain(token);
  });
});

const enc = (s: string) => new TextEncoder().encode(s);

/** [case, stored JSON, expected message] */
const CONFIG_CORPUS: Array<[string, Uint8Array, RegExp]> = [
  ['truncated JSON', enc('{"MachineName":"x"'), /SetConfigRaw: the machine configuration is not valid JSON/],
  ['a JSON array', enc('[1,2]'), /SetConfigRaw: the machine configuration must be a JSON object/],
  ['JSON null', enc('null'), /must be a JSON object/],
  ['a JSON string', enc('"MachineName"'), /must be a JSON object/],
  ['bytes that are not UTF-8', new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]), /not valid JSON/],
  ['no machine name', enc('{"MachineName":null,"StorePath":"/tmp"}'), /machine name: "" is not a valid server name/],
  ['a path as machine name', enc('{"MachineName":"../../etc/x","StorePath":"/tmp"}'), /not a valid server name/],
  ['a name of 64 characters', enc(`{"MachineName":"${'a'.repeat(64)}"}`), /not a valid server name/],
];

describe('malformed stored configs (SetConfigRaw)', () => {
  it.each(CONFIG_CORPUS)('%s', async (_case, config, pattern) => {
    const { error, writes } = await attempt({}, config);
    expect(error).not.toBeNull();
    expect(error!.message).toMatch(pattern);
    expect(writes).toEqual([]);
  });
});

describe('wrong gob types on the wire', () => {
  it('answers each with an RPC error, keeps serving, and calls no API', async () => {
    const { command, args } = pluginCommand();
    const client = await PluginClient.spawn({
      command,
      args,
      env: { ...process.env, HETZNER_API_TOKEN: TOKEN, HETZNER_API_ENDPOINT: mock.url },
      addressTimeoutMs: 60_000,
    });
    const before = mock.requests.length;
    try {
      const cases: Array<[string, Parameters<PluginClient['call']>, RegExp]> = [
        [
          'SetConfigRaw with a string',
          ['.SetConfigRaw', t.string, '{"MachineName":"wire"}'],
          /SetConfigRaw .*\[\]byte/,
        ],
        ['SetConfigRaw with an int', ['.SetConfigRaw', t.int, 42], /SetConfigRaw expects a \[\]byte/],
        [
          'SetConfigFromFlags with bytes',
          ['.SetConfigFromFlags', t.bytes, new Uint8Array([1, 2])],
          /SetConfigFromFlags expects a DriverOptions .*argument/,
        ],
        [
          'SetConfigFromFlags with a foreign interface type',
          ['.SetConfigFromFlags', t.interface, { name: '*os.File', type: t.string, value: 'x' }],
          /SetConfigFromFlags expects a DriverOptions .*name not registered for interface: "\*os\.File"/,
        ],
        [
          'SetConfigFromFlags with a map of the wrong key type',
          [
            '.SetConfigFromFlags',
            t.interface,
            {
              name: GOB_NAMES.rpcFlags,
              type: t.struct('RPCFlags', { Values: t.map(t.int, t.interface) }),
              value: { Values: new Map([[1, { name: 'string', type: t.string, value: 'x' }]]) },
            },
          ],
          // Decoded against the expected type (issue 13.4): Go's own gob would refuse the mismatched map the same way.
          /SetConfigFromFlags expects a DriverOptions .*type mismatch/,
        ],
        ['Create with a struct argument', ['.Create', t.struct('X', { A: t.int }), { A: 1 }], /Create: /],
      ];
      for (const [what, callArgs, pattern] of cases) {
        const err = await client.call(...callArgs).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, what).toBeInstanceOf(PluginCallError);
        expect((err as Error).message, what).toMatch(pattern);
        // The process is still there and still answers.
        expect(await client.getVersion(), what).toBe(1);
      }
      // A well-formed RPCFlags whose port is the wrong type is refused by the flag parser, naming the flag.
      await client.setConfigRaw({ MachineName: 'wire', StorePath: store });
      const bad = await client
        .call('.SetConfigFromFlags', t.interface, {
          name: GOB_NAMES.rpcFlags,
          type: RPCFlagsType,
          value: { Values: new Map([['hetzner-ssh-port', { name: 'string', type: t.string, value: 'ssh' }]]) },
        })
        .then(
          () => null,
          (e: unknown) => e as Error,
        );
      expect(bad?.message).toMatch(/hetzner-ssh-port must be a port number/);
      expect(mock.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
      await client.close();
    } finally {
      await client.killProcess().catch(() => {});
    }
  }, 120_000);
});
