// Type descriptors and value shapes of the gob codec. Values are plain TypeScript values; which shape a value
// takes is decided by its descriptor, never guessed from the data.

/**
 * A gob type as the codec sees it. Struct fields are matched by name (as Go does); `name` on composite types is
 * the informational CommonType name sent in wire type definitions.
 */
export type GobType =
  | { kind: 'bool' }
  | { kind: 'int' }
  | { kind: 'uint' }
  | { kind: 'float' }
  | { kind: 'string' }
  | { kind: 'bytes' }
  | { kind: 'interface' }
  | { kind: 'slice'; name?: string; elem: GobType }
  | { kind: 'array'; name?: string; elem: GobType; len: number }
  | { kind: 'map'; name?: string; key: GobType; elem: GobType }
  | { kind: 'struct'; name: string; fields: readonly GobField[] };

export interface GobField {
  name: string;
  type: GobType;
}

/** An interface value: the registered concrete type name and the value, or null for a nil interface. */
export interface GobInterfaceValue {
  name: string;
  type: GobType;
  value: GobValue;
}

/**
 * The TypeScript shape of a gob value:
 * bool → boolean; int/uint → number when it is a safe integer, else bigint; float → number; string → string
 * (Go strings are bytes: invalid UTF-8 is replaced on decode); bytes → Uint8Array; slice/array → GobValue[];
 * map → Map<GobValue, GobValue>; struct → { [field]: GobValue } with absent (zero) fields set to their zero value;
 * interface → GobInterfaceValue | null.
 */
export type GobValue =
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | GobValue[]
  | Map<GobValue, GobValue>
  | { [field: string]: GobValue }
  | GobInterfaceValue
  | null;

export const t = {
  bool: { kind: 'bool' },
  int: { kind: 'int' },
  uint: { kind: 'uint' },
  float: { kind: 'float' },
  string: { kind: 'string' },
  bytes: { kind: 'bytes' },
  interface: { kind: 'interface' },
  slice: (elem: GobType, name?: string): GobType => ({ kind: 'slice', elem, ...(name ? { name } : {}) }),
  array: (elem: GobType, len: number, name?: string): GobType => ({
    kind: 'array',
    elem,
    len,
    ...(name ? { name } : {}),
  }),
  map: (key: GobType, elem: GobType, name?: string): GobType => ({ kind: 'map', key, elem, ...(name ? { name } : {}) }),
  struct: (name: string, fields: Record<string, GobType>): GobType => ({
    kind: 'struct',
    name,
    fields: Object.entries(fields).map(([n, type]) => ({ name: n, type })),
  }),
} as const satisfies Record<string, GobType | ((...args: never[]) => GobType)>;

/** Raised for malformed, hostile or unexpected input; never a crash, hang or unbounded allocation. */
export class GobError extends Error {
  override name = 'GobError';
}
