// Pure functions that turn the Hetzner catalogue into form choices. The form never shows a choice the API would
// refuse for the current selection: server types follow the location, images follow the type's architecture,
// networks follow the location's network zone.
import type {
  Architecture, Image, Location, Network, Price, ServerType
} from './hcloud';

/** A LabeledSelect option. Group headers use shell's `kind: 'group'` convention and cannot be picked. */
export interface SelectOption {
  label: string;
  value: string;
  kind?: 'group';
  disabled?: boolean;
}

export function groupHeader(label: string, id: string): SelectOption {
  return {
    label, value: `group:${ id }`, kind: 'group', disabled: true
  };
}

export function selectable(options: SelectOption[]): SelectOption[] {
  return options.filter((o) => o.kind !== 'group');
}

const byName = <T extends { name: string | null }>(a: T, b: T): number => (a.name ?? '').localeCompare(b.name ?? '');

/** Locations grouped by network zone (a server can only join networks with a subnet in its zone). */
export function locationOptions(locations: Location[], zoneLabel: (zone: string) => string): SelectOption[] {
  const zones = new Map<string, Location[]>();

  for (const l of locations) {
    const list = zones.get(l.network_zone) ?? [];

    list.push(l);
    zones.set(l.network_zone, list);
  }
  const out: SelectOption[] = [];

  for (const zone of [...zones.keys()].sort()) {
    out.push(groupHeader(zoneLabel(zone), zone));
    for (const l of (zones.get(zone) ?? []).sort(byName)) {
      out.push({ label: `${ l.name } — ${ l.city }, ${ l.country }`, value: l.name });
    }
  }

  return out;
}

export type Availability = 'available' | 'deprecated' | 'unavailable' | 'notSold';

/**
 * Whether a server type can be ordered in a location. `locations[]` is the current source of truth; `prices[]` is
 * the fallback for API versions without it. A legacy top-level deprecation retires the type everywhere.
 */
export function typeAvailability(type: ServerType, location: string): Availability {
  if (type.deprecated === true) return 'deprecated';
  if (Array.isArray(type.locations)) {
    const entry = type.locations.find((l) => l.name === location);

    if (!entry) return 'notSold';
    if (entry.deprecation) return 'deprecated';
    if (entry.available === false) return 'unavailable';

    return 'available';
  }
  if (type.deprecation) return 'deprecated';

  return type.prices.some((p) => p.location === location) ? 'available' : 'notSold';
}

export function availableServerTypes(types: ServerType[], location: string): ServerType[] {
  return types.filter((t) => typeAvailability(t, location) === 'available');
}

export function priceFor(type: ServerType, location: string): Price | undefined {
  return type.prices.find((p) => p.location === location);
}

/** "€4.51": the gross monthly price, which is what the Hetzner console shows customers. */
export function formatMonthly(price: Price | undefined): string | undefined {
  if (!price) return undefined;
  const n = Number(price.price_monthly.gross);

  return Number.isFinite(n) ? `€${ n.toFixed(2) }` : undefined;
}

export interface TypeLabels {
  group: (cpuType: 'shared' | 'dedicated') => string;
  detail: (args: {
    name: string;
    arch: string;
    cores: number;
    memory: number;
    disk: number;
    /** The gross monthly price; absent when Hetzner lists none for the location. */
    price?: string;
  }) => string;
}

const cpuOrder = { shared: 0, dedicated: 1 } as const;

/** Server types sold (and not deprecated) in `location`, grouped shared/dedicated, smallest first. */
export function serverTypeOptions(types: ServerType[], location: string, labels: TypeLabels): SelectOption[] {
  const avail = availableServerTypes(types, location).sort(
    (a, b) => cpuOrder[a.cpu_type] - cpuOrder[b.cpu_type] ||
      a.cores - b.cores ||
      a.memory - b.memory ||
      a.name.localeCompare(b.name),
  );
  const out: SelectOption[] = [];
  let group: string | undefined;

  for (const t of avail) {
    if (t.cpu_type !== group) {
      group = t.cpu_type;
      out.push(groupHeader(labels.group(t.cpu_type), t.cpu_type));
    }
    out.push({
      label: labels.detail({
        name:   t.name,
        arch:   t.architecture,
        cores:  t.cores,
        memory: t.memory,
        disk:   t.disk,
        price:  formatMonthly(priceFor(t, location)),
      }),
      value: t.name,
    });
  }

  return out;
}

/**
 * The value written to `image`: system images by name (the driver resolves the name for the type's architecture),
 * snapshots by ID because they usually have no name.
 */
export function imageValue(image: Image): string {
  return image.type === 'system' && image.name ? image.name : String(image.id);
}

export function usableImages(images: Image[], arch: Architecture | undefined): Image[] {
  return images.filter(
    (i) => (i.type === 'system' || i.type === 'snapshot') &&
      i.status === 'available' &&
      !i.deprecated &&
      (!arch || i.architecture === arch),
  );
}

export interface ImageLabels {
  system: string;
  snapshot: string;
  snapshotLabel: (args: { id: number; description: string }) => string;
}

export function imageOptions(images: Image[], arch: Architecture | undefined, labels: ImageLabels): SelectOption[] {
  const usable = usableImages(images, arch);
  const system = usable.filter((i) => i.type === 'system').sort(byName);
  const snapshots = usable.filter((i) => i.type === 'snapshot').sort((a, b) => a.id - b.id);
  const out: SelectOption[] = [];

  if (system.length) {
    out.push(groupHeader(labels.system, 'system'));
    for (const i of system) {
      out.push({ label: i.description ? `${ i.name } — ${ i.description }` : (i.name ?? String(i.id)), value: imageValue(i) });
    }
  }
  if (snapshots.length) {
    out.push(groupHeader(labels.snapshot, 'snapshot'));
    for (const i of snapshots) {
      out.push({ label: labels.snapshotLabel({ id: i.id, description: i.description || '' }), value: imageValue(i) });
    }
  }

  return out;
}

/** Finds the image a stored `image` value refers to, for the given architecture. */
export function findImage(images: Image[], value: string, arch: Architecture | undefined): Image | undefined {
  return images.find((i) => imageValue(i) === value && (!arch || i.architecture === arch));
}

/** Networks that have a subnet in `zone`: a server can only attach to those. */
export function networksInZone(networks: Network[], zone: string | undefined): Network[] {
  if (!zone) return networks;

  return networks.filter((n) => n.subnets.some((s) => s.network_zone === zone));
}

/** Options keyed by ID (as a string, the type Rancher's schema uses), labelled by name. */
export function idOptions(items: { id: number; name: string }[]): SelectOption[] {
  return [...items].sort(byName).map((i) => ({ label: i.name, value: String(i.id) }));
}

/** Resolves stored IDs (or names, which the driver also accepts) to display names for view mode. */
export function displayNames(values: string[], items: { id: number; name: string }[]): string[] {
  return values.map((v) => items.find((i) => String(i.id) === v || i.name === v)?.name ?? v);
}
