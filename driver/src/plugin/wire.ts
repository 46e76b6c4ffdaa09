// The gob types of rancher-machine's plugin protocol, with the names Go gives them, and the conversions between
// their gob values and the Driver interface's TypeScript shapes. Names inside type definitions are informational
// for Go; the registered interface names (`*mcnflag.StringFlag`, …) are not, and must match exactly.
import type { CreateFlag, FlagValue } from '../driver/interface';
import type { GobInterfaceValue, GobType, GobValue } from './gob/types';
import { t } from './gob/types';

/** net/rpc's request header. */
export const RequestType: GobType = t.struct('Request', { ServiceMethod: t.string, Seq: t.uint });
/** net/rpc's response header. */
export const ResponseType: GobType = t.struct('Response', { ServiceMethod: t.string, Seq: t.uint, Error: t.string });
/** `struct{}`: the argument of argument-less calls, the reply of void ones and the body of every error reply. */
export const EmptyType: GobType = t.struct('', {});

export const StringSliceType: GobType = t.slice(t.string, '[]string');

export const StringFlagType: GobType = t.struct('StringFlag', {
  Name: t.string,
  Usage: t.string,
  EnvVar: t.string,
  Value: t.string,
});
export const IntFlagType: GobType = t.struct('IntFlag', {
  Name: t.string,
  Usage: t.string,
  EnvVar: t.string,
  Value: t.int,
});
export const StringSliceFlagType: GobType = t.struct('StringSliceFlag', {
  Name: t.string,
  Usage: t.string,
  EnvVar: t.string,
  Value: StringSliceType,
});
export const BoolFlagType: GobType = t.struct('BoolFlag', { Name: t.string, Usage: t.string, EnvVar: t.string });
/** `[]mcnflag.Flag`: a slice of interfaces, the reply of GetCreateFlags. */
export const FlagSliceType: GobType = t.slice(t.interface, '[]mcnflag.Flag');

export const FlagValuesType: GobType = t.map(t.string, t.interface, 'map[string]interface {}');
export const RPCFlagsType: GobType = t.struct('RPCFlags', { Values: FlagValuesType });
/** `*drivers.DriverOptions`: the interface SetConfigFromFlags carries; its concrete value is `*rpcdriver.RPCFlags`. */
export const DriverOptionsType: GobType = t.interface;

/** Registered names: Go's gob.Register names a pointer type "*" + package name + "." + type name. */
export const GOB_NAMES = {
  stringFlag: '*mcnflag.StringFlag',
  intFlag: '*mcnflag.IntFlag',
  stringSliceFlag: '*mcnflag.StringSliceFlag',
  boolFlag: '*mcnflag.BoolFlag',
  rpcFlags: '*rpcdriver.RPCFlags',
} as const;

/**
 * What an interface value in a request may hold, by the name Go's gob registers it under: the DriverOptions of
 * SetConfigFromFlags and the flag values inside it (urfave/cli hands over string, int, bool or []string; the other
 * integer and byte-slice names are accepted because Go's gob registers them too). Anything else is refused
 * before it is built.
 */
export const REQUEST_INTERFACES: ReadonlyMap<string, GobType> = new Map<string, GobType>([
  [GOB_NAMES.rpcFlags, RPCFlagsType],
  ['string', t.string],
  ['bool', t.bool],
  ['int', t.int],
  ['int64', t.int],
  ['int32', t.int],
  ['uint', t.uint],
  ['uint64', t.uint],
  ['uint32', t.uint],
  ['[]string', StringSliceType],
  ['[]uint8', t.bytes],
]);

export class WireShapeError extends Error {
  override name = 'WireShapeError';
}

/** A decoded interface value (concrete type name, type and value), as opposed to a nil interface or a plain value. */
function isInterfaceValue(v: GobValue | undefined): v is GobInterfaceValue {
  return typeof v === 'object' && v !== null && 'name' in v && 'value' in v;
}

function asRecord(v: GobValue, what: string): Record<string, GobValue> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array || v instanceof Map) {
    throw new WireShapeError(`${what}: expected a struct`);
  }
  return v as Record<string, GobValue>;
}

function str(v: GobValue | undefined): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  throw new WireShapeError(`expected a string, got ${typeof v}`);
}

function num(v: GobValue | undefined, what: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new WireShapeError(`${what}: ${v} is out of range`);
    return n;
  }
  throw new WireShapeError(`${what}: expected an integer, got ${typeof v}`);
}

function strings(v: GobValue | undefined, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new WireShapeError(`${what}: expected a []string`);
  return v.map((s) => str(s));
}

/** The interface values of a GetCreateFlags reply, Go's registered names and all. */
export function flagsToGob(flags: readonly CreateFlag[]): GobInterfaceValue[] {
  return flags.map((f): GobInterfaceValue => {
    const base = { Name: f.name, Usage: f.usage, EnvVar: f.envVar };
    switch (f.kind) {
      case 'string':
        return { name: GOB_NAMES.stringFlag, type: StringFlagType, value: { ...base, Value: f.value } };
      case 'int':
        return { name: GOB_NAMES.intFlag, type: IntFlagType, value: { ...base, Value: f.value } };
      case 'stringSlice':
        return { name: GOB_NAMES.stringSliceFlag, type: StringSliceFlagType, value: { ...base, Value: [...f.value] } };
      case 'bool':
        return { name: GOB_NAMES.boolFlag, type: BoolFlagType, value: base };
    }
    throw new WireShapeError(`unknown flag kind ${(f as { kind: string }).kind}`);
  });
}

/** A decoded GetCreateFlags reply → CreateFlag[]; unknown concrete types are an error, as in Rancher. */
export function flagsFromGob(value: GobValue): CreateFlag[] {
  if (!Array.isArray(value)) throw new WireShapeError('GetCreateFlags reply: expected a slice');
  return value.map((item, i): CreateFlag => {
    if (!isInterfaceValue(item)) {
      throw new WireShapeError(`GetCreateFlags reply: element ${i} is not a non-nil interface value`);
    }
    const iv = item;
    const rec = asRecord(iv.value, `flag ${i} (${iv.name})`);
    const base = { name: str(rec.Name), usage: str(rec.Usage), envVar: str(rec.EnvVar) };
    switch (iv.name) {
      case GOB_NAMES.stringFlag:
        return { kind: 'string', ...base, value: str(rec.Value) };
      case GOB_NAMES.intFlag:
        return { kind: 'int', ...base, value: num(rec.Value, `flag ${base.name}`) };
      case GOB_NAMES.stringSliceFlag:
        return { kind: 'stringSlice', ...base, value: strings(rec.Value, `flag ${base.name}`) };
      case GOB_NAMES.boolFlag:
        return { kind: 'bool', ...base };
      default:
        throw new WireShapeError(`unknown type of flag ${JSON.stringify(iv.name)}`);
    }
  });
}

/** One RPCFlags value as Go's urfave/cli produced it: string, int, bool or []string (a nil slice is sent empty). */
export function flagValueToGob(v: FlagValue): GobInterfaceValue | null {
  if (v === null) return null;
  if (typeof v === 'string') return { name: 'string', type: t.string, value: v };
  if (typeof v === 'boolean') return { name: 'bool', type: t.bool, value: v };
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new WireShapeError(`flag value ${v} is not an integer`);
    return { name: 'int', type: t.int, value: v };
  }
  if (Array.isArray(v)) return { name: '[]string', type: StringSliceType, value: [...v] };
  throw new WireShapeError(`unsupported flag value type ${typeof v}`);
}

function flagValueFromGob(key: string, v: GobValue | undefined): FlagValue {
  if (v === undefined || v === null) return null;
  if (!isInterfaceValue(v)) {
    throw new WireShapeError(`RPCFlags value ${JSON.stringify(key)}: expected an interface value`);
  }
  const iv = v;
  switch (iv.type.kind) {
    case 'string':
    case 'bytes':
      return str(iv.value);
    case 'int':
    case 'uint':
      return num(iv.value, `RPCFlags value ${JSON.stringify(key)}`);
    case 'bool':
      return iv.value === true;
    case 'slice':
      if (iv.type.elem.kind === 'string') return strings(iv.value, `RPCFlags value ${JSON.stringify(key)}`);
      break;
    default:
      break;
  }
  throw new WireShapeError(
    `RPCFlags value ${JSON.stringify(key)} has type ${JSON.stringify(iv.name)}; expected string, int, bool or []string`,
  );
}

/** SetConfigFromFlags' argument (the `*rpcdriver.RPCFlags` interface value) → DriverOptions. */
export function driverOptionsFromGob(value: GobValue): Map<string, FlagValue> {
  if (value === null) throw new WireShapeError('SetConfigFromFlags: nil DriverOptions');
  if (!isInterfaceValue(value)) {
    throw new WireShapeError('SetConfigFromFlags: expected an interface value holding *rpcdriver.RPCFlags');
  }
  const iv = value;
  if (iv.name !== GOB_NAMES.rpcFlags) {
    throw new WireShapeError(`SetConfigFromFlags: unsupported DriverOptions type ${JSON.stringify(iv.name)}`);
  }
  const values = asRecord(iv.value, 'RPCFlags').Values;
  const out = new Map<string, FlagValue>();
  if (values === undefined || values === null) return out;
  if (!(values instanceof Map)) throw new WireShapeError('RPCFlags.Values: expected a map');
  for (const [k, v] of values) {
    if (typeof k !== 'string') {
      throw new WireShapeError(
        `SetConfigFromFlags: RPCFlags.Values keys must be flag names (strings), got ${typeof k}`,
      );
    }
    out.set(k, flagValueFromGob(k, v));
  }
  return out;
}

/** DriverOptions → the interface value Go's client sends to SetConfigFromFlags. */
export function driverOptionsToGob(
  values: ReadonlyMap<string, FlagValue> | Record<string, FlagValue>,
): GobInterfaceValue {
  const entries = values instanceof Map ? [...values.entries()] : Object.entries(values);
  const map = new Map<GobValue, GobValue>();
  for (const [k, v] of entries) map.set(k, flagValueToGob(v as FlagValue));
  return { name: GOB_NAMES.rpcFlags, type: RPCFlagsType, value: { Values: map } };
}
