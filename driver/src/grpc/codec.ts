// Maps the dispatch table's argument and reply kinds onto the proto messages of proto/driver.proto, both ways: the
// server decodes arguments and encodes replies, the client does the opposite. Wire objects are what proto-loader
// produces with LOADER_OPTIONS (field names as in the .proto, int64 as decimal strings, `kind` naming the set oneof
// member).
import type { ArgKind, ArgOf, ReplyKind, ReplyOf } from '../dispatch';
import type { CreateFlag, DriverOptions, FlagValue } from '../driver/interface';

/** A request the driver cannot be handed: the server answers INVALID_ARGUMENT, the client throws before sending. */
export class WireFormatError extends Error {
  override name = 'WireFormatError';
}

/** int64 as it travels: a decimal string when received, a number when sent (protobufjs accepts both). */
export type WireInt64 = string | number;

export interface WireIntValue {
  value: WireInt64;
}
export interface WireStringValue {
  value: string;
}
export interface WireBytesValue {
  value: Uint8Array;
}
export type WireEmpty = Record<string, never>;

interface WireFlagBase {
  name: string;
  usage: string;
  env_var: string;
}
export interface WireCreateFlag {
  kind?: 'string_flag' | 'int_flag' | 'string_slice_flag' | 'bool_flag';
  string_flag?: WireFlagBase & { value: string };
  int_flag?: WireFlagBase & { value: WireInt64 };
  string_slice_flag?: WireFlagBase & { value: string[] };
  bool_flag?: WireFlagBase;
}
export interface WireCreateFlags {
  flags: WireCreateFlag[];
}

export interface WireOptionValue {
  kind?: 'string_value' | 'int_value' | 'bool_value' | 'string_list_value' | 'null_value';
  string_value?: string;
  int_value?: WireInt64;
  bool_value?: boolean;
  string_list_value?: { values: string[] };
  null_value?: 'NULL_VALUE' | 0;
}
export interface WireDriverOptions {
  values: Record<string, WireOptionValue>;
}

export type WireArg = WireEmpty | WireBytesValue | WireDriverOptions;
export type WireReply = WireEmpty | WireIntValue | WireStringValue | WireBytesValue | WireCreateFlags;

/** An int64 from the wire as a JS number, refusing what a number cannot hold exactly. */
export function int64ToNumber(value: WireInt64 | undefined, what: string): number {
  if (value === undefined) return 0;
  if (typeof value === 'string' && !/^-?\d+$/.test(value))
    throw new WireFormatError(`${what}: ${value} is not an integer`);
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new WireFormatError(`${what}: ${value} is outside the safe integer range of the driver (±2^53-1)`);
  }
  return n;
}

/** A JS number bound for an int64 field; fractions and unsafe integers would be rounded by protobufjs. */
export function numberToInt64(value: number, what: string): number {
  if (!Number.isSafeInteger(value)) throw new WireFormatError(`${what}: ${value} is not an integer a Go int can hold`);
  return value;
}

export function encodeFlags(flags: readonly CreateFlag[]): WireCreateFlags {
  return {
    flags: flags.map((f): WireCreateFlag => {
      const base = { name: f.name, usage: f.usage, env_var: f.envVar };
      switch (f.kind) {
        case 'string':
          return { string_flag: { ...base, value: f.value } };
        case 'int':
          return { int_flag: { ...base, value: numberToInt64(f.value, `flag ${f.name}`) } };
        case 'stringSlice':
          return { string_slice_flag: { ...base, value: [...f.value] } };
        case 'bool':
          return { bool_flag: base };
        default:
          throw new WireFormatError(`flag ${(f as CreateFlag).name}: unsupported kind ${(f as { kind: string }).kind}`);
      }
    }),
  };
}

export function decodeFlags(wire: WireCreateFlags): CreateFlag[] {
  return (wire.flags ?? []).map((f, i): CreateFlag => {
    if (f.string_flag) {
      const { name, usage, env_var, value } = f.string_flag;
      return { kind: 'string', name, usage, envVar: env_var, value };
    }
    if (f.int_flag) {
      const { name, usage, env_var, value } = f.int_flag;
      return { kind: 'int', name, usage, envVar: env_var, value: int64ToNumber(value, `flag ${name}`) };
    }
    if (f.string_slice_flag) {
      const { name, usage, env_var, value } = f.string_slice_flag;
      return { kind: 'stringSlice', name, usage, envVar: env_var, value: [...(value ?? [])] };
    }
    if (f.bool_flag) {
      const { name, usage, env_var } = f.bool_flag;
      return { kind: 'bool', name, usage, envVar: env_var };
    }
    throw new WireFormatError(`create flag #${i} has no kind set`);
  });
}

export function encodeOptions(opts: DriverOptions): WireDriverOptions {
  const values: Record<string, WireOptionValue> = {};
  for (const [name, v] of opts) {
    if (v === null) values[name] = { null_value: 'NULL_VALUE' };
    else if (typeof v === 'string') values[name] = { string_value: v };
    else if (typeof v === 'boolean') values[name] = { bool_value: v };
    else if (typeof v === 'number') values[name] = { int_value: numberToInt64(v, `option ${name}`) };
    else if (Array.isArray(v)) values[name] = { string_list_value: { values: [...v] } };
    else throw new WireFormatError(`option ${name}: unsupported value type ${typeof v}`);
  }
  return { values };
}

export function decodeOptions(wire: WireDriverOptions): DriverOptions {
  const opts = new Map<string, FlagValue>();
  for (const [name, v] of Object.entries(wire.values ?? {})) {
    // Checked by member rather than by `kind` so that objects built without the virtual field decode too.
    if (v.string_value !== undefined) opts.set(name, v.string_value);
    else if (v.int_value !== undefined) opts.set(name, int64ToNumber(v.int_value, `option ${name}`));
    else if (v.bool_value !== undefined) opts.set(name, v.bool_value);
    else if (v.string_list_value !== undefined) opts.set(name, [...(v.string_list_value.values ?? [])]);
    // null_value, or no member at all: Go's nil interface.
    else opts.set(name, null);
  }
  return opts;
}

export function decodeArg<K extends ArgKind>(kind: K, wire: unknown): ArgOf<K> {
  switch (kind) {
    case 'none':
      return null as ArgOf<K>;
    case 'bytes':
      return toUint8Array((wire as WireBytesValue).value) as ArgOf<K>;
    case 'driverOptions':
      return decodeOptions(wire as WireDriverOptions) as ArgOf<K>;
    default:
      throw new WireFormatError(`unknown argument kind ${kind}`);
  }
}

export function encodeArg<K extends ArgKind>(kind: K, arg: ArgOf<K>): WireArg {
  switch (kind) {
    case 'none':
      return {};
    case 'bytes':
      return { value: arg as Uint8Array };
    case 'driverOptions':
      return encodeOptions(arg as DriverOptions);
    default:
      throw new WireFormatError(`unknown argument kind ${kind}`);
  }
}

export function encodeReply<K extends ReplyKind>(kind: K, reply: ReplyOf<K>): WireReply {
  switch (kind) {
    case 'none':
      return {};
    case 'int':
      return { value: numberToInt64(reply as number, 'reply') };
    case 'string':
      return { value: reply as string };
    case 'bytes':
      return { value: reply as Uint8Array };
    case 'flags':
      return encodeFlags(reply as CreateFlag[]);
    default:
      throw new WireFormatError(`unknown reply kind ${kind}`);
  }
}

export function decodeReply<K extends ReplyKind>(kind: K, wire: unknown): ReplyOf<K> {
  switch (kind) {
    case 'none':
      return null as ReplyOf<K>;
    case 'int':
      return int64ToNumber((wire as WireIntValue).value, 'reply') as ReplyOf<K>;
    case 'string':
      return ((wire as WireStringValue).value ?? '') as ReplyOf<K>;
    case 'bytes':
      return toUint8Array((wire as WireBytesValue).value) as ReplyOf<K>;
    case 'flags':
      return decodeFlags(wire as WireCreateFlags) as ReplyOf<K>;
    default:
      throw new WireFormatError(`unknown reply kind ${kind}`);
  }
}

/**
 * proto-loader hands out Buffers that may share memory with the received frame; callers get a plain Uint8Array of
 * their own, as the Driver interface promises.
 */
function toUint8Array(value: Uint8Array | undefined): Uint8Array {
  return value === undefined ? new Uint8Array(0) : new Uint8Array(value);
}
