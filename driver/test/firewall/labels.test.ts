import { describe, expect, it } from 'vitest';
import { defaultFirewallName, describeOwner, isClusterFirewall, matchesSelector } from '../../src/firewall/labels';
import { LABEL_VALUE_PATTERN, labelSelector, toLabelValue } from '../../src/labels';

describe('toLabelValue', () => {
  it('keeps valid ids unchanged', () => {
    for (const id of ['c-m-abc123', 'local', 'a', 'A.b_c-9']) expect(toLabelValue(id)).toBe(id);
  });

  it.each([
    'fleet-default/my-cluster',
    'c:m:1',
    '-leading',
    'trailing.',
    `x${'y'.repeat(80)}`,
    '///',
    'ünïcode',
    ' spaced id ',
  ])('maps %j to a valid label value', (id) => {
    const v = toLabelValue(id);
    expect(v).toMatch(LABEL_VALUE_PATTERN);
    expect(v.length).toBeGreaterThan(0);
    expect(v.length).toBeLessThanOrEqual(63);
    expect(toLabelValue(id)).toBe(v);
  });

  it('keeps ids apart that sanitise to the same text', () => {
    expect(toLabelValue('a/b')).not.toBe(toLabelValue('a:b'));
    expect(toLabelValue('a/b')).not.toBe('a-b');
    const long1 = `${'x'.repeat(70)}1`;
    const long2 = `${'x'.repeat(70)}2`;
    expect(toLabelValue(long1)).not.toBe(toLabelValue(long2));
  });

  it('stays readable: the sanitised id leads, the hash follows', () => {
    expect(toLabelValue('fleet-default/my-cluster')).toMatch(/^fleet-default-my-cluster-[0-9a-f]{10}$/);
  });

  it('gives a default firewall name within Hetzner limits', () => {
    expect(defaultFirewallName('c-m-1')).toBe('rancher-c-m-1');
    expect(defaultFirewallName('z'.repeat(300)).length).toBeLessThanOrEqual(128);
  });
});

describe('label selectors', () => {
  it('builds sorted selectors', () => {
    expect(labelSelector({ 'managed-by': 'rancher-machine', cluster: 'c1' })).toBe(
      'cluster=c1,managed-by=rancher-machine',
    );
  });

  it.each([
    ['cluster=c1', true],
    ['cluster==c1', true],
    ['cluster=c2', false],
    ['cluster!=c2', true],
    ['cluster!=c1', false],
    ['cluster', true],
    ['!cluster', false],
    ['!other', true],
    ['cluster in (c0, c1)', true],
    ['cluster notin (c0,c1)', false],
    ['env notin (prod)', true],
    ['cluster=c1,rancher-firewall=c1', true],
    ['cluster=c1,rancher-firewall=c2', false],
    ['cluster in (c1,c2),!env', true],
  ])('%s → %s', (selector, want) => {
    expect(matchesSelector(selector, { cluster: 'c1', 'rancher-firewall': 'c1' })).toBe(want);
  });
});

describe('ownership', () => {
  it('a firewall is the cluster’s only with managed-by and the cluster’s (cleaned) label value', () => {
    const ours = { 'managed-by': 'rancher-machine', cluster: toLabelValue('fleet-default/x') };
    expect(isClusterFirewall(ours, 'fleet-default/x')).toBe(true);
    expect(isClusterFirewall(ours, 'fleet-default/y')).toBe(false);
    expect(isClusterFirewall({ cluster: ours.cluster }, 'fleet-default/x')).toBe(false);
    expect(isClusterFirewall({}, 'fleet-default/x')).toBe(false);
  });

  it('describes who owns a resource by its labels', () => {
    expect(describeOwner({})).toBe('no labels (made by hand)');
    expect(describeOwner(undefined)).toBe('no labels (made by hand)');
    expect(describeOwner({ team: 'db', env: '' })).toBe('labels env, team=db (not made by this driver)');
    expect(describeOwner({ 'managed-by': 'rancher-machine', cluster: 'c-a', machine: 'm' })).toBe(
      'labels cluster=c-a, machine=m, managed-by=rancher-machine (made by this driver for cluster c-a)',
    );
    const many = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'v']));
    expect(describeOwner(many)).toMatch(/k7=v, … 2 more \(not made by this driver\)$/);
  });
});
