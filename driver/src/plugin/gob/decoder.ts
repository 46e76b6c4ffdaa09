// gob decoder over an accumulated byte buffer. Each next()/nextAny() call is one attempt that either completes or,
// when bytes are missing, rolls back everything it did (position and type definitions), so it can be retried after
// the next feed(). Decoding follows Go's decoder (reference §5.4): type definitions may arrive as separate messages
// or inline inside interface values, and a value may continue in the message after an interrupting definition.
import { GobError, type GobField, type GobInterfaceValue, type GobType, type GobValue } from './types';
import { BUILTIN_IDS, FIRST_USER_ID, normaliseBig, utf8Decoder } from './wire';

export { GobError } from './types';

export interface GobLimits {
  /** Largest accepted message (length prefix); larger is a fatal stream error. Default 16 MiB. */
  maxMessageBytes: number;
  /** Deepest nesting of composite values, interfaces included. Default 64. */
  maxDepth: number;
  /** Most elements per slice/map/string, and most zero-filled elements materialised per top-level value. */
  maxElements: number;
  /** Most type definitions per stream. Default 1024. */
  maxTypes: number;
}

export interface GobDecoderOptions {
  /**
   * The concrete types interface values may hold, by registered name (Go's gob.Register). When given, an interface
   * value is decoded into its registered type, as Go does, and an unregistered name is an error; the wire type is
   * then never materialised, so a peer cannot make the decoder build values of types only it knows. Without it,
   * interface values are decoded by their wire type (trusted streams, diagnostics).
   */
  interfaces?: ReadonlyMap<string, GobType>;
}

export const DEFAULT_LIMITS: Readonly<GobLimits> = {
  maxMessageBytes: 16 * 1024 * 1024,
  maxDepth: 64,
  maxElements: 4 * 1024 * 1024,
  maxTypes: 1024,
};

type WireDef =
  | { kind: 'slice'; name: string; elem: number }
  | { kind: 'array'; name: string; elem: number; len: number }
  | { kind: 'map'; name: string; key: number; elem: number }
  | { kind: 'struct'; name: string; fields: { name: string; id: number }[] }
  // GobEncoder / BinaryMarshaler / TextMarshaler types: the value is an opaque byte string.
  | { kind: 'opaque'; name: string };

/** Thrown internally when the buffer ends before the value does; never escapes the decoder. */
const NEED_MORE: unique symbol = Symbol('gob.needMore');

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

const MAX_NAME_BYTES = 1024;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

type StructType = Extract<GobType, { kind: 'struct' }>;
type StructDef = Extract<WireDef, { kind: 'struct' }>;

function setField(obj: Record<string, GobValue>, name: string, v: GobValue): void {
  if (name === '__proto__') Object.defineProperty(obj, name, { value: v, enumerable: true, writable: true });
  else obj[name] = v;
}

export class GobDecoder {
  private readonly limits: GobLimits;
  private readonly registry: ReadonlyMap<string, GobType> | undefined;
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;
  private readonly types = new Map<number, WireDef>();
  private readonly derived = new Map<number, GobType>();
  private fatal: GobError | undefined;
  private readonly plans = new WeakMap<StructDef, WeakMap<StructType, (GobField | undefined)[]>>();
  private compat = new WeakMap<GobType, Map<number, boolean>>();

  // State of the current attempt.
  private pos = 0;
  private msgEnd = 0;
  private streamPos = 0;
  private added: number[] = [];
  private zeroBudget = 0;
  private framingError = false;
  private needEnd = 0;
  /** How many buffered bytes the last attempt ran out at; retrying before that many are buffered is pointless. */
  private needBuffered = 0;

  constructor(limits?: Partial<GobLimits>, options: GobDecoderOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.registry = options.interfaces;
  }

  /** True once a framing error has made the stream unusable; every later call throws it again. */
  get broken(): boolean {
    return this.fatal !== undefined;
  }

  /** Bytes received but not yet consumed by a completed value. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** Appends received bytes. */
  feed(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.end + chunk.length > this.buf.length) {
      const live = this.end - this.start;
      if (live + chunk.length <= this.buf.length && this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const next = new Uint8Array(Math.max(this.buf.length * 2, live + chunk.length, 256));
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.start = 0;
      this.end = live;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /**
   * Next top-level value decoded as `type` (struct fields matched by name, like Go; incompatible wire types →
   * GobError), or undefined when more bytes are needed — then all state, including type definitions read during
   * the attempt, is rolled back. After a GobError the messages read so far stay consumed (as in Go), so a
   * type mismatch in one body does not desynchronise the stream; framing errors are fatal and repeat.
   */
  next(type: GobType): { value: GobValue } | undefined {
    return this.attempt(() => {
      const id = this.typeSeq(false);
      return { value: this.decodeTop(id, type, 0) };
    });
  }

  /**
   * Consumes the next top-level value without building it: bytes are walked, nothing is allocated per element, and
   * every element costs at least one byte of the message, so the work is bounded by the bytes received.
   * Returns false when more bytes are needed (with the same rollback as next()).
   */
  skipNext(): boolean {
    return (
      this.attempt(() => {
        this.skipTop(this.typeSeq(false), 0);
        return true;
      }) ?? false
    );
  }

  /** Next top-level value decoded by its wire type alone (diagnostics and fuzzing; it materialises every field). */
  nextAny(): { value: GobValue; type: GobType } | undefined {
    return this.attempt(() => {
      const id = this.typeSeq(false);
      const type = this.derive(id);
      return { value: this.decodeTop(id, type, 0), type };
    });
  }

  private attempt<T>(fn: () => T): T | undefined {
    if (this.fatal) throw this.fatal;
    // The bytes before the incomplete message are unchanged, so a retry would stop at the same place: O(1) instead
    // of re-reading everything buffered for every chunk a slow (or hostile) peer trickles in.
    if (this.end - this.start < this.needBuffered) return undefined;
    this.needBuffered = 0;
    this.streamPos = this.start;
    this.pos = this.start;
    this.msgEnd = this.start;
    this.added = [];
    this.zeroBudget = this.limits.maxElements;
    this.framingError = false;
    try {
      const result = fn();
      this.start = this.streamPos;
      return result;
    } catch (err) {
      if (err === NEED_MORE) {
        this.needBuffered = this.needEnd - this.start;
        for (const id of this.added) this.types.delete(id);
        if (this.added.length > 0) {
          this.derived.clear();
          this.compat = new WeakMap();
        }
        return undefined;
      }
      // Anything but a GobError is a decoder bug; it is still surfaced as a (fatal) GobError, keeping the cause.
      const gobErr =
        err instanceof GobError
          ? err
          : new GobError(`gob: internal decoder error: ${(err as Error)?.message ?? String(err)}`, { cause: err });
      if (this.framingError || !(err instanceof GobError)) this.fatal = gobErr;
      else this.start = this.streamPos;
      throw gobErr;
    } finally {
      if (this.start === this.end) {
        this.start = 0;
        this.end = 0;
      }
    }
  }

  private needMore(end: number): never {
    this.needEnd = end;
    throw NEED_MORE;
  }

  private fail(msg: string): never {
    throw new GobError(`gob: ${msg}`);
  }

  // ---- framing -------------------------------------------------------------------------------------------------

  private nextMessage(): void {
    let p = this.streamPos;
    if (p >= this.end) this.needMore(p + 1);
    const b = this.buf[p++]!;
    let n: number;
    if (b < 0x80) {
      n = b;
    } else {
      const width = 256 - b;
      if (width > 8) {
        this.framingError = true;
        this.fail(`corrupt message length prefix (byte 0x${b.toString(16)})`);
      }
      if (p + width > this.end) this.needMore(p + width);
      n = 0;
      for (let i = 0; i < width; i++) {
        n = n * 256 + this.buf[p++]!;
      }
    }
    if (n > this.limits.maxMessageBytes) {
      this.framingError = true;
      this.fail(`message of ${n} bytes exceeds the limit of ${this.limits.maxMessageBytes}`);
    }
    if (p + n > this.end) this.needMore(p + n);
    this.pos = p;
    this.msgEnd = p + n;
    this.streamPos = p + n;
    if (n === 0) this.fail('empty message');
  }

  // ---- primitives within a message -----------------------------------------------------------------------------

  private rawUint(): number | bigint {
    if (this.pos >= this.msgEnd) this.fail('unexpected end of message');
    const b = this.buf[this.pos++]!;
    if (b < 0x80) return b;
    const width = 256 - b;
    if (width > 8) this.fail(`invalid uint encoding (byte 0x${b.toString(16)})`);
    if (this.pos + width > this.msgEnd) this.fail('unexpected end of message in uint');
    if (width <= 6) {
      let v = 0;
      for (let i = 0; i < width; i++) v = v * 256 + this.buf[this.pos++]!;
      return v;
    }
    let v = 0n;
    for (let i = 0; i < width; i++) v = (v << 8n) | BigInt(this.buf[this.pos++]!);
    return v <= MAX_SAFE ? Number(v) : v;
  }

  /** A uint used as a count, delta or length: must be a safe number. */
  private smallUint(what: string): number {
    const v = this.rawUint();
    if (typeof v === 'bigint') this.fail(`${what} ${v} is too large`);
    return v;
  }

  private int(): number | bigint {
    const u = this.rawUint();
    if (typeof u === 'number') return u % 2 === 1 ? -((u - 1) / 2) - 1 : u / 2;
    return normaliseBig(u & 1n ? -(u >> 1n) - 1n : u >> 1n);
  }

  private float(): number {
    const u = this.rawUint();
    const view = new DataView(new ArrayBuffer(8));
    view.setBigUint64(0, BigInt(u), false);
    return view.getFloat64(0, true);
  }

  private byteSpan(what: string): Uint8Array {
    const n = this.smallUint(`${what} length`);
    if (n > this.limits.maxElements) this.fail(`${what} of ${n} bytes exceeds the limit of ${this.limits.maxElements}`);
    if (n > this.msgEnd - this.pos) this.fail(`${what} length ${n} exceeds the remaining message`);
    const span = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return span;
  }

  private string(): string {
    return utf8Decoder.decode(this.byteSpan('string'));
  }

  private count(what: string, minBytesEach: number): number {
    const n = this.smallUint(`${what} count`);
    if (n > this.limits.maxElements)
      this.fail(`${what} of ${n} elements exceeds the limit of ${this.limits.maxElements}`);
    if (n * minBytesEach > this.msgEnd - this.pos) this.fail(`${what} count ${n} exceeds the remaining message`);
    return n;
  }

  private typeIdValue(): number {
    const v = this.int();
    if (typeof v === 'bigint' || v > 0x7fffffff || v < -0x7fffffff) this.fail(`type id ${v} out of range`);
    return v;
  }

  // ---- type definitions ----------------------------------------------------------------------------------------

  private typeSeq(inInterface: boolean): number {
    for (;;) {
      if (this.pos >= this.msgEnd) this.nextMessage();
      const id = this.typeIdValue();
      if (id >= 0) return id;
      this.defineType(-id);
      if (this.pos < this.msgEnd) {
        if (!inInterface) this.fail('extra data in buffer after a type definition');
        this.rawUint();
      }
    }
  }

  /** Reads a gob struct encoding field by field; `onField` consumes the value of each present field. */
  private struct(what: string, maxField: number, onField: (field: number) => void): void {
    let field = -1;
    for (;;) {
      const delta = this.smallUint('field delta');
      if (delta === 0) return;
      field += delta;
      if (field > maxField) this.fail(`field number ${field} out of range in ${what}`);
      onField(field);
    }
  }

  private commonType(): string {
    let name = '';
    this.struct('CommonType', 1, (f) => {
      if (f === 0) name = this.string();
      else this.int();
    });
    return name;
  }

  private defineType(id: number): void {
    if (id < FIRST_USER_ID || this.types.has(id)) this.fail(`duplicate or reserved type id ${id} received`);
    if (this.types.size >= this.limits.maxTypes) this.fail(`more than ${this.limits.maxTypes} type definitions`);
    let def: WireDef | undefined;
    const set = (d: WireDef) => {
      if (def) this.fail(`type ${id} defines more than one kind`);
      def = d;
    };
    this.struct('wireType', 6, (f) => {
      let name = '';
      switch (f) {
        case 0: {
          let elem = 0;
          let len = 0;
          this.struct('arrayType', 2, (g) => {
            if (g === 0) name = this.commonType();
            else if (g === 1) elem = this.typeIdValue();
            else {
              const l = this.int();
              if (typeof l === 'bigint' || l < 0) this.fail(`bad array length ${l}`);
              len = l;
            }
          });
          set({ kind: 'array', name, elem, len });
          return;
        }
        case 1: {
          let elem = 0;
          this.struct('sliceType', 1, (g) => {
            if (g === 0) name = this.commonType();
            else elem = this.typeIdValue();
          });
          set({ kind: 'slice', name, elem });
          return;
        }
        case 2: {
          const fields: { name: string; id: number }[] = [];
          this.struct('structType', 1, (g) => {
            if (g === 0) {
              name = this.commonType();
              return;
            }
            const n = this.count('field list', 1);
            for (let i = 0; i < n; i++) {
              let fname = '';
              let fid = 0;
              this.struct('fieldType', 1, (h) => {
                if (h === 0) fname = this.string();
                else fid = this.typeIdValue();
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
          this.struct('mapType', 2, (g) => {
            if (g === 0) name = this.commonType();
            else if (g === 1) key = this.typeIdValue();
            else elem = this.typeIdValue();
          });
          set({ kind: 'map', name, key, elem });
          return;
        }
        default:
          this.struct('gobEncoderType', 0, () => {
            name = this.commonType();
          });
          set({ kind: 'opaque', name });
      }
    });
    if (!def) this.fail(`type ${id} has an empty definition`);
    this.types.set(id, def);
    this.added.push(id);
  }

  private describe(id: number): string {
    const builtin = BUILTIN_NAMES[id];
    if (builtin) return builtin;
    const def = this.types.get(id);
    if (!def) return `undefined type ${id}`;
    return def.name ? `${def.kind} ${JSON.stringify(def.name)}` : def.kind;
  }

  /** The descriptor a wire type implies; shared and possibly cyclic for recursive wire types. */
  private derive(id: number): GobType {
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
    if (!def) this.fail(id === 7 ? 'complex numbers are not supported' : `unknown type id ${id}`);
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

  // ---- values --------------------------------------------------------------------------------------------------

  private mismatch(id: number, target: GobType): never {
    const want = target.kind === 'struct' ? `struct ${JSON.stringify(target.name)}` : target.kind;
    return this.fail(`type mismatch: received ${this.describe(id)}, expected ${want}`);
  }

  /**
   * Whether a wire type can be decoded into a descriptor, checked up front as Go does when it compiles a decoder:
   * an empty slice of the wrong element type is a mismatch too. Value decoding re-checks every step anyway.
   */
  private compatible(id: number, target: GobType, depth = 0): boolean {
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

  private decodeTop(id: number, target: GobType, depth: number): GobValue {
    if (!this.compatible(id, target)) this.mismatch(id, target);
    const def = this.types.get(id);
    if (def?.kind === 'struct') {
      if (target.kind !== 'struct') this.mismatch(id, target);
      return this.decodeStruct(def, target, depth);
    }
    if (this.smallUint('singleton delta') !== 0) this.fail('corrupt data: non-zero delta for a singleton value');
    return this.decodeValue(id, target, depth);
  }

  private decodeValue(id: number, target: GobType, depth: number): GobValue {
    if (depth > this.limits.maxDepth) this.fail(`value nests deeper than ${this.limits.maxDepth}`);
    switch (target.kind) {
      case 'bool':
        if (id !== BUILTIN_IDS.bool) this.mismatch(id, target);
        return this.rawUint() !== 0;
      case 'int':
        if (id !== BUILTIN_IDS.int) this.mismatch(id, target);
        return this.int();
      case 'uint':
        if (id !== BUILTIN_IDS.uint) this.mismatch(id, target);
        return this.rawUint();
      case 'float':
        if (id !== BUILTIN_IDS.float) this.mismatch(id, target);
        return this.float();
      case 'string':
        if (id !== BUILTIN_IDS.string) this.mismatch(id, target);
        return this.string();
      case 'bytes':
        if (id !== BUILTIN_IDS.bytes && this.types.get(id)?.kind !== 'opaque') this.mismatch(id, target);
        return this.byteSpan('byte slice').slice();
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
        const n = this.count('slice', 1);
        const out: GobValue[] = [];
        for (let i = 0; i < n; i++) out.push(this.decodeValue(def.elem, elemType, depth + 1));
        return out;
      }
      case 'array': {
        const arr = target as { elem: GobType; len: number };
        if (def.len !== arr.len) this.fail(`array length mismatch: received [${def.len}], expected [${arr.len}]`);
        const n = this.count('array', 1);
        if (n !== def.len) this.fail(`array of type [${def.len}] holds ${n} elements`);
        const out: GobValue[] = [];
        for (let i = 0; i < n; i++) out.push(this.decodeValue(def.elem, arr.elem, depth + 1));
        return out;
      }
      case 'map': {
        const m = target as { key: GobType; elem: GobType };
        const n = this.count('map', 2);
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
        this.fail(
          `type mismatch: no fields matched decoding struct ${JSON.stringify(def.name)} into ${JSON.stringify(target.name)}`,
        );
      }
      perTarget.set(target, plan);
    }
    return plan;
  }

  private decodeStruct(def: StructDef, target: StructType, depth: number): GobValue {
    if (depth > this.limits.maxDepth) this.fail(`value nests deeper than ${this.limits.maxDepth}`);
    const plan = this.plan(def, target);
    const out: Record<string, GobValue> = {};
    const seen = new Set<string>();
    let field = -1;
    for (;;) {
      const delta = this.smallUint('field delta');
      if (delta === 0) break;
      field += delta;
      const wf = def.fields[field];
      if (!wf) this.fail(`field number ${field} out of range for struct ${JSON.stringify(def.name)}`);
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
    const nameBytes = this.byteSpan('interface type name');
    if (nameBytes.length === 0) return null;
    if (nameBytes.length > MAX_NAME_BYTES) this.fail(`interface type name of ${nameBytes.length} bytes is too long`);
    const name = utf8Decoder.decode(nameBytes);
    const registered = this.registry?.get(name);
    if (this.registry && !registered) this.fail(`name not registered for interface: ${JSON.stringify(name)}`);
    const id = this.typeSeq(true);
    this.rawUint(); // byte count of the value; Go ignores it too
    const type = registered ?? this.derive(id);
    if (type.kind === 'interface') this.fail(`interface value ${JSON.stringify(name)} holds an interface type`);
    return { name, type, value: this.decodeTop(id, type, depth + 1) };
  }

  // ---- skipping ------------------------------------------------------------------------------------------------
  // Fields the target does not have (and bodies nobody wants) are walked, never built: a wire type is the sender's
  // choice, so building it would let a few bytes name, say, a [4000000]bool and cost that much. No zero values are
  // made either; lengths are checked against the bytes left in the message before any loop.

  private skipTop(id: number, depth: number): void {
    const def = this.types.get(id);
    if (def?.kind === 'struct') {
      this.skipStruct(def, depth);
      return;
    }
    if (this.smallUint('singleton delta') !== 0) this.fail('corrupt data: non-zero delta for a singleton value');
    this.skipValue(id, depth);
  }

  private skipValue(id: number, depth: number): void {
    if (depth > this.limits.maxDepth) this.fail(`value nests deeper than ${this.limits.maxDepth}`);
    switch (id) {
      case BUILTIN_IDS.bool:
      case BUILTIN_IDS.int:
      case BUILTIN_IDS.uint:
      case BUILTIN_IDS.float:
        this.rawUint();
        return;
      case BUILTIN_IDS.complex:
        this.rawUint();
        this.rawUint();
        return;
      case BUILTIN_IDS.bytes:
      case BUILTIN_IDS.string:
        this.skipSpan('byte string');
        return;
      case BUILTIN_IDS.interface:
        this.skipInterface(depth);
        return;
      default:
        break;
    }
    const def = this.types.get(id);
    if (!def) this.fail(`unknown type id ${id}`);
    switch (def.kind) {
      case 'opaque':
        this.skipSpan('encoded value');
        return;
      case 'slice': {
        const n = this.count('slice', 1);
        for (let i = 0; i < n; i++) this.skipValue(def.elem, depth + 1);
        return;
      }
      case 'array': {
        const n = this.count('array', 1);
        if (n !== def.len) this.fail(`array of type [${def.len}] holds ${n} elements`);
        for (let i = 0; i < n; i++) this.skipValue(def.elem, depth + 1);
        return;
      }
      case 'map': {
        const n = this.count('map', 2);
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

  private skipSpan(what: string): void {
    const n = this.smallUint(`${what} length`);
    if (n > this.msgEnd - this.pos) this.fail(`${what} length ${n} exceeds the remaining message`);
    this.pos += n;
  }

  private skipStruct(def: StructDef, depth: number): void {
    if (depth > this.limits.maxDepth) this.fail(`value nests deeper than ${this.limits.maxDepth}`);
    let field = -1;
    for (;;) {
      const delta = this.smallUint('field delta');
      if (delta === 0) return;
      field += delta;
      const wf = def.fields[field];
      if (!wf) this.fail(`field number ${field} out of range for struct ${JSON.stringify(def.name)}`);
      this.skipValue(wf.id, depth + 1);
    }
  }

  private skipInterface(depth: number): void {
    const nameLength = this.smallUint('interface type name length');
    if (nameLength === 0) return;
    if (nameLength > MAX_NAME_BYTES) this.fail(`interface type name of ${nameLength} bytes is too long`);
    if (nameLength > this.msgEnd - this.pos) this.fail('interface type name exceeds the remaining message');
    this.pos += nameLength;
    const id = this.typeSeq(true);
    this.rawUint(); // byte count of the value
    if (id === BUILTIN_IDS.interface) this.fail('an interface value holds an interface type');
    this.skipTop(id, depth + 1);
  }

  private zero(type: GobType, depth: number): GobValue {
    if (depth > this.limits.maxDepth) this.fail(`zero value nests deeper than ${this.limits.maxDepth}`);
    if (--this.zeroBudget < 0) this.fail('zero values exceed the element limit');
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
        if (type.len > this.zeroBudget) this.fail('zero values exceed the element limit');
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
