// The UI extension imports the driver's pure IP rules (driver/src/ip.ts) directly. Two other rules it keeps as
// copies, because their driver modules use Node (node:crypto for label values, node:net for endpoint checks) and
// the extension is bundled for the browser: the label rules and reserved keys (lib/labels.ts, of
// driver/src/labels.ts) and the default API endpoint (lib/endpoint.ts). These tests hold each copy to the driver's
// declaration, so the form refuses exactly what the driver refuses.

import { describe, expect, it } from 'vitest';
import { DEFAULT_ENDPOINT } from '../../driver/src/hcloud';
import { isValidLabelKey, isValidLabelValue, RESERVED_KEYS } from '../../driver/src/labels';
import { DEFAULT_API_ENDPOINT, DEFAULT_API_PROXY_PREFIX } from '../../extension/pkg/hetzner-node-driver/lib/endpoint';
import { labelKeyProblem, labelValueProblem } from '../../extension/pkg/hetzner-node-driver/lib/labels';
import { createPrng } from '../../hcloud-mock/src/index';

describe('the extension’s default API endpoint is the driver’s', () => {
  it('names the same URL, and the proxy path is derived from it', () => {
    expect(DEFAULT_API_ENDPOINT).toBe(DEFAULT_ENDPOINT);
    const url = new URL(DEFAULT_ENDPOINT);
    expect(DEFAULT_API_PROXY_PREFIX).toBe(`/meta/proxy/${url.host}${url.pathname}`);
  });
});

describe('the extension’s label rules are the driver’s', () => {
  const random = createPrng(0x1abe1);
  const pick = (chars: string, n: number) =>
    Array.from({ length: n }, () => chars[Math.floor(random() * chars.length)]).join('');
  const KEYS = [
    '',
    'env',
    'a',
    '-a',
    'a-',
    'a_b',
    'example.com/team',
    'my_team.example.com/owner',
    'hetzner.cloud/x',
    'a.hetzner.cloud/y',
    'x/y/z',
    '/x',
    'x/',
    'a'.repeat(63),
    'a'.repeat(64),
    `${'p'.repeat(253)}/n`,
    `${'p'.repeat(254)}/n`,
    ...RESERVED_KEYS,
    ...Array.from({ length: 5000 }, () => pick('ab0_.-/', 1 + Math.floor(random() * 8))),
  ];

  it('accepts the same keys and refuses the same reserved ones', () => {
    for (const key of KEYS) {
      const problem = labelKeyProblem(key);
      expect(problem === undefined || problem === 'keyDriver', key).toBe(isValidLabelKey(key));
      expect(problem === 'keyDriver', key).toBe(RESERVED_KEYS.has(key));
    }
  });

  it('accepts the same values', () => {
    for (const value of [...KEYS, 'bad value', 'ok.value_1']) {
      expect(labelValueProblem(value) === undefined, value).toBe(isValidLabelValue(value));
    }
  });
});
