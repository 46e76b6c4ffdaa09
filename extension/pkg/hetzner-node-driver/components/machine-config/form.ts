// What the sections of the machine-pool form (machine-config/hetzner.vue) share: the loaded catalog, the props every
// section takes, and the choices built from the catalog, which the editing sections and the view summary both show.
import type { PropType } from 'vue';
import {
  idOptions, imageOptions, locationOptions, type SelectOption, serverTypeOptions
} from '../../lib/catalog';
import { freePrimaryIps, freeVolumes } from '../../lib/attachments';
import type { HetznerConfig } from '../../lib/config';
import type {
  Architecture, Network, PrimaryIp, ResourceName, ResourceTypes
} from '../../lib/hcloud';
import {
  findNetwork, type NetworkPin, parseNetworkEntry, pinnableSubnets, pinProblem
} from '../../lib/networks';
import type { ProxyError } from '../../lib/errors';
import type { CatalogContext } from '../../lib/validation';
import type { HetznerRequestError } from '../../store/hetzner';

export type Catalog = { [R in ResourceName]: ResourceTypes[R][] };

/** The host's `t`: a translation, escaped unless `raw`. */
export type Translate = (key: string, args?: Record<string, unknown>, raw?: boolean) => string;

/** What the form loads, and the query for each list. Images are two lists so backups and apps are never paged. */
const LISTS: { name: keyof Catalog | 'snapshots'; resource: ResourceName; query?: Record<string, string> }[] = [
  { name: 'locations', resource: 'locations' },
  { name: 'server_types', resource: 'server_types' },
  {
    name: 'images', resource: 'images', query: { type: 'system' }
  },
  {
    name: 'snapshots', resource: 'images', query: { type: 'snapshot' }
  },
  { name: 'networks', resource: 'networks' },
  { name: 'firewalls', resource: 'firewalls' },
  { name: 'ssh_keys', resource: 'ssh_keys' },
  { name: 'placement_groups', resource: 'placement_groups' },
  { name: 'primary_ips', resource: 'primary_ips' },
  { name: 'volumes', resource: 'volumes' },
];

export const emptyCatalog = (): Catalog => ({
  locations:        [],
  server_types:     [],
  images:           [],
  networks:         [],
  firewalls:        [],
  ssh_keys:         [],
  placement_groups: [],
  primary_ips:      [],
  volumes:          [],
});

/** Literal placeholders for messages: ICU message syntax (the host's i18n) reserves braces. */
export const PLACEHOLDERS = {
  phMachine: '{{ machine }}', phCluster: '{{ cluster }}', phPool: '{{ pool }}'
};

/**
 * The props of every editing section: the machine config they edit in place (as the Dashboard's own sub-forms
 * do), the form's mode and busy state, the loaded catalog, and the validation messages by field.
 */
export const sectionProps = {
  value:    { type: Object as PropType<HetznerConfig>, required: true as const },
  mode:     { type: String, required: true as const },
  disabled: { type: Boolean, default: false },
  catalog:  { type: Object as PropType<Catalog>, required: true as const },
  errors:   { type: Object as PropType<Record<string, string[]>>, default: () => ({}) },
};

/** The catalog's state for sections that prune choices when the location or type changes. */
export const loadProps = {
  loaded:      { type: Boolean, default: false },
  failedLists: { type: Array as PropType<string[]>, default: () => [] },
};

export function locationChoices(catalog: Catalog, t: Translate): SelectOption[] {
  return locationOptions(catalog.locations, (zone) => t('hetzner.machineConfig.location.zone', { zone }, true));
}

export function serverTypeChoices(catalog: Catalog, location: string, t: Translate): SelectOption[] {
  return serverTypeOptions(catalog.server_types, location, {
    group:  (cpu) => t(`hetzner.machineConfig.serverType.group.${ cpu }`, {}, true),
    detail: (args) => t(args.price ? 'hetzner.machineConfig.serverType.option' : 'hetzner.machineConfig.serverType.optionNoPrice', args, true),
  });
}

export function imageChoices(catalog: Catalog, arch: Architecture | undefined, t: Translate): SelectOption[] {
  return imageOptions(catalog.images, arch, {
    system:        t('hetzner.machineConfig.image.system', {}, true),
    snapshot:      t('hetzner.machineConfig.image.snapshot', {}, true),
    snapshotLabel: (args) => t('hetzner.machineConfig.image.snapshotOption', args, true),
  });
}

/** Free items of the location plus what the config already names, so a saved choice still shows by name. */
function keepCurrent<T extends { id: number; name: string }>(free: T[], current: string[], all: T[]): T[] {
  const extra = current
    .map((ref) => all.find((x) => String(x.id) === ref || x.name === ref))
    .filter((x): x is T => !!x && !free.includes(x));

  return [...free, ...extra];
}

export function primaryIpChoices(catalog: Catalog, family: 'ipv4' | 'ipv6', location: string, current: string | undefined, t: Translate): SelectOption[] {
  const free = freePrimaryIps(catalog.primary_ips, family, location);
  const kept = keepCurrent(free, current ? [current] : [], catalog.primary_ips);
  const option = (p: PrimaryIp) => t('hetzner.machineConfig.primaryIp.option', { name: p.name, ip: p.ip }, true);

  return [
    { label: t('hetzner.machineConfig.primaryIp.none', {}, true), value: '' },
    ...kept.map((p) => ({ label: option(p), value: String(p.id) })),
  ];
}

export function volumeChoices(catalog: Catalog, location: string, current: string[], t: Translate): SelectOption[] {
  const free = freeVolumes(catalog.volumes, location);

  return keepCurrent(free, current, catalog.volumes).map((v) => ({ value: String(v.id), label: t('hetzner.machineConfig.volumes.option', { name: v.name, size: v.size }, true) }));
}

export function sshKeyChoices(catalog: Catalog, t: Translate): SelectOption[] {
  return [{ label: t('hetzner.machineConfig.sshKey.none', {}, true), value: '' }, ...idOptions(catalog.ssh_keys)];
}

export function placementGroupChoices(catalog: Catalog, t: Translate): SelectOption[] {
  return [{ label: t('hetzner.machineConfig.placementGroup.none', {}, true), value: '' }, ...idOptions(catalog.placement_groups)];
}

/** How a network's pin appears in its select: any subnet, a subnet by range, or a fixed IP. */
const pinChoice = (pin: NetworkPin): string => (pin.kind === 'range' ? `range:${ pin.range }` : pin.kind);

export interface PinRow {
  ref: string;
  name: string;
  choice: string;
  ip: string;
  options: SelectOption[];
  range: string;
  problem?: string;
}

/** One row per attached network: its name, where the server's address comes from, and what is wrong with it. */
export function pinRows(networks: Network[], entries: string[] | null | undefined, zone: string | undefined, t: Translate): PinRow[] {
  return (entries ?? []).map((entry) => {
    const { ref, pin } = parseNetworkEntry(entry);
    const net = findNetwork(networks, ref);
    const name = net?.name ?? ref;
    const options: SelectOption[] = [
      { label: t('hetzner.machineConfig.networks.pin.any', {}, true), value: 'none' },
      ...(net ? pinnableSubnets(net, zone) : []).map((s) => ({ label: t('hetzner.machineConfig.networks.pin.subnet', { range: s.ip_range }, true), value: `range:${ s.ip_range }` })),
    ];

    // A range typed elsewhere (YAML, API) still shows as the current choice.
    if (pin.kind === 'range' && !options.some((o) => o.value === pinChoice(pin))) {
      options.push({ label: t('hetzner.machineConfig.networks.pin.subnet', { range: pin.range }, true), value: pinChoice(pin) });
    }
    options.push({ label: t('hetzner.machineConfig.networks.pin.ip', {}, true), value: 'ip' });
    const problem = net ? pinProblem(net, pin, zone) : undefined;

    return {
      ref,
      name,
      choice:  pinChoice(pin),
      ip:      pin.kind === 'ip' ? pin.ip : '',
      options,
      range:   net?.ip_range ?? '',
      problem: problem ? t(`hetzner.machineConfig.validation.${ problem.key }`, problem.args, true) : undefined,
    };
  });
}

/** The cluster ID control: with the managed firewall's fields, or on its own when only spread or rDNS need it. */
export function clusterIdInput(value: HetznerConfig, mode: string, disabled: boolean, t: Translate): Record<string, unknown> {
  return {
    value:         value.clusterId,
    'data-testid': 'hetzner-cluster-id',
    mode,
    disabled,
    required:      true,
    label:         t('hetzner.machineConfig.clusterId.label', {}, true),
    subLabel:      t('hetzner.machineConfig.clusterId.help'),
  };
}

/**
 * The component's `t` as a plain function. The host's `t` is a global property that reads `this.$store`, so it
 * cannot be handed on detached (`this.t` is not bound).
 */
export function translator(vm: { t: Translate }): Translate {
  return (key, args, raw) => vm.t(key, args, raw);
}

export interface LoadError { list: string; error: ProxyError }

/**
 * Every list of the catalog through the store's `hetzner/list` (shared between the pool forms of a page). A list
 * that fails is left empty and named in the errors, with the reason the store gave.
 */
export async function loadCatalog(
  dispatch: (action: string, payload: unknown) => Promise<unknown>, credentialId: string, force: boolean,
): Promise<{ catalog: Catalog; errors: LoadError[] }> {
  const results = await Promise.allSettled(
    LISTS.map((l) => dispatch('hetzner/list', {
      credentialId, resource: l.resource, query: l.query, force
    })),
  );
  const catalog = emptyCatalog();
  const errors: LoadError[] = [];

  results.forEach((r, i) => {
    const spec = LISTS[i]!;

    if (r.status === 'rejected') {
      const error = (r.reason as HetznerRequestError)?.detail ?? { key: 'network', args: { reason: String(r.reason) } };

      errors.push({ list: spec.name, error });

      return;
    }
    const target = spec.name === 'snapshots' ? 'images' : spec.name;

    (catalog[target] as unknown[]).push(...(r.value as unknown[]));
  });

  return { catalog, errors };
}

/** What validation checks choices against: the lists that loaded (a list that failed is not checked). */
export function catalogContext(catalog: Catalog, failed: string[]): CatalogContext {
  const ok = (...lists: string[]) => !lists.some((l) => failed.includes(l));

  return {
    locations:   ok('locations') ? catalog.locations : undefined,
    serverTypes: ok('server_types') ? catalog.server_types : undefined,
    images:      ok('images', 'snapshots') ? catalog.images : undefined,
    networks:    ok('networks') ? catalog.networks : undefined,
    primaryIps:  ok('primary_ips') ? catalog.primary_ips : undefined,
    volumes:     ok('volumes') ? catalog.volumes : undefined,
  };
}
