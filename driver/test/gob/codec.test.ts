// Byte-level behaviour of the gob codec: the primitive and message examples of the protocol reference (§5.1, §5.3,
// §5.4), incremental feeding with rollback, and typed errors for malformed or hostile input.
import { describe, expect, it } from 'vitest';
import { GobDecoder, GobEncoder, GobError, type GobType, type GobValue, t } from '../../src/plugin/gob/index';
import { ByteWriter } from '../../src/plugin/gob/wire';
import { ascii, Empty, golden, hex, Request, Response, StringFlag, typedCases, unhex } from './vectors';

/** A length-prefixed message around the given payload hex. */
function msg(payloadHex: string): string {
  const payload = payloadHex.replace(/\s+/g, '');
  const w = new ByteWriter();
  w.uint(payload.length / 2);
  return hex(w.finish()) + payload;
}

function decoderFor(hexStream: string, limits?: ConstructorParameters<typeof GobDecoder>[0]): GobDecoder {
  const dec = new GobDecoder(limits);
  dec.feed(unhex(hexStream));
  return dec;
}

function gobError(fn: () => unknown): GobError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GobError);
    return err as GobError;
  }
  throw new Error('expected a GobError, but the call returned');
}

describe('primitives (reference §5.1)', () => {
  it.each<[number | bigint, string]>([
    [0, '00'],
    [7, '07'],
    [65, '41'],
    [127, '7f'],
    [128, 'ff80'],
    [130, 'ff82'],
    [256, 'fe0100'],
    [2 ** 53 - 1, 'f91fffffffffffff'],
    [(1n << 64n) - 1n, 'f8ffffffffffffffff'],
  ])('uint %s ⇄ %s', (value, bytes) => {
    const w = new ByteWriter();
    w.uint(value);
    expect(hex(w.finish())).toBe(bytes);
    expect(decoderFor(msg(`06 00 ${bytes}`)).next(t.uint)?.value).toBe(value);
    expect(hex(new GobEncoder().encode(t.uint, value))).toBe(msg(`06 00 ${bytes}`));
  });

  it.each<[number | bigint, string]>([
    [0, '00'],
    [1, '02'],
    [-1, '01'],
    [22, '2c'],
    [65, 'ff82'],
    [-65, 'ff81'],
    [-66, 'ff83'],
    [(1n << 63n) - 1n, 'f8fffffffffffffffe'],
    [-(1n << 63n), 'f8ffffffffffffffff'],
  ])('int %s ⇄ %s', (value, bytes) => {
    expect(hex(new GobEncoder().encode(t.int, value))).toBe(msg(`04 00 ${bytes}`));
    expect(decoderFor(msg(`04 00 ${bytes}`)).next(t.int)?.value).toBe(value);
  });

  it('accepts numbers and bigints alike and decodes unsafe integers as bigint', () => {
    expect(new GobEncoder().encode(t.int, 5n)).toEqual(new GobEncoder().encode(t.int, 5));
    expect(new GobEncoder().encode(t.uint, 2 ** 60)).toEqual(new GobEncoder().encode(t.uint, 1n << 60n));
    expect(decoderFor(hex(new GobEncoder().encode(t.int, 2 ** 53))).next(t.int)?.value).toBe(1n << 53n);
  });

  it('encodes floats as byte-reversed bits (17.0 → fe 31 40) and bools, strings, bytes with their lengths', () => {
    expect(hex(new GobEncoder().encode(t.float, 17))).toBe(msg('08 00 fe3140'));
    expect(hex(new GobEncoder().encode(t.bool, true))).toBe(msg('02 00 01'));
    expect(hex(new GobEncoder().encode(t.string, 'hello'))).toBe(msg(`0c 00 05 ${ascii('hello')}`));
    expect(hex(new GobEncoder().encode(t.bytes, Uint8Array.of(1, 2)))).toBe(msg('0a 00 02 0102'));
    expect(decoderFor(msg('08 00 fe3140')).next(t.float)?.value).toBe(17);
    const nan = decoderFor(hex(new GobEncoder().encode(t.float, Number.NaN))).next(t.float)?.value;
    expect(Number.isNaN(nan)).toBe(true);
  });

  it('sends every slice and map element, zero values included', () => {
    const zeros = new GobEncoder().encode(t.slice(t.int), [0, 0]);
    expect(hex(zeros.subarray(-7))).toBe(msg('ff82 00 02 00 00'));
    const dec = decoderFor(hex(new GobEncoder().encode(t.map(t.string, t.int), new Map([['', 0]]))));
    expect(dec.next(t.map(t.string, t.int))?.value).toEqual(new Map([['', 0]]));
  });

  it('replaces invalid UTF-8 in strings, as Go strings are raw bytes', () => {
    expect(decoderFor(msg('0c 00 02 ff41')).next(t.string)?.value).toBe('\uFFFDA');
  });
});

describe('messages of a real session (reference §5.3)', () => {
  const requestDef =
    `ff81 03 01 01 07${ascii('Request')} 01 ff82 00 01 02 01 0d${ascii('ServiceMethod')} 01 0c 00 ` +
    `01 03${ascii('Seq')} 01 06 00 00 00`;
  const json173 = new Uint8Array(173).fill(0x61);

  it('encodes the client→server stream byte for byte', () => {
    const enc = new GobEncoder();
    expect(hex(enc.encode(Request, { ServiceMethod: 'RPCServerDriver.GetVersion', Seq: 0 }))).toBe(
      msg(requestDef) + msg(`ff82 01 1a${ascii('RPCServerDriver.GetVersion')} 00`),
    );
    expect(hex(enc.encode(Empty, {}))).toBe(`${msg('ff83 03 01 02 ff84 00 00 00')}${msg('ff84 00')}`);
    expect(hex(enc.encode(Request, { ServiceMethod: 'RPCServerDriver.SetConfigRaw', Seq: 1 }))).toBe(
      msg(`ff82 01 1c${ascii('RPCServerDriver.SetConfigRaw')} 01 01 00`),
    );
    const body = enc.encode(t.bytes, json173);
    expect(hex(body.subarray(0, 6))).toBe('ffb10a00ffad');
    expect(body.length).toBe(2 + 177);
  });

  it('decodes the server→client stream', () => {
    const responseDef =
      `ff81 03 01 01 08${ascii('Response')} 01 ff82 00 01 03 01 0d${ascii('ServiceMethod')} 01 0c 00 ` +
      `01 03${ascii('Seq')} 01 06 00 01 05${ascii('Error')} 01 0c 00 00 00`;
    const stream =
      msg(responseDef) +
      msg(`ff82 01 1a${ascii('RPCServerDriver.GetVersion')} 00`) +
      '03 04 00 02' +
      msg(`ff83 03 01 02 ff84 00 00 00`) +
      msg(`ff82 01 14${ascii('RPCServerDriver.Kill')} 01 11 01 18${ascii('demo: kill not supported')} 00`) +
      '03 ff84 00';
    expect(msg(responseDef).slice(0, 2)).toBe('3a');
    const dec = decoderFor(stream);
    expect(dec.next(Response)?.value).toEqual({ ServiceMethod: 'RPCServerDriver.GetVersion', Seq: 0, Error: '' });
    expect(dec.next(t.int)?.value).toBe(1);
    expect(dec.next(Response)?.value).toEqual({
      ServiceMethod: 'RPCServerDriver.Kill',
      Seq: 17,
      Error: 'demo: kill not supported',
    });
    expect(dec.nextAny()).toEqual({ value: {}, type: { kind: 'struct', name: '', fields: [] } });
    expect(dec.buffered).toBe(0);
    expect(dec.next(t.int)).toBeUndefined();
  });

  it('matches struct fields by name, in any wire order, and skips unknown wire fields', () => {
    const reordered = t.struct('Response', { Error: t.string, Extra: t.bytes, ServiceMethod: t.string });
    const dec = new GobDecoder();
    dec.feed(new GobEncoder().encode(Response, { ServiceMethod: 'M', Seq: 9, Error: 'boom' }));
    expect(dec.next(reordered)?.value).toEqual({ Error: 'boom', Extra: new Uint8Array(0), ServiceMethod: 'M' });
  });
});

describe('type definitions inside interface values (reference §5.4)', () => {
  const sliceDef = 'ff81 02 01 02 ff82 00 01 0c 00 00';
  const value = `00 02 02${ascii('v1')} 02${ascii('v2')}`;
  const expected = { name: '[]string', type: t.slice(t.string), value: ['v1', 'v2'] };

  it('reads a definition inline, skipping the chunk count that follows it', () => {
    const dec = decoderFor(msg(`10 00 08${ascii('[]string')} ${sliceDef} 07 ff82 08 ${value}`));
    expect(dec.next(t.interface)?.value).toEqual(expected);
  });

  it('continues the value in the next message when Go flushes at the definition', () => {
    const dec = decoderFor(msg(`10 00 08${ascii('[]string')} ${sliceDef}`) + msg(`ff82 08 ${value}`));
    expect(dec.next(t.interface)?.value).toEqual(expected);
    expect(dec.buffered).toBe(0);
  });

  it('decodes a nil interface to null and encodes null back the same way', () => {
    expect(decoderFor(msg('10 00 00')).next(t.interface)?.value).toBeNull();
    expect(hex(new GobEncoder().encode(t.interface, null))).toBe(msg('10 00 00'));
  });

  it('encodes interface values in the §5.5 form: definitions first, then name, id, byte count, value', () => {
    const out = hex(
      new GobEncoder().encode(t.interface, { name: '[]string', type: t.slice(t.string), value: ['v1', 'v2'] }),
    );
    expect(out).toBe(msg(sliceDef) + msg(`10 00 08${ascii('[]string')} ff82 08 ${value}`));
  });
});

describe('incremental input', () => {
  it('returns undefined until a value is complete, rolling back definitions read meanwhile', () => {
    const whole = golden('session_s2c');
    const types = typedCases.session_s2c!.map(([type]) => type);
    const dec = new GobDecoder();
    const got: GobValue[] = [];
    for (const byte of whole) {
      dec.feed(Uint8Array.of(byte));
      for (
        let r = dec.next(types[got.length]!);
        r;
        r = got.length < types.length ? dec.next(types[got.length]!) : undefined
      ) {
        got.push(r.value);
      }
    }
    expect(got).toHaveLength(types.length);
    const ref = new GobDecoder();
    ref.feed(whole);
    for (const [i, type] of types.entries()) expect(got[i]).toEqual(ref.next(type)?.value);
    expect(dec.buffered).toBe(0);
  });

  it('keeps a lone type definition buffered until its value arrives', () => {
    const bytes = new GobEncoder().encode(Request, { ServiceMethod: 'X', Seq: 3 });
    const defLen = bytes[0]! + 1;
    const dec = new GobDecoder();
    dec.feed(bytes.subarray(0, defLen));
    expect(dec.next(Request)).toBeUndefined();
    expect(dec.next(Request)).toBeUndefined();
    expect(dec.buffered).toBe(defLen);
    dec.feed(bytes.subarray(defLen));
    expect(dec.next(Request)?.value).toEqual({ ServiceMethod: 'X', Seq: 3 });
  });

  it('keeps type ids for the life of the stream', () => {
    const enc = new GobEncoder();
    const first = enc.encode(Request, { ServiceMethod: 'A', Seq: 1 });
    const second = enc.encode(Request, { ServiceMethod: 'B', Seq: 2 });
    expect(second.length).toBeLessThan(first.length);
    const dec = new GobDecoder();
    dec.feed(first);
    expect(dec.next(Request)?.value).toEqual({ ServiceMethod: 'A', Seq: 1 });
    dec.feed(second);
    expect(dec.next(Request)?.value).toEqual({ ServiceMethod: 'B', Seq: 2 });
  });
});

describe('decoder errors', () => {
  it('fails a corrupt length prefix and keeps failing (the stream cannot be resynchronised)', () => {
    const dec = decoderFor('80 00');
    const err = gobError(() => dec.nextAny());
    expect(err.message).toMatch(/corrupt message length/);
    expect(gobError(() => dec.next(t.int))).toBe(err);
  });

  it('rejects messages above maxMessageBytes before buffering them', () => {
    expect(gobError(() => decoderFor('ff 20', { maxMessageBytes: 16 }).nextAny()).message).toMatch(/exceeds the limit/);
    expect(gobError(() => decoderFor('fc 7fffffff').nextAny()).message).toMatch(/exceeds the limit/);
  });

  it('rejects duplicate, reserved and unknown type ids', () => {
    const def = hex(new GobEncoder().encode(Request, {})).slice(0, 96);
    expect(gobError(() => decoderFor(def + def).nextAny()).message).toMatch(/duplicate/);
    expect(gobError(() => decoderFor(msg('13 03 01 02 13 00 00 00')).nextAny()).message).toMatch(/reserved type id 10/);
    expect(gobError(() => decoderFor(msg('ff82 00')).nextAny()).message).toMatch(/unknown type id 65/);
    expect(gobError(() => decoderFor(msg('0e 00 00')).nextAny()).message).toMatch(/complex/);
  });

  it('reports type mismatches like Go and keeps the stream usable afterwards', () => {
    const enc = new GobEncoder();
    const dec = new GobDecoder();
    dec.feed(enc.encode(t.uint, 5));
    dec.feed(enc.encode(Request, { ServiceMethod: 'M' }));
    dec.feed(enc.encode(t.string, 'after'));
    expect(gobError(() => dec.next(t.int)).message).toMatch(/type mismatch: received uint, expected int/);
    expect(gobError(() => dec.next(t.struct('Other', { Foo: t.string }))).message).toMatch(/no fields matched/);
    expect(dec.next(t.string)?.value).toBe('after');
  });

  it('checks element types up front, so an empty slice of the wrong type is a mismatch as in Go', () => {
    const enc = new GobEncoder();
    const dec = new GobDecoder();
    dec.feed(enc.encode(t.slice(t.int), []));
    dec.feed(enc.encode(t.struct('S', { A: t.map(t.string, t.int), B: t.int }), { B: 1 }));
    expect(gobError(() => dec.next(t.slice(t.string))).message).toMatch(/type mismatch: received slice/);
    const wrongMap = t.struct('S', { A: t.map(t.string, t.string), B: t.int });
    expect(gobError(() => dec.next(wrongMap)).message).toMatch(/type mismatch/);
  });

  it('rejects malformed message contents', () => {
    const cases: [string, RegExp][] = [
      [msg('00'), /unknown type id 0/],
      ['00', /empty message/],
      [msg('0c 00 05 68'), /exceeds the remaining message/],
      [msg('04 01 02'), /non-zero delta/],
      [msg('04 00 81'), /invalid uint/],
      [msg('04'), /unexpected end/],
      [msg('ff83 03 01 02 ff84 00 00 00 00'), /extra data/],
      [msg('ff83 09 00'), /field number 8 out of range in wireType/],
      [msg('ff83 00'), /empty definition/],
      [msg('ff83 02 01 02 ff84 00 01 0c 00 01 01 02 ff84 00 00 00'), /more than one kind/],
      [msg('10 00 06 ff ff ff ff ff'), /exceeds the remaining message/],
      [msg(`10 00 01${ascii('x')} 10 00 00 00`), /holds an interface/],
      [`${msg('ff83 03 01 02 ff84 00 00 00')}${msg('ff84 05 00')}`, /field number 4 out of range/],
    ];
    for (const [bytes, pattern] of cases) {
      expect(gobError(() => decoderFor(bytes).nextAny()).message, bytes).toMatch(pattern);
    }
  });

  it('bounds nesting depth, element counts, type count and zero-value expansion', () => {
    let deep: GobType = t.int;
    for (let i = 0; i < 20; i++) deep = t.slice(deep);
    let value: GobValue = 1;
    for (let i = 0; i < 20; i++) value = [value];
    const bytes = new GobEncoder().encode(deep, value);
    expect(gobError(() => fed(bytes, { maxDepth: 10 }).nextAny()).message).toMatch(/nests deeper than 10/);
    expect(fed(bytes).nextAny()?.value).toEqual(value);

    const many = new GobEncoder().encode(t.slice(t.int), [1, 2, 3, 4, 5]);
    expect(gobError(() => fed(many, { maxElements: 4 }).nextAny()).message).toMatch(
      /5 elements exceeds the limit of 4/,
    );

    const twoTypes = new GobEncoder().encode(t.slice(t.slice(t.int)), [[1]]);
    expect(gobError(() => fed(twoTypes, { maxTypes: 1 }).nextAny()).message).toMatch(/more than 1 type definitions/);

    // A struct whose absent field is an array of 2^30 ints: Go would allocate it; we refuse.
    const w = new ByteWriter();
    const def = (build: (d: ByteWriter) => void) => {
      const d = new ByteWriter();
      build(d);
      w.uint(d.length);
      w.bytes(d.finish());
    };
    def((d) => {
      d.int(-65);
      for (const x of [1, 1, 2]) d.uint(x);
      d.int(65);
      d.uint(0);
      d.uint(1);
      d.int(2);
      d.uint(1);
      d.int(2 ** 30);
      d.uint(0);
      d.uint(0);
    });
    def((d) => {
      d.int(-66);
      for (const x of [3, 1, 2]) d.uint(x);
      d.int(66);
      d.uint(0);
      d.uint(1);
      d.uint(2);
      for (const [name, id] of [
        ['X', 2],
        ['Big', 65],
      ] as const) {
        d.uint(1);
        d.string(name);
        d.uint(1);
        d.int(id);
        d.uint(0);
      }
      d.uint(0);
      d.uint(0);
    });
    def((d) => {
      d.int(66);
      d.uint(1);
      d.int(5);
      d.uint(0);
    });
    expect(gobError(() => fed(w.finish()).nextAny()).message).toMatch(/zero values exceed the element limit/);
  });

  it('keeps the work per value bounded for a hostile struct type with thousands of fields', () => {
    const fields: Record<string, GobType> = {};
    for (let i = 0; i < 2000; i++) fields[`F${i}`] = t.int;
    const wide = t.struct('W', fields);
    const bytes = new GobEncoder().encode(
      t.slice(wide),
      Array.from({ length: 200 }, () => ({ F1999: 1 })),
    );
    // Every value would zero-fill 1999 fields: refused once the per-value element budget is spent.
    expect(gobError(() => fed(bytes, { maxElements: 100_000 }).nextAny()).message).toMatch(/zero values exceed/);
    // Decoding into a narrow descriptor maps the fields once, not once per value.
    const narrow = t.slice(t.struct('W', { F1999: t.int }));
    expect(fed(bytes).next(narrow)?.value).toEqual(Array.from({ length: 200 }, () => ({ F1999: 1 })));
  });

  it('survives a struct type that contains itself', () => {
    // type 65 = struct R { Self R }: impossible in Go, but a hostile peer can send it.
    const self = `ff81 03 01 01 01${ascii('R')} 01 ff82 00 01 01 01 04${ascii('Self')} 01 ff82 00 00 00`;
    expect(gobError(() => decoderFor(msg(self) + msg('ff82 00')).nextAny()).message).toMatch(/nests deeper/);
    expect(gobError(() => decoderFor(msg(self) + msg('ff82 01 01 01 01 01 01 00')).nextAny()).message).toMatch(
      /nests deeper/,
    );
  });

  it('stores a field named __proto__ as data, not as a prototype', () => {
    const enc = new GobEncoder();
    const type = t.struct('P', { ['__proto__']: t.string });
    const value = Object.defineProperty({}, '__proto__', { value: 'x', enumerable: true }) as Record<string, GobValue>;
    const got = fed(enc.encode(type, value)).nextAny()?.value as Record<string, GobValue>;
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(got, '__proto__')?.value).toBe('x');
  });
});

describe('encoder', () => {
  it('omits zero struct fields like Go but sends nested structs, arrays and non-nil empty maps', () => {
    const type = t.struct('Z', {
      I: t.int,
      S: t.string,
      B: t.bool,
      L: t.slice(t.int),
      M: t.map(t.string, t.int),
      A: t.array(t.int, 1),
      N: StringFlag,
      F: t.float,
    });
    const enc = new GobEncoder();
    const first = enc.encode(type, { I: 0, S: '', B: false, L: [], M: null, A: [0], N: {}, F: -0 });
    expect(hex(first.subarray(-9))).toBe(msg('ff82 06 0100 01 00 00'));
    const second = hex(enc.encode(type, { M: new Map(), A: [0], N: {} }));
    expect(second).toBe(msg('ff82 05 00 01 01 00 01 00 00'));
  });

  it('raises GobError for values that do not fit their descriptor', () => {
    const enc = new GobEncoder();
    expect(gobError(() => enc.encode(t.string, 5)).message).toMatch(/cannot encode a number value as gob string/);
    expect(gobError(() => enc.encode(t.array(t.int, 2), [1])).message).toMatch(/1 elements, its type has 2/);
    expect(gobError(() => enc.encode(t.uint, -1)).message).toMatch(/unsigned/);
    expect(gobError(() => enc.encode(t.int, 1.5)).message).toMatch(/as an integer/);
    expect(gobError(() => enc.encode(t.int, 1n << 63n)).message).toMatch(/int64/);
    expect(gobError(() => enc.encode(t.uint, 1n << 64n)).message).toMatch(/2\^64/);
    expect(gobError(() => enc.encode(t.interface, { name: '', type: t.int, value: 1 })).message).toMatch(/non-empty/);
    expect(gobError(() => enc.encode(t.interface, { name: 'x', type: t.interface, value: null })).message).toMatch(
      /cannot hold an interface/,
    );
    expect(gobError(() => enc.encode(t.slice(t.int), new Map())).message).toMatch(/Map value as gob slice/);
    expect(gobError(() => enc.encode(Request, [])).message).toMatch(/array value as gob struct/);
  });

  it('forgets type definitions of a failed encode, so the next encode sends them', () => {
    const enc = new GobEncoder();
    const type = t.struct('S', { A: t.slice(t.string) });
    gobError(() => enc.encode(type, { A: [1] }));
    const ok = enc.encode(type, { A: ['a'] });
    const dec = new GobDecoder();
    dec.feed(ok);
    expect(dec.next(type)?.value).toEqual({ A: ['a'] });
    expect(hex(ok).slice(2, 6)).toBe('ff81');
  });
});

function fed(bytes: Uint8Array, limits?: ConstructorParameters<typeof GobDecoder>[0]): GobDecoder {
  const dec = new GobDecoder(limits);
  dec.feed(bytes);
  return dec;
}
