// The byte stream under the gob decoder (Go: decoder.go's framing and decode.go's decBuffer): received bytes, the
// message being read, and the primitive encodings within it. A read past what has arrived throws NEED_MORE, which
// the decoder turns into "retry after the next feed"; everything else that is wrong is a GobError.
import { GobError } from './types';
import { normaliseBig, utf8Decoder } from './wire';

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

export const DEFAULT_LIMITS: Readonly<GobLimits> = {
  maxMessageBytes: 16 * 1024 * 1024,
  maxDepth: 64,
  maxElements: 4 * 1024 * 1024,
  maxTypes: 1024,
};

/** Thrown when the buffer ends before the value does; the decoder catches it, it never escapes. */
export const NEED_MORE: unique symbol = Symbol('gob.needMore');

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export class GobStream {
  buf = new Uint8Array(0);
  /** First byte not yet consumed by a completed value. */
  start = 0;
  end = 0;

  // State of the current attempt.
  pos = 0;
  msgEnd = 0;
  streamPos = 0;
  /** Set when the framing itself is broken: the stream cannot be read past this point. */
  framingError = false;
  /** How far the buffer must reach for the read that ran out to succeed. */
  needEnd = 0;

  constructor(private readonly limits: GobLimits) {}

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

  /** Starts an attempt at the first unconsumed byte. */
  begin(): void {
    this.streamPos = this.start;
    this.pos = this.start;
    this.msgEnd = this.start;
    this.framingError = false;
  }

  /** Whether the current message has been read to its end. */
  get atMessageEnd(): boolean {
    return this.pos >= this.msgEnd;
  }

  needMore(end: number): never {
    this.needEnd = end;
    throw NEED_MORE;
  }

  fail(msg: string): never {
    throw new GobError(`gob: ${msg}`);
  }

  // ---- framing -------------------------------------------------------------------------------------------------

  /** Moves to the next message of the stream: reads its length prefix, which must be complete and within limits. */
  nextMessage(): void {
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

  rawUint(): number | bigint {
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
  smallUint(what: string): number {
    const v = this.rawUint();
    if (typeof v === 'bigint') this.fail(`${what} ${v} is too large`);
    return v;
  }

  int(): number | bigint {
    const u = this.rawUint();
    if (typeof u === 'number') return u % 2 === 1 ? -((u - 1) / 2) - 1 : u / 2;
    return normaliseBig(u & 1n ? -(u >> 1n) - 1n : u >> 1n);
  }

  float(): number {
    const u = this.rawUint();
    const view = new DataView(new ArrayBuffer(8));
    view.setBigUint64(0, BigInt(u), false);
    return view.getFloat64(0, true);
  }

  byteSpan(what: string): Uint8Array {
    const n = this.smallUint(`${what} length`);
    if (n > this.limits.maxElements) this.fail(`${what} of ${n} bytes exceeds the limit of ${this.limits.maxElements}`);
    if (n > this.msgEnd - this.pos) this.fail(`${what} length ${n} exceeds the remaining message`);
    const span = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return span;
  }

  string(): string {
    return utf8Decoder.decode(this.byteSpan('string'));
  }

  count(what: string, minBytesEach: number): number {
    const n = this.smallUint(`${what} count`);
    if (n > this.limits.maxElements)
      this.fail(`${what} of ${n} elements exceeds the limit of ${this.limits.maxElements}`);
    if (n * minBytesEach > this.msgEnd - this.pos) this.fail(`${what} count ${n} exceeds the remaining message`);
    return n;
  }

  typeIdValue(): number {
    const v = this.int();
    if (typeof v === 'bigint' || v > 0x7fffffff || v < -0x7fffffff) this.fail(`type id ${v} out of range`);
    return v;
  }

  /** Reads a gob struct encoding field by field; `onField` consumes the value of each present field. */
  struct(what: string, maxField: number, onField: (field: number) => void): void {
    let field = -1;
    for (;;) {
      const delta = this.smallUint('field delta');
      if (delta === 0) return;
      field += delta;
      if (field > maxField) this.fail(`field number ${field} out of range in ${what}`);
      onField(field);
    }
  }

  skipSpan(what: string): void {
    const n = this.smallUint(`${what} length`);
    if (n > this.msgEnd - this.pos) this.fail(`${what} length ${n} exceeds the remaining message`);
    this.pos += n;
  }
}
