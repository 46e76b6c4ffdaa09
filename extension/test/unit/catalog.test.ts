import { describe, expect, it } from 'vitest';
import {
  availableServerTypes,
  displayNames,
  formatMonthly,
  idOptions,
  imageOptions,
  locationOptions,
  networksInZone,
  selectable,
  serverTypeOptions,
  typeAvailability,
  usableImages,
} from '../../pkg/hetzner-node-driver/lib/catalog';
import { catalog } from '../fixtures/catalog';
import { t } from './i18n';

const data = catalog();
const typeLabels = {
  group:  (cpu: 'shared' | 'dedicated') => t(`hetzner.machineConfig.serverType.group.${ cpu }`, {}, true),
  detail: (args: { price?: string }) => t(args.price ? 'hetzner.machineConfig.serverType.option' : 'hetzner.machineConfig.serverType.optionNoPrice', args, true),
};
const imageLabels = {
  system:        'System',
  snapshot:      'Snapshots',
  snapshotLabel: (a: { id: number; description: string }) => `snap ${ a.id } ${ a.description }`,
};
const byName = (name: string) => data.server_types.find((s) => s.name === name)!;

describe('locations', () => {
  it('groups by network zone with city and country, zones sorted, groups unselectable', () => {
    const opts = locationOptions(data.locations, (z) => `Zone ${ z }`);

    expect(opts.map((o) => o.label)).toEqual([
      'Zone ap-southeast',
      'sin — Singapore, SG',
      'Zone eu-central',
      'fsn1 — Falkenstein, DE',
      'hel1 — Helsinki, FI',
      'nbg1 — Nuremberg, DE',
      'Zone us-east',
      'ash — Ashburn, VA, US',
      'Zone us-west',
      'hil — Hillsboro, OR, US',
    ]);
    expect(opts.filter((o) => o.kind === 'group').every((o) => o.disabled)).toBe(true);
    expect(selectable(opts).map((o) => o.value)).toEqual(['sin', 'fsn1', 'hel1', 'nbg1', 'ash', 'hil']);
  });
});

describe('server types', () => {
  it('decides availability per location from locations[]: not sold, deprecated there, sold out, retired', () => {
    expect(typeAvailability(byName('cx23'), 'fsn1')).toBe('available');
    expect(typeAvailability(byName('cx23'), 'ash')).toBe('notSold');
    expect(typeAvailability(byName('cpx22'), 'ash')).toBe('deprecated');
    expect(typeAvailability(byName('cpx22'), 'hil')).toBe('unavailable');
    expect(typeAvailability(byName('cx22'), 'fsn1')).toBe('deprecated');
    expect(typeAvailability(byName('cpx11'), 'fsn1')).toBe('deprecated');
    expect(typeAvailability(byName('cpx11'), 'nbg1')).toBe('available');
  });

  it('falls back to prices[] when the API gives no locations[]', () => {
    const legacy = { ...byName('cx23'), locations: undefined };

    expect(typeAvailability(legacy, 'nbg1')).toBe('available');
    expect(typeAvailability(legacy, 'sin')).toBe('notSold');
    expect(typeAvailability({ ...legacy, deprecation: { announced: 'x', unavailable_after: 'y' } }, 'nbg1')).toBe(
      'deprecated',
    );
  });

  it('offers only what is sold in the location, shared before dedicated, with arch, size and local price', () => {
    expect(availableServerTypes(data.server_types, 'fsn1').map((s) => s.name).sort()).toEqual([
      'cax11',
      'ccx13',
      'cpx22',
      'cx23',
    ]);
    const opts = serverTypeOptions(data.server_types, 'fsn1', typeLabels);

    expect(opts.map((o) => o.label)).toEqual([
      'Shared vCPU',
      'cax11 · arm · 2 vCPU · 4 GB RAM · 40 GB disk · €4.51/month',
      'cx23 · x86 · 2 vCPU · 4 GB RAM · 40 GB disk · €4.51/month',
      'cpx22 · x86 · 3 vCPU · 4 GB RAM · 80 GB disk · €7.72/month',
      'Dedicated vCPU',
      'ccx13 · x86 · 2 vCPU · 8 GB RAM · 80 GB disk · €14.86/month',
    ]);
    // The price is the chosen location's: ccx13 costs more in Ashburn.
    expect(serverTypeOptions(data.server_types, 'ash', typeLabels).map((o) => o.value)).toEqual(['group:dedicated', 'ccx13']);
    expect(serverTypeOptions(data.server_types, 'ash', typeLabels)[1]!.label).toContain('€17.24/month');
    expect(serverTypeOptions(data.server_types, 'hil', typeLabels).map((o) => o.value)).toEqual(['group:dedicated', 'ccx13']);
  });

  it('formats the gross monthly price and tolerates a missing one', () => {
    expect(formatMonthly(byName('cx23').prices[0])).toBe('€4.51');
    expect(formatMonthly(undefined)).toBeUndefined();
    const noPrice = { ...byName('cx23'), prices: [] };

    expect(serverTypeOptions([noPrice], 'fsn1', typeLabels)[1]!.label).toMatch(/ · price n\/a$/);
  });
});

describe('images', () => {
  it('keeps available, non-deprecated system images and snapshots of the architecture only', () => {
    const x86 = usableImages(data.images, 'x86').map((i) => i.name ?? i.description);

    expect(x86.sort()).toEqual(['debian-12', 'k8s-base', 'rocky-9', 'ubuntu-24.04']);
    const arm = usableImages(data.images, 'arm').map((i) => i.name ?? i.description);

    expect(arm.sort()).toEqual(['debian-12', 'k8s-base-arm', 'ubuntu-24.04']);
  });

  it('groups system images (by name) and snapshots (by ID)', () => {
    const opts = imageOptions(data.images, 'x86', imageLabels);

    expect(opts.map((o) => [o.label, o.value])).toEqual([
      ['System', 'group:system'],
      ['debian-12 — Debian 12', 'debian-12'],
      ['rocky-9 — Rocky Linux 9', 'rocky-9'],
      ['ubuntu-24.04 — Ubuntu 24.04', 'ubuntu-24.04'],
      ['Snapshots', 'group:snapshot'],
      ['snap 4000000301 k8s-base', '4000000301'],
    ]);
    expect(imageOptions(data.images, 'arm', imageLabels).map((o) => o.value)).toEqual([
      'group:system',
      'debian-12',
      'ubuntu-24.04',
      'group:snapshot',
      '4000000302',
    ]);
  });
});

describe('networks and ID-based choices', () => {
  it('offers only networks with a subnet in the location zone', () => {
    expect(networksInZone(data.networks, 'eu-central').map((n) => n.name)).toEqual(['k8s-eu', 'shared']);
    expect(networksInZone(data.networks, 'us-east').map((n) => n.name)).toEqual(['k8s-us', 'shared']);
    expect(networksInZone(data.networks, 'ap-southeast')).toEqual([]);
  });

  it('uses string IDs as values and names as labels, and resolves IDs back to names', () => {
    expect(idOptions(data.firewalls)).toEqual([
      { label: 'ssh-only', value: '4000000502' },
      { label: 'web', value: '4000000501' },
    ]);
    expect(displayNames(['4000000501', 'ssh-only', '999'], data.firewalls)).toEqual(['web', 'ssh-only', '999']);
  });
});
