// Golden vectors written by Go (gen/main.go): the TypeScript codec decodes them, re-encodes them byte for byte where
// Go's output has no interface values, and Go decodes what TypeScript encodes.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GobDecoder, GobEncoder, type GobType, type GobValue, t } from '../../src/plugin/gob/index';
import {
  createFlags,
  GEN_DIR,
  goAvailable,
  golden,
  Inner,
  jsonCfg,
  Request,
  rpcFlags,
  StringFlag,
  TESTDATA,
  typedCases,
  valueCounts,
} from './vectors';

const files = readdirSync(TESTDATA)
  .filter((f) => f.endsWith('.gob'))
  .map((f) => f.slice(0, -4))
  .sort();

function decodeAll(bytes: Uint8Array): { value: GobValue; type: GobType }[] {
  const dec = new GobDecoder();
  dec.feed(bytes);
  const out: { value: GobValue; type: GobType }[] = [];
  for (let r = dec.nextAny(); r; r = dec.nextAny()) out.push(r);
  expect(dec.buffered).toBe(0);
  return out;
}

function encodeAll(values: [GobType, GobValue][]): Uint8Array {
  const enc = new GobEncoder();
  return Buffer.concat(values.map(([type, value]) => enc.encode(type, value)));
}

/** Cases whose Go encoding holds no interface value: our encoder reproduces them exactly. */
const byteExact = [
  'arrays',
  'bool',
  'bytes',
  'empty_struct',
  'float',
  'int',
  'maps',
  'request',
  'response',
  'slices',
  'string',
  'uint',
];

describe('golden vectors from Go', () => {
  it('has every case of the generator checked in', () => {
    expect(files).toEqual(Object.keys(valueCounts).sort());
  });

  it.each(files)('%s: decodes every value by its wire type', (name) => {
    expect(decodeAll(golden(name))).toHaveLength(valueCounts[name]!);
  });

  it.each(byteExact)('%s: TypeScript-built values encode to the same bytes as Go', (name) => {
    expect(Buffer.from(encodeAll(typedCases[name]!)).toString('hex')).toBe(Buffer.from(golden(name)).toString('hex'));
  });

  it.each(byteExact)('%s: decoded values re-encode to the same bytes', (name) => {
    const again = encodeAll(decodeAll(golden(name)).map((r) => [r.type, r.value]));
    expect(Buffer.from(again).equals(golden(name))).toBe(true);
  });

  it.each(Object.keys(typedCases))(
    '%s: decodes into the TypeScript descriptors and matches the expected values',
    (name) => {
      const dec = new GobDecoder();
      dec.feed(golden(name));
      for (const [type, expected] of typedCases[name]!) {
        const got = dec.next(type);
        expect(got).toBeDefined();
        // Compare through the encoder: decoded structs carry zero fields that the expected values omit.
        const enc1 = new GobEncoder();
        const enc2 = new GobEncoder();
        expect(hexOf(enc1.encode(type, got!.value))).toBe(hexOf(enc2.encode(type, expected)));
      }
      expect(dec.buffered).toBe(0);
    },
  );

  it('decodes the rpc headers with a uint64 Seq beyond 2^53 as bigint', () => {
    const dec = new GobDecoder();
    dec.feed(golden('request'));
    expect(dec.next(Request)?.value).toEqual({ ServiceMethod: 'RPCServerDriver.GetVersion', Seq: 0 });
    expect(dec.next(Request)?.value).toEqual({ ServiceMethod: 'RPCServerDriver.SetConfigRaw', Seq: 1 });
    expect(dec.next(Request)?.value).toEqual({ ServiceMethod: 'RPCServerDriver.Create', Seq: (1n << 63n) + 5n });
  });

  it('decodes the extreme ints and uints exactly', () => {
    const ints = decodeAll(golden('int')).map((r) => r.value);
    expect(ints).toEqual([0, 1, -1, 22, 65, -65, -66, 1n << 53n, -(1n << 53n) - 1n, (1n << 63n) - 1n, -(1n << 63n)]);
    const uints = decodeAll(golden('uint')).map((r) => r.value);
    expect(uints).toEqual([0, 7, 127, 128, 256, 2 ** 53 - 1, 1n << 53n, (1n << 64n) - 1n]);
    const floats = decodeAll(golden('float')).map((r) => r.value);
    expect(floats).toEqual([0, 1.5, -2.25, 17, 1e-300, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity]);
  });

  it('decodes GetCreateFlags: []mcnflag.Flag with definitions at the point of use', () => {
    const dec = new GobDecoder();
    dec.feed(golden('create_flags'));
    const flags = dec.next(t.slice(t.interface))?.value as { name: string; type: GobType; value: GobValue }[];
    expect(flags.map((f) => f.name)).toEqual([
      '*mcnflag.StringFlag',
      '*mcnflag.StringFlag',
      '*mcnflag.IntFlag',
      '*mcnflag.StringSliceFlag',
      '*mcnflag.StringSliceFlag',
      '*mcnflag.BoolFlag',
    ]);
    expect(flags[0]!.type).toEqual(StringFlag);
    expect(flags[1]!.value).toEqual({
      Name: 'hetzner-image',
      Usage: 'Image to use',
      EnvVar: 'HETZNER_IMAGE',
      Value: 'ubuntu-24.04',
    });
    expect(flags[2]!.value).toEqual({ Name: 'hetzner-ssh-port', Usage: 'SSH port', EnvVar: '', Value: 22 });
    expect(flags[3]!.value).toEqual({
      Name: 'hetzner-firewalls',
      Usage: 'Firewall names or ids',
      EnvVar: '',
      Value: [],
    });
    expect(flags[4]!.value).toMatchObject({ Value: ['a=b', 'c=d'] });
    expect(flags[5]!.type).toEqual(t.struct('BoolFlag', { Name: t.string, Usage: t.string, EnvVar: t.string }));
    expect(createFlags).toHaveLength(flags.length);
  });

  it('decodes the RPCFlags interface with inline definitions inside map[string]interface{}', () => {
    const dec = new GobDecoder();
    dec.feed(golden('rpcflags'));
    const got = dec.next(t.interface)?.value as { name: string; value: { Values: Map<string, GobValue> } };
    expect(got.name).toBe('*rpcdriver.RPCFlags');
    const values = got.value.Values;
    expect([...values.keys()]).toEqual([...(rpcFlags.value as { Values: Map<string, GobValue> }).Values.keys()]);
    expect(values.get('driver')).toEqual({ name: 'string', type: t.string, value: 'hetzner' });
    expect(values.get('hetzner-firewalls')).toEqual({ name: '[]string', type: t.slice(t.string), value: [] });
    expect(values.get('hetzner-labels')).toEqual({
      name: '[]string',
      type: t.slice(t.string),
      value: ['a=b', 'team=ops'],
    });
    expect(values.get('hetzner-ssh-port')).toEqual({ name: 'int', type: t.int, value: 22 });
    expect(values.get('hetzner-use-private-network')).toEqual({ name: 'bool', type: t.bool, value: false });
    expect(values.get('swarm-master')).toEqual({ name: 'bool', type: t.bool, value: true });
    expect(values.get('zz-missing')).toBeNull();
  });

  it('decodes nested structs, omitted zero fields and a struct held in an interface', () => {
    const [full, zero] = decodeAll(golden('nested'));
    expect(full!.value).toMatchObject({
      Name: 'full',
      In: { A: -7, B: 'in' },
      Ptr: { A: 1, B: '' },
      List: [
        { A: 2, B: '' },
        { A: 0, B: 'b' },
      ],
      Arr: [4, 5, 6],
      M: new Map([
        ['one', 1],
        ['two', 2],
      ]),
      F: 3.25,
      U: 1n << 60n,
      I8: -128,
      Ok: true,
      Raw: Uint8Array.of(0, 1, 2),
      Any: { name: 'gen.Inner', type: Inner, value: { A: 9, B: 'any' } },
      Names: ['n'],
    });
    expect(zero!.value).toEqual({
      Name: '',
      In: { A: 0, B: '' },
      Ptr: { A: 0, B: '' },
      List: [],
      Arr: [0, 0, 0],
      M: new Map(),
      F: 0,
      U: 0,
      I8: 0,
      Ok: false,
      Raw: new Uint8Array(0),
      Any: null,
      Names: [],
    });
  });

  it('decodes a whole session stream with typed headers and bodies', () => {
    const dec = new GobDecoder();
    dec.feed(golden('session_c2s'));
    const seen: GobValue[] = [];
    for (const [type] of typedCases.session_c2s!) seen.push(dec.next(type)!.value);
    expect(seen[3]).toEqual(jsonCfg);
    expect((seen[4] as { Seq: number }).Seq).toBe(2);
    expect((seen[5] as { name: string }).name).toBe('*rpcdriver.RPCFlags');
    expect(dec.buffered).toBe(0);
  });
});

function hexOf(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

const haveGo = goAvailable();
if (!haveGo) console.warn('gob golden test: `go` is not on PATH — skipping the Go round trip (CI installs Go).');

describe.skipIf(!haveGo)('Go decodes what TypeScript encodes', () => {
  let work = '';
  let checker = '';

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'gob-roundtrip-'));
    checker = join(work, 'gobgen');
    const build = spawnSync('go', ['build', '-o', checker, 'main.go'], { cwd: GEN_DIR, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`go build of the gob checker failed:\n${build.stderr}`);
  }, 180_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function goCheck(dir: string): string {
    const run = spawnSync(checker, ['check', dir], { encoding: 'utf8' });
    expect(run.stderr + run.stdout).not.toMatch(/FAIL/);
    expect(run.status).toBe(0);
    return run.stdout;
  }

  it('accepts every golden vector after a TypeScript decode and re-encode', () => {
    const dir = join(work, 'reencoded');
    mkdirSync(dir);
    for (const name of files) {
      const again = encodeAll(decodeAll(golden(name)).map((r) => [r.type, r.value]));
      writeFileSync(join(dir, `${name}.gob`), again);
    }
    const out = goCheck(dir);
    for (const name of files) expect(out).toContain(`ok ${name}\n`);
  });

  it('accepts values built from TypeScript descriptors (the rpc layer path)', () => {
    const dir = join(work, 'typed');
    mkdirSync(dir);
    for (const [name, values] of Object.entries(typedCases)) writeFileSync(join(dir, `${name}.gob`), encodeAll(values));
    const out = goCheck(dir);
    for (const name of Object.keys(typedCases)) expect(out).toContain(`ok ${name}\n`);
  });

  it('rejects a TypeScript stream whose values differ (the checker is not vacuous)', () => {
    const dir = join(work, 'wrong');
    mkdirSync(dir);
    const values = typedCases.request!.map(([type, v]) => [type, v] as [GobType, GobValue]);
    values[1] = [Request, { ServiceMethod: 'RPCServerDriver.SetConfigRaw', Seq: 2 }];
    writeFileSync(join(dir, 'request.gob'), encodeAll(values));
    const run = spawnSync(checker, ['check', dir], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('FAIL request value 1');
  });
});
