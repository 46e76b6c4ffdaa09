import { describe, expect, it } from 'vitest';
import { canonicalCidr, compareCidrs, normaliseCidrList } from '../../src/firewall/cidr';

describe('canonicalCidr', () => {
  it.each([
    ['1.2.3.4', undefined, '1.2.3.4/32'],
    ['1.2.3.4', 32, '1.2.3.4/32'],
    ['10.1.2.3/8', undefined, '10.0.0.0/8'],
    ['0.0.0.0/0', undefined, '0.0.0.0/0'],
    ['2001:DB8:0:0:1:0:0:1', undefined, '2001:db8::1:0:0:1/128'],
    ['2001:db8:0000:0001:0000:0000:0000:0000/64', undefined, '2001:db8:0:1::/64'],
    ['2001:db8:1:2:3:4:5:6', 64, '2001:db8:1:2::/64'],
    ['2a01:4f8:c012:abcd::/64', undefined, '2a01:4f8:c012:abcd::/64'],
    ['::/0', undefined, '::/0'],
    ['::1', undefined, '::1/128'],
    ['::ffff:1.2.3.4', undefined, '::ffff:102:304/128'],
    ['1:0:0:1:0:0:0:1', undefined, '1:0:0:1::1/128'],
    ['1:0:0:2:0:0:3:4', undefined, '1::2:0:0:3:4/128'],
    ['2001:db8:ff00::/56', undefined, '2001:db8:ff00::/56'],
    ['2001:db8:ffff::/36', undefined, '2001:db8:f000::/36'],
  ])('%s (default prefix %s) → %s', (input, prefix, want) => {
    expect(canonicalCidr(input, prefix)?.cidr).toBe(want);
  });

  // Leading zeros (`010`) are refused: some tools read them as octal, so the rule would not say one thing.
  it.each([
    '',
    '1.2.3',
    '1.2.3.256',
    '1.2.3.4/33',
    '2001:db8::1::2',
    '12345::',
    'fe80::/129',
    'x.y.z.w',
    '1.2.3.4/a',
    '010.0.0.0/8',
    '1.2.3.04',
    '::ffff:01.2.3.4',
  ])('rejects %j', (input) => {
    expect(canonicalCidr(input)).toBeNull();
  });
});

describe('normaliseCidrList', () => {
  it('canonicalises, de-duplicates and sorts IPv4 before IPv6, numerically', () => {
    expect(
      normaliseCidrList(['2001:DB8::/64', '10.0.0.2/32', '9.0.0.1', '2001:db8:0::/64', '10.0.0.10/32', '10.0.0.2']),
    ).toEqual(['9.0.0.1/32', '10.0.0.2/32', '10.0.0.10/32', '2001:db8::/64']);
  });

  it('keeps text that is not a CIDR (a foreign rule is not ours to repair)', () => {
    expect(normaliseCidrList(['bogus', '1.1.1.1'])).toEqual(['1.1.1.1/32', 'bogus']);
    expect(compareCidrs('1.1.1.1/32', 'bogus')).toBeLessThan(0);
  });
});
