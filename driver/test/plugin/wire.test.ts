// The protocol's gob types and their conversions, through the real codec in both directions.
import { describe, expect, it } from 'vitest';
import type { CreateFlag, FlagValue } from '../../src/driver/interface';
import { GobDecoder } from '../../src/plugin/gob/decoder';
import { GobEncoder } from '../../src/plugin/gob/encoder';
import { t } from '../../src/plugin/gob/types';
import {
  driverOptionsFromGob,
  driverOptionsToGob,
  FlagSliceType,
  flagsFromGob,
  flagsToGob,
  GOB_NAMES,
  WireShapeError,
} from '../../src/plugin/wire';

function roundTrip(type: Parameters<GobEncoder['encode']>[0], value: Parameters<GobEncoder['encode']>[1]) {
  const d = new GobDecoder();
  d.feed(new GobEncoder().encode(type, value));
  const r = d.nextAny();
  if (!r) throw new Error('incomplete');
  return r.value;
}

const FLAGS: CreateFlag[] = [
  { kind: 'string', name: 'x-token', usage: 'Token', envVar: 'X_TOKEN', value: '' },
  { kind: 'int', name: 'x-port', usage: 'Port', envVar: '', value: -22 },
  { kind: 'stringSlice', name: 'x-nets', usage: 'Nets', envVar: 'X_NETS', value: ['a', ''] },
  { kind: 'stringSlice', name: 'x-none', usage: '', envVar: '', value: [] },
  { kind: 'bool', name: 'x-on', usage: 'On', envVar: 'X_ON' },
];

describe('create flags', () => {
  it('survive encode → decode with their registered Go names', () => {
    const gob = flagsToGob(FLAGS);
    expect(gob.map((f) => f.name)).toEqual([
      GOB_NAMES.stringFlag,
      GOB_NAMES.intFlag,
      GOB_NAMES.stringSliceFlag,
      GOB_NAMES.stringSliceFlag,
      GOB_NAMES.boolFlag,
    ]);
    expect(flagsFromGob(roundTrip(FlagSliceType, gob))).toEqual(FLAGS);
  });

  it('reject unknown flag types and nil elements, as Rancher does', () => {
    expect(() => flagsFromGob([{ name: '*mcnflag.BoolPointerFlag', type: t.struct('X', {}), value: {} }])).toThrow(
      /unknown type of flag/,
    );
    expect(() => flagsFromGob([null])).toThrow(WireShapeError);
    expect(() => flagsFromGob('nope')).toThrow(WireShapeError);
  });
});

describe('driver options (RPCFlags)', () => {
  it('carry string, int, bool, []string and nil through the codec', () => {
    const values = new Map<string, FlagValue>([
      ['s', 'v'],
      ['i', 123456789],
      ['neg', -1],
      ['b', true],
      ['f', false],
      ['l', ['x', 'y']],
      ['e', []],
      ['n', null],
    ]);
    expect(driverOptionsFromGob(roundTrip(t.interface, driverOptionsToGob(values)))).toEqual(values);
    expect(driverOptionsFromGob(roundTrip(t.interface, driverOptionsToGob({ a: 'b' })))).toEqual(new Map([['a', 'b']]));
  });

  it('reject other concrete types with a message naming them', () => {
    expect(() => driverOptionsFromGob(null)).toThrow('nil DriverOptions');
    expect(() => driverOptionsFromGob({ name: '*other.Options', type: t.struct('O', {}), value: {} })).toThrow(
      '"*other.Options"',
    );
    const floaty = {
      name: GOB_NAMES.rpcFlags,
      type: t.struct('RPCFlags', {}),
      value: {
        Values: new Map([['k', { name: 'float64', type: t.float, value: 1.5 }]]),
      },
    };
    expect(() => driverOptionsFromGob(floaty)).toThrow(/"k" has type "float64"/);
    expect(() => driverOptionsToGob({ k: 1.5 })).toThrow(/not an integer/);
  });
});
