import { describe, expect, it } from 'vitest';
import {
  labelKeyProblem,
  labelProblems,
  labelValueProblem,
  parseLabels,
  serializeLabels,
} from '../../pkg/hetzner-node-driver/lib/labels';

describe('Hetzner label rules', () => {
  it('accepts valid keys, with and without a DNS prefix', () => {
    for (const k of ['env', 'a', 'team_1.x-y', 'example.com/role', 'k8s.io/cluster-name', 'A'.repeat(63)]) {
      expect(labelKeyProblem(k), k).toBeUndefined();
    }
  });

  it('rejects malformed, overlong and reserved keys', () => {
    expect(labelKeyProblem('')).toBe('keyEmpty');
    for (const k of ['-env', 'env-', 'has space', 'a'.repeat(64), 'ex ample.com/x', '/x', 'x/', 'a/b/c', 'é']) {
      expect(labelKeyProblem(k), k).toBe('keyInvalid');
    }
    expect(labelKeyProblem('hetzner.cloud/role')).toBe('keyReserved');
    expect(labelKeyProblem('lb.hetzner.cloud/x')).toBe('keyReserved');
    for (const k of ['managed-by', 'machine', 'cluster', 'rancher-firewall', 'auto-placement']) {
      expect(labelKeyProblem(k), k).toBe('keyDriver');
    }
    expect(labelKeyProblem('example.com/cluster')).toBeUndefined();
  });

  it('accepts empty values and valid ones, rejects others', () => {
    expect(labelValueProblem('')).toBeUndefined();
    expect(labelValueProblem('prod-1.a_b')).toBeUndefined();
    for (const v of ['-x', 'x-', 'a b', 'a'.repeat(64), 'a=b', 'a/b']) expect(labelValueProblem(v), v).toBe('valueInvalid');
  });

  it('flags duplicate keys on the later row', () => {
    expect(
      labelProblems([
        { key: 'env', value: 'a' },
        { key: 'role', value: '' },
        { key: 'env', value: 'b' },
      ]),
    ).toEqual([undefined, undefined, 'keyDuplicate']);
  });

  it('round-trips key=value strings, splitting on the first "="', () => {
    const pairs = parseLabels(['env=prod', 'empty=', 'bare', 'x=a=b']);

    expect(pairs).toEqual([
      { key: 'env', value: 'prod' },
      { key: 'empty', value: '' },
      { key: 'bare', value: '' },
      { key: 'x', value: 'a=b' },
    ]);
    expect(serializeLabels(pairs)).toEqual(['env=prod', 'empty=', 'bare=', 'x=a=b']);
    expect(parseLabels(null)).toEqual([]);
  });
});
