// Fuzzing the decoder: mutated golden vectors and random bytes, from a seeded PRNG so failures reproduce. Every input
// must end in values, "need more bytes" or a GobError — never another exception, a hang or a crash.
import { readdirSync } from 'node:fs';
import { createPrng } from 'hcloud-mock';
import { describe, expect, it } from 'vitest';
import { GobDecoder, GobEncoder, GobError, type GobLimits, type GobType } from '../../src/plugin/gob/index';
import { golden, TESTDATA, typedCases } from './vectors';

const SEED = 0x9e3779b9;
const INPUTS = 100_000;

const corpus: { bytes: Uint8Array; types: GobType[] }[] = readdirSync(TESTDATA)
  .filter((f) => f.endsWith('.gob'))
  .map((f) => {
    const name = f.slice(0, -4);
    return { bytes: golden(name), types: (typedCases[name] ?? []).map(([type]) => type) };
  });
for (const values of Object.values(typedCases)) {
  const enc = new GobEncoder();
  corpus.push({
    bytes: Buffer.concat(values.map(([type, value]) => enc.encode(type, value))),
    types: values.map(([type]) => type),
  });
}

const INTERESTING = [0x00, 0x01, 0x02, 0x7f, 0x80, 0x81, 0xf8, 0xf9, 0xfe, 0xff];

function mutate(rand: () => number, input: Uint8Array): Uint8Array {
  const bytes = Array.from(input);
  const pick = (n: number) => Math.floor(rand() * n);
  const rounds = 1 + pick(6);
  for (let i = 0; i < rounds; i++) {
    const at = pick(bytes.length + 1);
    switch (pick(8)) {
      case 0:
        if (at < bytes.length) bytes[at] = bytes[at]! ^ (1 << pick(8));
        break;
      case 1:
        if (at < bytes.length) bytes[at] = INTERESTING[pick(INTERESTING.length)]!;
        break;
      case 2:
        bytes.splice(at, 0, pick(256));
        break;
      case 3:
        bytes.splice(at, 1 + pick(8));
        break;
      case 4: {
        const len = 1 + pick(16);
        bytes.splice(pick(bytes.length + 1), 0, ...bytes.slice(at, at + len));
        break;
      }
      case 5:
        bytes.length = Math.min(bytes.length, at);
        break;
      case 6: {
        const other = corpus[pick(corpus.length)]!.bytes;
        const from = pick(other.length);
        bytes.splice(at, 0, ...other.subarray(from, from + 1 + pick(32)));
        break;
      }
      default:
        if (at < bytes.length) bytes[at] = pick(256);
    }
  }
  return Uint8Array.from(bytes);
}

function randomInput(rand: () => number): Uint8Array {
  const out = new Uint8Array(Math.floor(rand() * 48));
  for (let i = 0; i < out.length; i++) out[i] = rand() < 0.3 ? INTERESTING[Math.floor(rand() * 10)]! : rand() * 256;
  return out;
}

type Outcome = 'value' | 'needMore' | 'gobError';

function decodeAll(rand: () => number, input: Uint8Array, types: GobType[], limits?: Partial<GobLimits>): Outcome[] {
  const dec = new GobDecoder(limits);
  const outcomes: Outcome[] = [];
  // Feed in random chunks, trying to decode after each, as a socket would deliver data.
  let fed = 0;
  let index = 0;
  for (let guard = 0; guard < 10_000; guard++) {
    if (fed < input.length) {
      const n = 1 + Math.floor(rand() * 64);
      dec.feed(input.subarray(fed, fed + n));
      fed += n;
    }
    let result: unknown;
    try {
      const type = types[index];
      result = type && rand() < 0.5 ? dec.next(type) : dec.nextAny();
    } catch (err) {
      if (!(err instanceof GobError) || err.cause !== undefined) throw err;
      outcomes.push('gobError');
      return outcomes;
    }
    if (result === undefined) {
      outcomes.push('needMore');
      if (fed >= input.length) return outcomes;
    } else {
      outcomes.push('value');
      index++;
    }
  }
  throw new Error('decoder made no progress');
}

describe('decoder fuzzing', () => {
  it(`ends every one of ${INPUTS} mutated and random inputs in a value, need-more or a GobError`, () => {
    const rand = createPrng(SEED);
    const tally = { value: 0, needMore: 0, gobError: 0 };
    const small: Partial<GobLimits> = { maxElements: 64, maxDepth: 8, maxTypes: 8, maxMessageBytes: 512 };
    for (let i = 0; i < INPUTS; i++) {
      const base = corpus[Math.floor(rand() * corpus.length)]!;
      const input = rand() < 0.9 ? mutate(rand, base.bytes) : randomInput(rand);
      let outcomes: Outcome[];
      try {
        outcomes = decodeAll(rand, input, base.types, i % 10 === 0 ? small : undefined);
      } catch (err) {
        throw new Error(`input #${i} (seed ${SEED}) ${Buffer.from(input).toString('hex')}: ${String(err)}`);
      }
      for (const o of outcomes) tally[o]++;
    }
    console.info(`gob fuzz: ${INPUTS} inputs → ${JSON.stringify(tally)}`);
    // Both paths must be exercised, or the fuzzer tests nothing.
    expect(tally.value).toBeGreaterThan(INPUTS);
    expect(tally.gobError).toBeGreaterThan(INPUTS / 10);
  });
});
