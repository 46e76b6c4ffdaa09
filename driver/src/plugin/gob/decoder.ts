// gob decoder over an accumulated byte buffer. Each next()/nextAny() call is one attempt that either completes or,
// when bytes are missing, rolls back everything it did (position and type definitions), so it can be retried after
// the next feed(). Decoding follows Go's decoder (reference §5.4): type definitions may arrive as separate messages
// or inline inside interface values, and a value may continue in the message after an interrupting definition.
// As in Go's encoding/gob, the parts live apart: the byte stream (stream.ts), the wire types (wire-types.ts) and the
// value engine (decode.ts); this class holds them together and owns the attempt.
import { ValueDecoder } from './decode';
import { DEFAULT_LIMITS, type GobLimits, GobStream, NEED_MORE } from './stream';
import { GobError, type GobType, type GobValue } from './types';
import { WireTypes } from './wire-types';

export { GobError } from './types';

export interface GobDecoderOptions {
  /**
   * The concrete types interface values may hold, by registered name (Go's gob.Register). When given, an interface
   * value is decoded into its registered type, as Go does, and an unregistered name is an error; the wire type is
   * then never materialised, so a peer cannot make the decoder build values of types only it knows. Without it,
   * interface values are decoded by their wire type (trusted streams, diagnostics).
   */
  interfaces?: ReadonlyMap<string, GobType>;
}

export class GobDecoder {
  private readonly limits: GobLimits;
  private readonly stream: GobStream;
  private readonly types: WireTypes;
  private readonly values: ValueDecoder;
  private fatal: GobError | undefined;
  /** How many buffered bytes the last attempt ran out at; retrying before that many are buffered is pointless. */
  private needBuffered = 0;

  constructor(limits?: Partial<GobLimits>, options: GobDecoderOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.stream = new GobStream(this.limits);
    this.types = new WireTypes(this.stream, this.limits);
    this.values = new ValueDecoder(this.stream, this.types, this.limits, options.interfaces);
  }

  /** True once a framing error has made the stream unusable; every later call throws it again. */
  get broken(): boolean {
    return this.fatal !== undefined;
  }

  /** Bytes received but not yet consumed by a completed value. */
  get buffered(): number {
    return this.stream.end - this.stream.start;
  }

  /** Appends received bytes. */
  feed(chunk: Uint8Array): void {
    this.stream.feed(chunk);
  }

  /**
   * Next top-level value decoded as `type` (struct fields matched by name, like Go; incompatible wire types →
   * GobError), or undefined when more bytes are needed — then all state, including type definitions read during
   * the attempt, is rolled back. After a GobError the messages read so far stay consumed (as in Go), so a
   * type mismatch in one body does not desynchronise the stream; framing errors are fatal and repeat.
   */
  next(type: GobType): { value: GobValue } | undefined {
    return this.attempt(() => {
      const id = this.types.typeSeq(false);
      return { value: this.values.decodeTop(id, type, 0) };
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
        this.values.skipTop(this.types.typeSeq(false), 0);
        return true;
      }) ?? false
    );
  }

  /** Next top-level value decoded by its wire type alone (diagnostics and fuzzing; it materialises every field). */
  nextAny(): { value: GobValue; type: GobType } | undefined {
    return this.attempt(() => {
      const id = this.types.typeSeq(false);
      const type = this.types.derive(id);
      return { value: this.values.decodeTop(id, type, 0), type };
    });
  }

  private attempt<T>(fn: () => T): T | undefined {
    if (this.fatal) throw this.fatal;
    const s = this.stream;
    // The bytes before the incomplete message are unchanged, so a retry would stop at the same place: O(1) instead
    // of re-reading everything buffered for every chunk a slow (or hostile) peer trickles in.
    if (s.end - s.start < this.needBuffered) return undefined;
    this.needBuffered = 0;
    s.begin();
    this.types.begin();
    this.values.zeroBudget = this.limits.maxElements;
    try {
      const result = fn();
      s.start = s.streamPos;
      return result;
    } catch (err) {
      if (err === NEED_MORE) {
        this.needBuffered = s.needEnd - s.start;
        this.types.rollback();
        return undefined;
      }
      // Anything but a GobError is a decoder bug; it is still surfaced as a (fatal) GobError, keeping the cause.
      const gobErr =
        err instanceof GobError
          ? err
          : new GobError(`gob: internal decoder error: ${(err as Error)?.message ?? String(err)}`, { cause: err });
      if (s.framingError || !(err instanceof GobError)) this.fatal = gobErr;
      else s.start = s.streamPos;
      throw gobErr;
    } finally {
      if (s.start === s.end) {
        s.start = 0;
        s.end = 0;
      }
    }
  }
}
