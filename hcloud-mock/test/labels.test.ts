import { describe, expect, it } from 'vitest';
import { ApiError, matchSelector, parseSelector, validateLabels } from '../src/index';

const labels = { env: 'prod', tier: 'web', 'example.com/team': 'core' };
const matches = (sel: string, l: Record<string, string> = labels) => matchSelector(parseSelector(sel), l);

describe('label selectors', () => {
  it('supports =, ==, !=, in, notin, exists and !exists, joined by AND', () => {
    expect(matches('env=prod')).toBe(true);
    expect(matches('env==prod')).toBe(true);
    expect(matches('env=dev')).toBe(false);
    expect(matches('env!=dev')).toBe(true);
    expect(matches('env!=prod')).toBe(false);
    expect(matches('tier in (web,db)')).toBe(true);
    expect(matches('tier in (db)')).toBe(false);
    expect(matches('tier notin (db,cache)')).toBe(true);
    expect(matches('tier notin (web)')).toBe(false);
    expect(matches('env')).toBe(true);
    expect(matches('missing')).toBe(false);
    expect(matches('!missing')).toBe(true);
    expect(matches('!env')).toBe(false);
    expect(matches('env=prod,tier in (web, api),!missing,example.com/team=core')).toBe(true);
    expect(matches('env=prod,tier=db')).toBe(false);
  });

  it('treats != and notin as true for resources without the key', () => {
    expect(matches('missing!=x')).toBe(true);
    expect(matches('missing notin (x)')).toBe(true);
  });

  it('rejects malformed selectors with invalid_input on label_selector', () => {
    for (const bad of ['', '=x', 'a in b', 'a in (b', 'a b c', 'a==b==c', 'a=b,,c']) {
      let err: unknown;
      try {
        parseSelector(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toBe(422);
      expect((err as ApiError).details).toEqual({
        fields: [{ name: 'label_selector', messages: [expect.any(String)] }],
      });
    }
    // An empty value is a valid label value.
    expect(matches('env=', { env: '' })).toBe(true);
  });
});

describe('label validation', () => {
  it('accepts keys with DNS prefixes and empty values, refuses bad keys, bad values and the reserved prefix', () => {
    expect(validateLabels({ 'a.b/c-d': 'x_y.z', e: '' })).toEqual({ 'a.b/c-d': 'x_y.z', e: '' });
    expect(() => validateLabels({ 'hetzner.cloud/x': 'y' })).toThrow(/reserved/);
    expect(() => validateLabels({ '-bad': 'x' })).toThrow(ApiError);
    expect(() => validateLabels({ k: 'has space' })).toThrow(ApiError);
    expect(() => validateLabels({ k: 'a'.repeat(64) })).toThrow(ApiError);
    expect(() => validateLabels({ k: 'cluster:with:colons' })).toThrow(ApiError);
    expect(() => validateLabels({ k: 1 })).toThrow(ApiError);
  });
});
