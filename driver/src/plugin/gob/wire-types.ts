// The wire types a gob stream defines (Go: type.go's wireType and the decoder's type map): reading definitions,
// describing them, deriving the descriptor a wire type implies, and checking a wire type against a descriptor.
// Definitions read during an attempt that runs out of bytes are rolled back with it.
import type { GobLimits, GobStream } from './stream';
import type { GobField, GobType } from './types';
import { BUILTIN_IDS, FIRST_USER_ID } from './wire';

export type WireDef =
  | { kind: 'slice'; name: string; elem: number }
  | { kind: 'array'; name: string; elem: number; len: number }
  | { kind: 'map'; name: string; key: number; elem: number }
  | { kind: 'struct'; name: string; fields: { name: string; id: number }[] }
  // GobEncoder / BinaryMarshaler / TextMarshaler types: the value is an opaque byte string.
  | { kind: 'opaque'; name: string };

export type StructDef = Extract<WireDef, { kind: 'struct' }>;
type StructType = Extract<GobType, { kind: 'struct' }>;

const BUILTIN_TYPES: Record<number, GobType> = {
  1: { kind: 'bool' },
  2: { kind: 'int' },
  3: { kind: 'uint' },
  4: { kind: 'float' },
  5: { kind: 'bytes' },
  6: { kind: 'string' },
  8: { kind: 'interface' },
};
const BUILTIN_NAMES: Record<number, string> = {
  1: 'bool',
  2: 'int',
  3: 'uint',
  4: 'float',
  5: 'bytes',
  6: 'string',
  7: 'complex',
  8: 'interface',
};

export class WireTypes {
  private readonly types = new Map<number, WireDef>();
  private readonly derived = new Map<number, GobType>();
  private compat = new WeakMap<GobType, Map<number, boolean>>();
  /** Ids defined during the current attempt. */
  private added: number[] = [];

  constructor(
    private readonly s: GobStream,
    private readonly limits: GobLimits,
  ) {}

  get(id: number): WireDef | undefined {
    return this.types.get(id);
  }

  /** Starts an attempt: definitions from here on are undone by rollback(). */
  begin(): void {
    this.added = [];
  }

  /** Forgets the definitions of the attempt that ran out of bytes, and everything derived from the types. */
  rollback(): void {
    for (const id of this.added) this.types.delete(id);
    if (this.added.length > 0) {
      this.derived.clear();
      this.compat = new WeakMap();
    }
  }

  /** Reads type ids, taking in the definitions that precede a value, until the id of the value itself. */
  typeSeq(inInterface: boolean): number {
    for (;;) {
      if (this.s.pos >= this.s.msgEnd) this.s.nextMessage();
      const id = this.s.typeIdValue();
      if (id >= 0) return id;
      this.define(-id);
      if (this.s.pos < this.s.msgEnd) {
        if (!inInterface) this.s.fail('extra data in buffer after a type definition');
        this.s.rawUint();
      }
    }
  }

  private commonType(): string {
    let name = '';
    this.s.struct('CommonType', 1, (f) => {
      if (f === 0) name = this.s.string();
      else this.s.int();
    });
    return name;
  }

  private define(id: number): void {
    if (id < FIRST_USER_ID || this.types.has(id)) this.s.fail(`duplicate or reserved type id ${id} received`);
    if (this.types.size >= this.limits.maxTypes) this.s.fail(`more than ${this.limits.maxTypes} type definitions`);
    let def: WireDef | undefined;
    const set = (d: WireDef) => {
      if (def) this.s.fail(`type ${id} defines more than one kind`);
      def = d;
    };
    this.s.struct('wireType', 6, (f) => {
      let name = '';
      switch (f) {
        case 0: {
          let elem = 0;
          let len = 0;
          this.s.struct('arrayType', 2, (g) => {
            if (g === 0) name = this.commonType();
            else if (g === 1) elem = this.s.typeIdValue();
            else {
              const l = this.s.int();
              if (typeof l === 'bigint' || l < 0) this.s.fail(`bad array length ${l}`);
              len = l;
            }
          });
          set({ kind: 'array', name, elem, len });
          return;
        }
        case 1: {
          let elem = 0;
          this.s.struct('sliceType', 1, (g) => {
            if (g === 0) name = this.commonType();
            else elem = this.s.typeIdValue();
          });
          set({ kind: 'slice', name, elem });
          return;
        }
        case 2: {
          const fields: { name: string; id: number }[] = [];
          this.s.struct('structType', 1, (g) => {
            if (g === 0) {
              name = this.commonType();
              return;
            }
            const n = this.s.count('field list', 1);
            for (let i = 0; i < n; i++) {
              let fname = '';
              let fid = 0;
              this.s.struct('fieldType', 1, (h) => {
                if (h === 0) fname = this.s.string();
                else fid = this.s.typeIdValue();
              });
              fields.push({ name: fname, id: fid });
            }
          });
          set({ kind: 'struct', name, fields });
          return;
        }
        case 3: {
          let key = 0;
          let elem = 0;
          this.s.struct('mapType', 2, (g) => {
            if (g === 0) name = this.commonType();
            else if (g === 1) key = this.s.typeIdValue();
            else elem = this.s.typeIdValue();
          });
          set({ kind: 'map', name, key, elem });
          return;
        }
        default:
          this.s.struct('gobEncoderType', 0, () => {
            name = this.commonType();
          });
          set({ kind: 'opaque', name });
      }
    });
    if (!def) this.s.fail(`type ${id} has an empty definition`);
    this.types.set(id, def);
    this.added.push(id);
  }

  describe(id: number): string {
    const builtin = BUILTIN_NAMES[id];
    if (builtin) return builtin;
    const def = this.types.get(id);
    if (!def) return `undefined type ${id}`;
    return def.name ? `${def.kind} ${JSON.stringify(def.name)}` : def.kind;
  }

  /** The descriptor a wire type implies; shared and possibly cyclic for recursive wire types. */
  derive(id: number): GobType {
    const created: number[] = [];
    try {
      return this.deriveInner(id, created);
    } catch (err) {
      for (const c of created) this.derived.delete(c);
      throw err;
    }
  }

  private deriveInner(id: number, created: number[]): GobType {
    const builtin = BUILTIN_TYPES[id];
    if (builtin) return builtin;
    const cached = this.derived.get(id);
    if (cached) return cached;
    const def = this.types.get(id);
    if (!def) this.s.fail(id === 7 ? 'complex numbers are not supported' : `unknown type id ${id}`);
    // Registered before the children are derived so recursive types terminate.
    const named = def.name ? { name: def.name } : {};
    switch (def.kind) {
      case 'opaque': {
        const type: GobType = { kind: 'bytes' };
        this.derived.set(id, type);
        created.push(id);
        return type;
      }
      case 'slice': {
        const type = { kind: 'slice', ...named, elem: BUILTIN_TYPES[1]! } as { kind: 'slice'; elem: GobType };
        this.derived.set(id, type);
        created.push(id);
        type.elem = this.deriveInner(def.elem, created);
        return type;
      }
      case 'array': {
        const type = { kind: 'array', ...named, elem: BUILTIN_TYPES[1]!, len: def.len } as {
          kind: 'array';
          elem: GobType;
          len: number;
        };
        this.derived.set(id, type);
        created.push(id);
        type.elem = this.deriveInner(def.elem, created);
        return type;
      }
      case 'map': {
        const type = { kind: 'map', ...named, key: BUILTIN_TYPES[1]!, elem: BUILTIN_TYPES[1]! } as {
          kind: 'map';
          key: GobType;
          elem: GobType;
        };
        this.derived.set(id, type);
        created.push(id);
        type.key = this.deriveInner(def.key, created);
        type.elem = this.deriveInner(def.elem, created);
        return type;
      }
      case 'struct': {
        const fields: GobField[] = [];
        const type: GobType = { kind: 'struct', name: def.name, fields };
        this.derived.set(id, type);
        created.push(id);
        for (const f of def.fields) fields.push({ name: f.name, type: this.deriveInner(f.id, created) });
        return type;
      }
    }
  }

  /**
   * Whether a wire type can be decoded into a descriptor, checked up front as Go does when it compiles a decoder:
   * an empty slice of the wrong element type is a mismatch too. Value decoding re-checks every step anyway.
   */
  compatible(id: number, target: GobType, depth = 0): boolean {
    if (depth > this.limits.maxDepth) return true; // recursive descriptors: left to the value-time checks
    switch (target.kind) {
      case 'bool':
      case 'int':
      case 'uint':
      case 'float':
      case 'string':
      case 'interface':
        return id === BUILTIN_IDS[target.kind];
      case 'bytes':
        return id === BUILTIN_IDS.bytes || this.types.get(id)?.kind === 'opaque';
      default:
        break;
    }
    let memo = this.compat.get(target);
    const known = memo?.get(id);
    if (known !== undefined) return known;
    const def = this.types.get(id);
    let ok = false;
    if (def && def.kind === target.kind) {
      switch (def.kind) {
        case 'slice':
          ok = this.compatible(def.elem, (target as { elem: GobType }).elem, depth + 1);
          break;
        case 'array': {
          const arr = target as { elem: GobType; len: number };
          ok = def.len === arr.len && this.compatible(def.elem, arr.elem, depth + 1);
          break;
        }
        case 'map': {
          const m = target as { key: GobType; elem: GobType };
          ok = this.compatible(def.key, m.key, depth + 1) && this.compatible(def.elem, m.elem, depth + 1);
          break;
        }
        case 'struct': {
          const byName = new Map((target as StructType).fields.map((f) => [f.name, f.type]));
          ok = def.fields.every((f) => {
            const type = byName.get(f.name);
            return type === undefined || this.compatible(f.id, type, depth + 1);
          });
          break;
        }
      }
    }
    if (!memo) {
      memo = new Map();
      this.compat.set(target, memo);
    }
    memo.set(id, ok);
    return ok;
  }
}
