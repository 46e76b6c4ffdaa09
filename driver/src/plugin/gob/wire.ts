// Primitive gob encodings shared by the encoder and decoder, plus the fixed type ids of the gob spec.
import { GobError } from './types';

export const BUILTIN_IDS = {
  bool: 1,
  int: 2,
  uint: 3,
  float: 4,
  bytes: 5,
  string: 6,
  complex: 7,
  interface: 8,
} as const;

/** Lowest id a stream may define (encoding/gob firstUserId). */
export const FIRST_USER_ID = 64;

const MAX_U64 = (1n << 64n) - 1n;
const MIN_I64 = -(1n << 63n);
const MAX_I64 = (1n << 63n) - 1n;

/** Growable byte sink; gob messages are built in memory because each needs its byte count as a prefix. */
export class ByteWriter {
  private buf = new Uint8Array(64);
  private len = 0;

  get length(): number {
    return this.len;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  uint(v: number | bigint): void {
    if (typeof v === 'number') {
      if (!Number.isInteger(v) || v < 0) throw new GobError(`gob: cannot encode ${v} as an unsigned integer`);
      if (v < 0x80) {
        this.byte(v);
        return;
      }
      v = BigInt(v);
    }
    if (v < 0n || v > MAX_U64) throw new GobError(`gob: unsigned integer ${v} is outside 0..2^64-1`);
    if (v < 0x80n) {
      this.byte(Number(v));
      return;
    }
    const digits: number[] = [];
    while (v > 0n) {
      digits.push(Number(v & 0xffn));
      v >>= 8n;
    }
    this.byte(256 - digits.length);
    for (let i = digits.length - 1; i >= 0; i--) this.byte(digits[i]!);
  }

  int(v: number | bigint): void {
    if (typeof v === 'number') {
      if (!Number.isInteger(v)) throw new GobError(`gob: cannot encode ${v} as an integer`);
      if (Number.isSafeInteger(v)) {
        // Safe integers double to at most 2^54, still exact in a double.
        this.uint(v >= 0 ? v * 2 : -v * 2 - 1);
        return;
      }
      v = BigInt(v);
    }
    if (v < MIN_I64 || v > MAX_I64) throw new GobError(`gob: integer ${v} is outside the int64 range`);
    this.uint(v >= 0n ? v << 1n : ((-v - 1n) << 1n) | 1n);
  }

  float(f: number): void {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, f, true);
    // Little-endian bytes read as big-endian = the byte-reversed bits gob sends, so small exponents compress.
    this.uint(view.getBigUint64(0, false));
  }

  string(s: string): void {
    this.byteString(utf8.encode(s));
  }

  byteString(b: Uint8Array): void {
    this.uint(b.length);
    this.bytes(b);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export const utf8 = new TextEncoder();
export const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

/** Turns a decoded uint64 into the codec's number-or-bigint shape. */
export function normaliseBig(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
}
