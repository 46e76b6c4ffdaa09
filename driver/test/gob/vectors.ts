// Shared fixtures of the gob tests: the descriptors of the protocol types and the values the Go generator
// (gen/main.go) encodes, written the way TypeScript callers build them.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GobInterfaceValue, type GobType, type GobValue, t } from '../../src/plugin/gob/index';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const TESTDATA = join(HERE, 'testdata');
export const GEN_DIR = join(HERE, 'gen');

export function golden(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(TESTDATA, `${name}.gob`)));
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
export const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

export function goAvailable(): boolean {
  return spawnSync('go', ['version'], { encoding: 'utf8' }).status === 0;
}

export const Request = t.struct('Request', { ServiceMethod: t.string, Seq: t.uint });
export const Response = t.struct('Response', { ServiceMethod: t.string, Seq: t.uint, Error: t.string });
export const Empty = t.struct('', {});
const flagBase = { Name: t.string, Usage: t.string, EnvVar: t.string };
export const StringFlag = t.struct('StringFlag', { ...flagBase, Value: t.string });
export const StringSliceFlag = t.struct('StringSliceFlag', { ...flagBase, Value: t.slice(t.string, '[]string') });
export const IntFlag = t.struct('IntFlag', { ...flagBase, Value: t.int });
export const BoolFlag = t.struct('BoolFlag', flagBase);
export const RPCFlags = t.struct('RPCFlags', { Values: t.map(t.string, t.interface, 'map[string]interface {}') });
export const FlagList = t.slice(t.interface);
export const Inner = t.struct('Inner', { A: t.int, B: t.string });

export const iv = (name: string, type: GobType, value: GobValue): GobInterfaceValue => ({ name, type, value });

export const createFlags: GobValue[] = [
  iv('*mcnflag.StringFlag', StringFlag, {
    Name: 'hetzner-api-token',
    Usage: 'Hetzner Cloud API token',
    EnvVar: 'HETZNER_API_TOKEN',
  }),
  iv('*mcnflag.StringFlag', StringFlag, {
    Name: 'hetzner-image',
    Usage: 'Image to use',
    EnvVar: 'HETZNER_IMAGE',
    Value: 'ubuntu-24.04',
  }),
  iv('*mcnflag.IntFlag', IntFlag, { Name: 'hetzner-ssh-port', Usage: 'SSH port', Value: 22 }),
  iv('*mcnflag.StringSliceFlag', StringSliceFlag, { Name: 'hetzner-firewalls', Usage: 'Firewall names or ids' }),
  iv('*mcnflag.StringSliceFlag', StringSliceFlag, { Name: 'hetzner-labels', Usage: 'Labels', Value: ['a=b', 'c=d'] }),
  iv('*mcnflag.BoolFlag', BoolFlag, {
    Name: 'hetzner-use-private-network',
    Usage: 'Use the private network',
    EnvVar: 'HETZNER_PRIVATE',
  }),
];

const str = (v: string) => iv('string', t.string, v);
const strs = (v: string[] | null) => iv('[]string', t.slice(t.string), v);

export const rpcFlags: GobInterfaceValue = iv('*rpcdriver.RPCFlags', RPCFlags, {
  Values: new Map<GobValue, GobValue>([
    ['driver', str('hetzner')],
    ['hetzner-firewalls', strs(null)],
    ['hetzner-image', str('ubuntu-24.04')],
    ['hetzner-labels', strs(['a=b', 'team=ops'])],
    ['hetzner-ssh-port', iv('int', t.int, 22)],
    ['hetzner-use-private-network', iv('bool', t.bool, false)],
    ['swarm-master', iv('bool', t.bool, true)],
    ['zz-missing', null],
  ]),
});

export const jsonCfg = new TextEncoder().encode('{"MachineName":"m1","SSHPort":22}');

/** Typed values of some golden cases, in stream order, as a TypeScript caller builds them for encoding. */
export const typedCases: Record<string, [GobType, GobValue][]> = {
  request: [
    [Request, { ServiceMethod: 'RPCServerDriver.GetVersion', Seq: 0 }],
    [Request, { ServiceMethod: 'RPCServerDriver.SetConfigRaw', Seq: 1 }],
    [Request, { ServiceMethod: 'RPCServerDriver.Create', Seq: (1n << 63n) + 5n }],
  ],
  response: [
    [Response, { ServiceMethod: 'RPCServerDriver.GetVersion', Seq: 0, Error: '' }],
    [Response, { ServiceMethod: 'RPCServerDriver.Kill', Seq: 17, Error: 'demo: kill not supported' }],
  ],
  empty_struct: [
    [Empty, {}],
    [Empty, {}],
  ],
  int: [0, 1, -1, 22, 65, -65, -66, 1n << 53n, -(1n << 53n) - 1n, (1n << 63n) - 1n, -(1n << 63n)].map((v) => [
    t.int,
    v,
  ]),
  uint: [0, 7, 127, 128, 256, 2 ** 53 - 1, 1n << 53n, (1n << 64n) - 1n].map((v) => [t.uint, v]),
  bool: [
    [t.bool, true],
    [t.bool, false],
  ],
  float: [0, 1.5, -2.25, 17, 1e-300, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity].map((v) => [t.float, v]),
  string: ['', 'hello', 'ünïcødé ✓', 'x'.repeat(200)].map((v) => [t.string, v]),
  bytes: [
    [t.bytes, jsonCfg],
    [t.bytes, new Uint8Array(0)],
    [t.bytes, Uint8Array.from({ length: 300 }, (_, i) => i & 0xff)],
  ],
  arrays: [
    [t.array(t.int, 3), [1, 0, -3]],
    [t.array(t.string, 2), ['a', 'b']],
  ],
  slices: [
    [t.slice(t.string), ['a', '', 'c']],
    [t.slice(t.int), [0, -1, 300]],
    [t.slice(t.string), []],
    [t.slice(t.slice(t.string)), [['x'], [], ['y', 'z']]],
  ],
  maps: [
    [
      t.map(t.string, t.int),
      new Map<GobValue, GobValue>([
        ['one', 1],
        ['two', -2],
      ]),
    ],
    [
      t.map(t.string, t.slice(t.string)),
      new Map<GobValue, GobValue>([
        ['one', ['a']],
        ['two', []],
      ]),
    ],
  ],
  nil_interface: [
    [t.interface, null],
    [
      t.slice(t.interface),
      [null, str('s'), iv('int', t.int, 3), strs(['x']), iv('gen.Inner', Inner, { A: 1, B: '' }), null],
    ],
  ],
  create_flags: [[FlagList, createFlags]],
  rpcflags: [[t.interface, rpcFlags]],
  session_c2s: [
    [Request, { ServiceMethod: 'RPCServerDriver.GetVersion', Seq: 0 }],
    [Empty, {}],
    [Request, { ServiceMethod: 'RPCServerDriver.SetConfigRaw', Seq: 1 }],
    [t.bytes, jsonCfg],
    [Request, { ServiceMethod: 'RPCServerDriver.SetConfigFromFlags', Seq: 2 }],
    [t.interface, rpcFlags],
    [Request, { ServiceMethod: 'RPCServerDriver.GetState', Seq: 3 }],
    [Empty, {}],
  ],
  session_s2c: [
    [Response, { ServiceMethod: 'RPCServerDriver.GetVersion', Seq: 0, Error: '' }],
    [t.int, 1],
    [Response, { ServiceMethod: 'RPCServerDriver.GetCreateFlags', Seq: 1, Error: '' }],
    [FlagList, createFlags],
    [Response, { ServiceMethod: 'RPCServerDriver.Kill', Seq: 2, Error: 'demo: kill not supported' }],
    [Empty, {}],
    [Response, { ServiceMethod: 'RPCServerDriver.GetState', Seq: 3, Error: '' }],
    [t.int, 1],
    [Response, { ServiceMethod: 'RPCServerDriver.GetConfigRaw', Seq: 4, Error: '' }],
    [t.bytes, jsonCfg],
  ],
};

/** Number of top-level values in every golden file (the cases of gen/main.go). */
export const valueCounts: Record<string, number> = {
  ...Object.fromEntries(Object.entries(typedCases).map(([k, v]) => [k, v.length])),
  nested: 2,
};
