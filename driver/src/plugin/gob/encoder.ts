// gob encoder. Emits the form Go's decoder accepts (reference §5.5): every type definition the value needs, each as
// its own message, before the value message; interface values carry no inline definitions.
import { GobError, type GobInterfaceValue, type GobType, type GobValue } from './types';
import { BUILTIN_IDS, ByteWriter } from './wire';

const MAX_DEPTH = 64;

interface EncodeContext {
  defs: Uint8Array[];
  added: string[];
}

const keyCache = new WeakMap<GobType, string>();

/** Structural identity of a descriptor, so equal descriptors built separately share one type id per stream. */
function typeKey(type: GobType, depth = 0): string {
  if (depth > MAX_DEPTH)
    throw new GobError('gob: type descriptor nests too deeply (recursive descriptors are not supported)');
  const cached = keyCache.get(type);
  if (cached !== undefined) return cached;
  let key: string;
  switch (type.kind) {
    case 'slice':
      key = `[]${typeKey(type.elem, depth + 1)}#${JSON.stringify(type.name ?? '')}`;
      break;
    case 'array':
      key = `[${type.len}]${typeKey(type.elem, depth + 1)}#${JSON.stringify(type.name ?? '')}`;
      break;
    case 'map':
      key = `map[${typeKey(type.key, depth + 1)}]${typeKey(type.elem, depth + 1)}#${JSON.stringify(type.name ?? '')}`;
      break;
    case 'struct':
      key = `struct ${JSON.stringify(type.name)}{${type.fields
        .map((f) => `${JSON.stringify(f.name)} ${typeKey(f.type, depth + 1)}`)
        .join(';')}}`;
      break;
    default:
      key = type.kind;
  }
  keyCache.set(type, key);
  return key;
}

function writeCommon(w: ByteWriter, name: string, id: number): void {
  if (name) {
    w.uint(1);
    w.string(name);
  }
  w.uint(name ? 1 : 2);
  w.int(id);
  w.uint(0);
}

function kindError(type: GobType, value: unknown): GobError {
  const shape =
    value === null
      ? 'null'
      : Array.isArray(value)
        ? 'array'
        : value instanceof Map
          ? 'Map'
          : value instanceof Uint8Array
            ? 'Uint8Array'
            : typeof value;
  return new GobError(`gob: cannot encode a ${shape} value as gob ${type.kind}`);
}

function isPlainObject(v: unknown): v is Record<string, GobValue> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Uint8Array);
}

/** Go omits zero-valued struct fields; non-nil empty maps, arrays and nested structs are still sent. */
function omitted(type: GobType, v: unknown): boolean {
  if (v === undefined || v === null) return true;
  switch (type.kind) {
    case 'bool':
      return v === false;
    case 'int':
    case 'uint':
    case 'float':
      return v === 0 || v === 0n;
    case 'string':
      return v === '';
    case 'bytes':
    case 'slice':
      return (v instanceof Uint8Array || Array.isArray(v)) && v.length === 0;
    default:
      return false;
  }
}

export class GobEncoder {
  private readonly ids = new Map<string, number>();
  private nextId = 65;

  /**
   * Bytes for one top-level value: every type definition not yet sent on this stream, each as its own
   * length-prefixed message, then the value message (structs plain, non-structs as singleton 00+value).
   * On error nothing counts as sent, so the encoder stays usable.
   */
  encode(type: GobType, value: GobValue): Uint8Array {
    const ctx: EncodeContext = { defs: [], added: [] };
    const firstId = this.nextId;
    try {
      const body = new ByteWriter();
      body.int(this.typeId(type, ctx, 0));
      this.writeTop(body, type, value, ctx, 0);
      const out = new ByteWriter();
      for (const def of ctx.defs) out.bytes(def);
      out.uint(body.length);
      out.bytes(body.finish());
      return out.finish();
    } catch (err) {
      for (const key of ctx.added) this.ids.delete(key);
      this.nextId = firstId;
      if (err instanceof GobError) throw err;
      throw new GobError(`gob: encode failed: ${(err as Error).message}`);
    }
  }

  private typeId(type: GobType, ctx: EncodeContext, depth: number): number {
    if (depth > MAX_DEPTH) throw new GobError('gob: type descriptor nests too deeply');
    switch (type.kind) {
      case 'bool':
      case 'int':
      case 'uint':
      case 'float':
      case 'string':
      case 'bytes':
      case 'interface':
        return BUILTIN_IDS[type.kind];
      default:
        break;
    }
    const key = typeKey(type);
    const known = this.ids.get(key);
    if (known !== undefined) return known;
    // Go's order, kept so our bytes match Go's: a definition message precedes those of its component types; a
    // struct takes its id before its fields do, while slices, arrays and maps take theirs after their elements.
    // Go's decoder resolves ids only when a value arrives, so forward references are fine.
    const slot = ctx.defs.length;
    ctx.defs.push(new Uint8Array(0));
    const claim = (): number => {
      const id = this.nextId++;
      this.ids.set(key, id);
      ctx.added.push(key);
      return id;
    };
    const w = new ByteWriter();
    let id: number;
    switch (type.kind) {
      case 'slice': {
        const elem = this.typeId(type.elem, ctx, depth + 1);
        id = claim();
        w.int(-id);
        w.uint(2);
        w.uint(1);
        writeCommon(w, type.name ?? '', id);
        w.uint(1);
        w.int(elem);
        w.uint(0);
        break;
      }
      case 'array': {
        if (!Number.isSafeInteger(type.len) || type.len < 0) throw new GobError(`gob: bad array length ${type.len}`);
        const elem = this.typeId(type.elem, ctx, depth + 1);
        id = claim();
        w.int(-id);
        w.uint(1);
        w.uint(1);
        writeCommon(w, type.name ?? '', id);
        w.uint(1);
        w.int(elem);
        if (type.len !== 0) {
          w.uint(1);
          w.int(type.len);
        }
        w.uint(0);
        break;
      }
      case 'map': {
        const keyId = this.typeId(type.key, ctx, depth + 1);
        const elem = this.typeId(type.elem, ctx, depth + 1);
        id = claim();
        w.int(-id);
        w.uint(4);
        w.uint(1);
        writeCommon(w, type.name ?? '', id);
        w.uint(1);
        w.int(keyId);
        w.uint(1);
        w.int(elem);
        w.uint(0);
        break;
      }
      case 'struct': {
        id = claim();
        const fieldIds = type.fields.map((f) => this.typeId(f.type, ctx, depth + 1));
        w.int(-id);
        w.uint(3);
        w.uint(1);
        writeCommon(w, type.name, id);
        if (type.fields.length > 0) {
          w.uint(1);
          w.uint(type.fields.length);
          type.fields.forEach((f, i) => {
            if (f.name) {
              w.uint(1);
              w.string(f.name);
            }
            w.uint(f.name ? 1 : 2);
            w.int(fieldIds[i]!);
            w.uint(0);
          });
        }
        w.uint(0);
        break;
      }
    }
    w.uint(0);
    const def = new ByteWriter();
    def.uint(w.length);
    def.bytes(w.finish());
    ctx.defs[slot] = def.finish();
    return id;
  }

  private writeTop(w: ByteWriter, type: GobType, value: GobValue, ctx: EncodeContext, depth: number): void {
    if (type.kind === 'struct') {
      this.writeStruct(w, type, value, ctx, depth);
    } else {
      w.uint(0);
      this.writeValue(w, type, value, ctx, depth);
    }
  }

  private writeStruct(
    w: ByteWriter,
    type: Extract<GobType, { kind: 'struct' }>,
    value: GobValue | undefined,
    ctx: EncodeContext,
    depth: number,
  ): void {
    if (value !== null && value !== undefined && !isPlainObject(value)) throw kindError(type, value);
    let last = -1;
    type.fields.forEach((f, i) => {
      const v = value?.[f.name];
      if (omitted(f.type, v)) return;
      w.uint(i - last);
      last = i;
      this.writeValue(w, f.type, v as GobValue, ctx, depth + 1);
    });
    w.uint(0);
  }

  private writeValue(w: ByteWriter, type: GobType, value: GobValue, ctx: EncodeContext, depth: number): void {
    if (depth > MAX_DEPTH) throw new GobError('gob: value nests too deeply');
    switch (type.kind) {
      case 'bool':
        if (typeof value !== 'boolean') throw kindError(type, value);
        w.uint(value ? 1 : 0);
        return;
      case 'int':
        if (typeof value !== 'number' && typeof value !== 'bigint') throw kindError(type, value);
        w.int(value);
        return;
      case 'uint':
        if (typeof value !== 'number' && typeof value !== 'bigint') throw kindError(type, value);
        w.uint(value);
        return;
      case 'float':
        if (typeof value !== 'number') throw kindError(type, value);
        w.float(value);
        return;
      case 'string':
        if (typeof value !== 'string') throw kindError(type, value);
        w.string(value);
        return;
      case 'bytes':
        if (value === null) {
          w.uint(0);
          return;
        }
        if (!(value instanceof Uint8Array)) throw kindError(type, value);
        w.byteString(value);
        return;
      case 'slice':
      case 'array': {
        const items = value === null && type.kind === 'slice' ? [] : value;
        if (!Array.isArray(items)) throw kindError(type, value);
        if (type.kind === 'array' && items.length !== type.len) {
          throw new GobError(`gob: array value has ${items.length} elements, its type has ${type.len}`);
        }
        w.uint(items.length);
        for (const item of items) this.writeValue(w, type.elem, item, ctx, depth + 1);
        return;
      }
      case 'map': {
        const entries = value === null ? new Map<GobValue, GobValue>() : value;
        if (!(entries instanceof Map)) throw kindError(type, value);
        w.uint(entries.size);
        for (const [k, v] of entries) {
          this.writeValue(w, type.key, k, ctx, depth + 1);
          this.writeValue(w, type.elem, v, ctx, depth + 1);
        }
        return;
      }
      case 'struct':
        this.writeStruct(w, type, value, ctx, depth);
        return;
      case 'interface':
        this.writeInterface(w, value, ctx, depth);
        return;
    }
  }

  private writeInterface(w: ByteWriter, value: GobValue | undefined, ctx: EncodeContext, depth: number): void {
    if (value === null || value === undefined) {
      w.uint(0);
      return;
    }
    const iv = value as Partial<GobInterfaceValue>;
    if (!isPlainObject(value) || typeof iv.name !== 'string' || typeof iv.type !== 'object' || iv.type === null) {
      throw new GobError('gob: an interface value must be null or { name, type, value }');
    }
    if (iv.name === '') throw new GobError('gob: an interface value needs a registered (non-empty) type name');
    if (iv.type.kind === 'interface') throw new GobError('gob: an interface cannot hold an interface type');
    const id = this.typeId(iv.type, ctx, depth + 1);
    const inner = new ByteWriter();
    this.writeTop(inner, iv.type, iv.value ?? null, ctx, depth + 1);
    w.string(iv.name);
    w.int(id);
    w.uint(inner.length);
    w.bytes(inner.finish());
  }
}
