// The UI extension is its own package (installed, linted and built by Rancher's shell), so it keeps copies of the
// few driver rules the form applies: the IP rules (lib/addresses.ts, a copy of driver/src/ip.ts), the label rules
// and reserved keys (lib/labels.ts, of driver/src/labels.ts) and the default API endpoint (lib/endpoint.ts). These
// tests hold each copy to the driver's declaration, so the form refuses exactly what the driver refuses.

import { describe, expect, it } from 'vitest';
import { canonicalCidr } from '../../driver/src/firewall/cidr';
import { DEFAULT_ENDPOINT } from '../../driver/src/hcloud';
import * as driver from '../../driver/src/ip';
import { isValidLabelKey, isValidLabelValue, RESERVED_KEYS } from '../../driver/src/labels';
import * as form from '../../extension/pkg/hetzner-node-driver/lib/addresses';
import { DEFAULT_API_ENDPOINT, DEFAULT_API_PROXY_PREFIX } from '../../extension/pkg/hetzner-node-driver/lib/endpoint';
import { labelKeyProblem, labelValueProblem } from '../../extension/pkg/hetzner-node-driver/lib/labels';
import { createPrng } from '../../hcloud-mock/src/index';

const EDGE_CASES = [
  '',
  '0.0.0.0',
  '255.255.255.255',
  '256.0.0.1',
  '1.2.3',
  '1.2.3.4.5',
  '010.0.0.1',
  '1.2.3.04',
  '00.1.2.3',
  '1.2.3.4 ',
  ' 1.2.3.4/32 ',
  '+1.2.3.4',
  '1.2.3.4/',
  '1.2.3.4/33',
  '1.2.3.4/032',
  '1.2.3.4/32/1',
  '10.0.1.0/24',
  '10.0.1.5/24',
  '10.0.0.0/8',
  '0.0.0.0/0',
  '::',
  '::1',
  '::/0',
  ':::',
  '1::2::3',
  '::ffff:1.2.3.4',
  '::1.2.3.4',
  '::ffff:01.2.3.4',
  '1:2:3:4:5:6:1.2.3.4',
  '1:2:3:4:5:6:7:1.2.3.4',
  '1:2:3:4:5:6:7:8',
  '1:2:3:4:5:6:7:8:9',
  '1:2:3:4:5:6:7::',
  '1::2:3:4:5:6:7:8',
  '2001:DB8::1',
  '2001:db8::/32',
  '2001:db8::/129',
  '2001:db8::1/64',
  '12345::',
  'g::1',
  '1.2.3.4:1::',
  'fe80::1%eth0',
];

/** Strings made of the characters addresses are made of, so near-misses are common. */
function generated(count: number, seed: number): string[] {
  const random = createPrng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const int = (n: number) => Math.floor(random() * n);
  const octet = () => pick([String(int(256)), String(int(300)), `0${int(10)}`, '0', '255', '256']);
  const group = () =>
    int(0x10000)
      .toString(16)
      .slice(0, 1 + int(4));
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const kind = int(4);
    if (kind === 0) {
      out.push(Array.from({ length: 3 + int(3) }, octet).join('.') + pick(['', `/${int(40)}`, `/${int(3)}${int(10)}`]));
    } else if (kind === 1) {
      const groups = Array.from({ length: int(9) }, group);
      if (random() < 0.6) groups.splice(int(groups.length + 1), 0, '');
      const text = groups.join(':').replace(/^:|:$/, '::');
      out.push(text + pick(['', `/${int(140)}`, ':1.2.3.4', `:${octet()}.1.1.1`]));
    } else {
      out.push(Array.from({ length: int(16) }, () => pick([...'0123456789abcdefABCDEF:./ '])).join(''));
    }
  }
  return out;
}

const INPUTS = [...EDGE_CASES, ...generated(20_000, 0x1b5)];

describe('the extension’s IP rules equal the driver’s', () => {
  it('parses IPv4 addresses and ranges alike (leading zeros refused by both)', () => {
    expect(driver.parseIpv4('010.0.0.1')).toBeNull();
    for (const text of INPUTS) {
      expect(form.parseIpv4(text), text).toBe(driver.parseIpv4(text));
      expect(form.parseIpv4Cidr(text), text).toEqual(driver.parseIpv4Cidr(text));
    }
  });

  it('accepts the same IPv6 addresses', () => {
    let accepted = 0;
    for (const text of INPUTS) {
      const ok = driver.parseIpv6(text) !== null;
      if (ok) accepted++;
      expect(form.isIpv6(text), text).toBe(ok);
    }
    // The generated strings must reach both answers, or the comparison proves little.
    expect(accepted).toBeGreaterThan(500);
  });

  it('accepts as a firewall source exactly what the driver’s firewall canonicalises', () => {
    for (const text of INPUTS) {
      expect(form.isAddressOrCidr(text), text).toBe(canonicalCidr(text) !== null);
    }
  });

  it('formats and compares ranges alike', () => {
    const random = createPrng(7);
    for (let i = 0; i < 2000; i++) {
      const n = Math.floor(random() * 2 ** 32);
      expect(form.formatIpv4(n)).toBe(driver.formatIpv4(n));
      const prefix = Math.floor(random() * 33);
      const size = 2 ** (32 - prefix);
      const r = { base: n - (n % size), prefix, size };
      const ip = Math.floor(random() * 2 ** 32);
      expect(form.rangeContains(r, ip)).toBe(driver.rangeContains(r, ip));
      expect(form.rangeContains(r, r.base)).toBe(true);
      const inner = { base: r.base, prefix: Math.min(32, prefix + 1), size: Math.max(1, size / 2) };
      expect(form.rangeWithin(inner, r)).toBe(driver.rangeWithin(inner, r));
      expect(form.rangeWithin(r, inner)).toBe(driver.rangeWithin(r, inner));
    }
  });
});

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
