// The value engine of the gob decoder (Go: decode.go): decodes a value of a wire type into a descriptor, field by
// field and element by element, skips what the descriptor does not want without building it, and makes the zero
// values of fields that were not sent.
import type { GobLimits, GobStream } from './stream';
import type { GobField, GobInterfaceValue, GobType, GobValue } from './types';
import { BUILTIN_IDS, utf8Decoder } from './wire';
import type { StructDef, WireTypes } from './wire-types';

type StructType = Extract<GobType, { kind: 'struct' }>;

const MAX_NAME_BYTES = 1024;

function setField(obj: Record<string, GobValue>, name: string, v: GobValue): void {
  if (name === '__proto__') Object.defineProperty(obj, name, { value: v, enumerable: true, writable: true });
  else obj[name] = v;
}

export class ValueDecoder {
  private readonly plans = new WeakMap<StructDef, WeakMap<StructType, (GobField | undefined)[]>>();
  /** Zero-filled elements the current top-level value may still materialise. */
  zeroBudget = 0;

  constructor(
    private readonly s: GobStream,
    private readonly types: WireTypes,
    private readonly limits: GobLimits,
    private readonly registry: ReadonlyMap<string, GobType> | undefined,
  ) {}

  private mismatch(id: number, target: GobType): never {
    const want = target.kind === 'struct' ? `struct ${JSON.stringify(target.name)}` : target.kind;
    return this.s.fail(`type mismatch: received ${this.types.describe(id)}, expected ${want}`);
  }

  /** A top-level value (or an interface's): a struct directly, anything else as a singleton. */
  decodeTop(id: number, target: GobType, depth: number): GobValue {
    if (!this.types.compatible(id, target)) this.mismatch(id, target);
    const def = this.types.get(id);
    if (def?.kind === 'struct') {
      if (target.kind !== 'struct') this.mismatch(id, target);
      return this.decodeStruct(def, target, depth);
    }
    if (this.s.smallUint('singleton delta') !== 0) this.s.fail('corrupt data: non-zero delta for a singleton value');
    return this.decodeValue(id, target, depth);
  }

  private decodeValue(id: number, target: GobType, depth: number): GobValue {
    if (depth > this.limits.maxDepth) this.s.fail(`value nests deeper than ${this.limits.maxDepth}`);
    switch (target.kind) {
      case 'bool':
        if (id !== BUILTIN_IDS.bool) this.mismatch(id, target);
        return this.s.rawUint() !== 0;
      case 'int':
        if (id !== BUILTIN_IDS.int) this.mismatch(id, target);
        return this.s.int();
      case 'uint':
        if (id !== BUILTIN_IDS.uint) this.mismatch(id, target);
        return this.s.rawUint();
      case 'float':
        if (id !== BUILTIN_IDS.float) this.mismatch(id, target);
        return this.s.float();
      case 'string':
        if (id !== BUILTIN_IDS.string) this.mismatch(id, target);
        return this.s.string();
      case 'bytes':
        if (id !== BUILTIN_IDS.bytes && this.types.get(id)?.kind !== 'opaque') this.mismatch(id, target);
        return this.s.byteSpan('byte slice').slice();
      case 'interface':
        if (id !== BUILTIN_IDS.interface) this.mismatch(id, target);
        return this.decodeInterface(depth);
      default:
        break;
    }
    const def = this.types.get(id);
    if (!def || def.kind !== target.kind) this.mismatch(id, target);
    switch (def.kind) {
      case 'slice': {
        const elemType = (target as { elem: GobType }).elem;
        const n = this.s.count('slice', 1);
        const out: GobValue[] = [];
        for (let i = 0; i < n; i++) out.push(this.decodeValue(def.elem, elemType, depth + 1));
        return out;
      }
      case 'array': {
        const arr = target as { elem: GobType; len: number };
        if (def.len !== arr.len) this.s.fail(`array length mismatch: received [${def.len}], expected [${arr.len}]`);
        const n = this.s.count('array', 1);
        if (n !== def.len) this.s.fail(`array of type [${def.len}] holds ${n} elements`);
        const out: GobValue[] = [];
        for (let i = 0; i < n; i++) out.push(this.decodeValue(def.elem, arr.elem, depth + 1));
        return out;
      }
      case 'map': {
        const m = target as { key: GobType; elem: GobType };
        const n = this.s.count('map', 2);
        const out = new Map<GobValue, GobValue>();
        for (let i = 0; i < n; i++) {
          const k = this.decodeValue(def.key, m.key, depth + 1);
          out.set(k, this.decodeValue(def.elem, m.elem, depth + 1));
        }
        return out;
      }
      case 'struct':
        return this.decodeStruct(def, target as StructType, depth);
      default:
        return this.mismatch(id, target);
    }
  }

  /** Which target field each wire field feeds; computed once per (wire type, descriptor) pair, as a hostile type
   * with many fields must not cost that many steps for every value. */
  private plan(def: StructDef, target: StructType): (GobField | undefined)[] {
    let perTarget = this.plans.get(def);
    if (!perTarget) {
      perTarget = new WeakMap();
      this.plans.set(def, perTarget);
    }
    let plan = perTarget.get(target);
    if (!plan) {
      const byName = new Map<string, GobField>();
      for (const f of target.fields) byName.set(f.name, f);
      plan = def.fields.map((f) => byName.get(f.name));
      if (target.fields.length > 0 && def.fields.length > 0 && !plan.some((f) => f !== undefined)) {
        this.s.fail(
          `type mismatch: no fields matched decoding struct ${JSON.stringify(def.name)} into ${JSON.stringify(target.name)}`,
        );
      }
      perTarget.set(target, plan);
    }
    return plan;
  }

  private decodeStruct(def: StructDef, target: StructType, depth: number): GobValue {
    if (depth > this.limits.maxDepth) this.s.fail(`value nests deeper than ${this.limits.maxDepth}`);
    const plan = this.plan(def, target);
    const out: Record<string, GobValue> = {};
    const seen = new Set<string>();
    let field = -1;
    for (;;) {
      const delta = this.s.smallUint('field delta');
      if (delta === 0) break;
      field += delta;
      const wf = def.fields[field];
      if (!wf) this.s.fail(`field number ${field} out of range for struct ${JSON.stringify(def.name)}`);
      const tf = plan[field];
      if (tf) {
        setField(out, tf.name, this.decodeValue(wf.id, tf.type, depth + 1));
        seen.add(tf.name);
      } else {
        this.skipValue(wf.id, depth + 1);
      }
    }
    for (const f of target.fields) if (!seen.has(f.name)) setField(out, f.name, this.zero(f.type, depth + 1));
    return out;
  }

  private decodeInterface(depth: number): GobInterfaceValue | null {
    const nameBytes = this.s.byteSpan('interface type name');
    if (nameBytes.length === 0) return null;
    if (nameBytes.length > MAX_NAME_BYTES) this.s.fail(`interface type name of ${nameBytes.length} bytes is too long`);
    const name = utf8Decoder.decode(nameBytes);
    const registered = this.registry?.get(name);
    if (this.registry && !registered) this.s.fail(`name not registered for interface: ${JSON.stringify(name)}`);
    const id = this.types.typeSeq(true);
    this.s.rawUint(); // byte count of the value; Go ignores it too
    const type = registered ?? this.types.derive(id);
    if (type.kind === 'interface') this.s.fail(`interface value ${JSON.stringify(name)} holds an interface type`);
    return { name, type, value: this.decodeTop(id, type, depth + 1) };
  }

  // ---- skipping ------------------------------------------------------------------------------------------------
  // Fields the target does not have (and bodies nobody wants) are walked, never built: a wire type is the sender's
  // choice, so building it would let a few bytes name, say, a [4000000]bool and cost that much. No zero values are
  // made either; lengths are checked against the bytes left in the message before any loop.

  skipTop(id: number, depth: number): void {
    const def = this.types.get(id);
    if (def?.kind === 'struct') {
      this.skipStruct(def, depth);
      return;
    }
    if (this.s.smallUint('singleton delta') !== 0) this.s.fail('corrupt data: non-zero delta for a singleton value');
    this.skipValue(id, depth);
  }

  private skipValue(id: number, depth: number): void {
    if (depth > this.limits.maxDepth) this.s.fail(`value nests deeper than ${this.limits.maxDepth}`);
    switch (id) {
      case BUILTIN_IDS.bool:
      case BUILTIN_IDS.int:
      case BUILTIN_IDS.uint:
      case BUILTIN_IDS.float:
        this.s.rawUint();
        return;
      case BUILTIN_IDS.complex:
        this.s.rawUint();
        this.s.rawUint();
        return;
      case BUILTIN_IDS.bytes:
      case BUILTIN_IDS.string:
        this.s.skipSpan('byte string');
        return;
      case BUILTIN_IDS.interface:
        this.skipInterface(depth);
        return;
      default:
        break;
    }
    const def = this.types.get(id);
    if (!def) this.s.fail(`unknown type id ${id}`);
    switch (def.kind) {
      case 'opaque':
        this.s.skipSpan('encoded value');
        return;
      case 'slice': {
        const n = this.s.count('slice', 1);
        for (let i = 0; i < n; i++) this.skipValue(def.elem, depth + 1);
        return;
      }
      case 'array': {
        const n = this.s.count('array', 1);
        if (n !== def.len) this.s.fail(`array of type [${def.len}] holds ${n} elements`);
        for (let i = 0; i < n; i++) this.skipValue(def.elem, depth + 1);
        return;
      }
      case 'map': {
        const n = this.s.count('map', 2);
        for (let i = 0; i < n; i++) {
          this.skipValue(def.key, depth + 1);
          this.skipValue(def.elem, depth + 1);
        }
        return;
      }
      case 'struct':
        this.skipStruct(def, depth + 1);
        return;
    }
  }

  private skipStruct(def: StructDef, depth: number): void {
    if (depth > this.limits.maxDepth) this.s.fail(`value nests deeper than ${this.limits.maxDepth}`);
    let field = -1;
    for (;;) {
      const delta = this.s.smallUint('field delta');
      if (delta === 0) return;
      field += delta;
      const wf = def.fields[field];
      if (!wf) this.s.fail(`field number ${field} out of range for struct ${JSON.stringify(def.name)}`);
      this.skipValue(wf.id, depth + 1);
    }
  }

  private skipInterface(depth: number): void {
    const nameLength = this.s.smallUint('interface type name length');
    if (nameLength === 0) return;
    if (nameLength > MAX_NAME_BYTES) this.s.fail(`interface type name of ${nameLength} bytes is too long`);
    if (nameLength > this.s.msgEnd - this.s.pos) this.s.fail('interface type name exceeds the remaining message');
    this.s.pos += nameLength;
    const id = this.types.typeSeq(true);
    this.s.rawUint(); // byte count of the value
    if (id === BUILTIN_IDS.interface) this.s.fail('an interface value holds an interface type');
    this.skipTop(id, depth + 1);
  }

  private zero(type: GobType, depth: number): GobValue {
    if (depth > this.limits.maxDepth) this.s.fail(`zero value nests deeper than ${this.limits.maxDepth}`);
    if (--this.zeroBudget < 0) this.s.fail('zero values exceed the element limit');
    switch (type.kind) {
      case 'bool':
        return false;
      case 'int':
      case 'uint':
      case 'float':
        return 0;
      case 'string':
        return '';
      case 'bytes':
        return new Uint8Array(0);
      case 'interface':
        return null;
      case 'slice':
        return [];
      case 'map':
        return new Map();
      case 'array': {
        if (type.len > this.zeroBudget) this.s.fail('zero values exceed the element limit');
        const out: GobValue[] = [];
        for (let i = 0; i < type.len; i++) out.push(this.zero(type.elem, depth + 1));
        return out;
      }
      case 'struct': {
        const out: Record<string, GobValue> = {};
        for (const f of type.fields) setField(out, f.name, this.zero(f.type, depth + 1));
        return out;
      }
    }
  }
}
