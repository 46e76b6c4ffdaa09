// The read-only catalogue: locations, server types and system images, shaped like the live API in 2026
// (per-location availability and deprecation on server types, no datacenters).

export interface Location {
  id: number;
  name: string;
  description: string;
  country: string;
  city: string;
  latitude: number;
  longitude: number;
  network_zone: string;
}

export interface Deprecation {
  announced: string;
  unavailable_after: string;
}

export interface ServerTypeLocation {
  id: number;
  name: string;
  deprecation: Deprecation | null;
  available: boolean;
  recommended: boolean;
}

export interface Price {
  location: string;
  price_hourly: { net: string; gross: string };
  price_monthly: { net: string; gross: string };
  included_traffic: number;
  price_per_tb_traffic: { net: string; gross: string };
}

export interface ServerType {
  id: number;
  name: string;
  description: string;
  category: string;
  cores: number;
  memory: number;
  disk: number;
  storage_type: 'local' | 'network';
  cpu_type: 'shared' | 'dedicated';
  architecture: 'x86' | 'arm';
  deprecated: boolean;
  deprecation: Deprecation | null;
  prices: Price[];
  locations: ServerTypeLocation[];
}

export interface Image {
  id: number;
  type: 'system' | 'snapshot' | 'backup' | 'app';
  status: 'available' | 'creating' | 'unavailable';
  name: string | null;
  description: string;
  image_size: number | null;
  disk_size: number;
  created: string;
  created_from: { id: number; name: string } | null;
  bound_to: number | null;
  os_flavor: string;
  os_version: string | null;
  rapid_deploy: boolean;
  protection: { delete: boolean };
  deprecated: string | null;
  deleted: string | null;
  labels: Record<string, string>;
  architecture: 'x86' | 'arm';
}

export const LOCATIONS: Location[] = [
  loc(1, 'fsn1', 'Falkenstein DC Park 1', 'DE', 'Falkenstein', 50.47612, 12.370071, 'eu-central'),
  loc(2, 'nbg1', 'Nuremberg DC Park 1', 'DE', 'Nuremberg', 49.452102, 11.076665, 'eu-central'),
  loc(3, 'hel1', 'Helsinki DC Park 1', 'FI', 'Helsinki', 60.169855, 24.938379, 'eu-central'),
  loc(4, 'ash', 'Ashburn, VA', 'US', 'Ashburn, VA', 39.045821, -77.487073, 'us-east'),
  loc(5, 'hil', 'Hillsboro, OR', 'US', 'Hillsboro, OR', 45.54222, -122.951924, 'us-west'),
  loc(6, 'sin', 'Singapore', 'SG', 'Singapore', 1.283333, 103.833333, 'ap-southeast'),
];

function loc(
  id: number,
  name: string,
  description: string,
  country: string,
  city: string,
  latitude: number,
  longitude: number,
  network_zone: string,
): Location {
  return { id, name, description, country, city, latitude, longitude, network_zone };
}

const EU = ['fsn1', 'nbg1', 'hel1'];
const ALL = LOCATIONS.map((l) => l.name);
const TB = 1024 ** 4;

interface TypeSpec {
  name: string;
  description: string;
  category: string;
  cores: number;
  memory: number;
  disk: number;
  cpu: 'shared' | 'dedicated';
  arch: 'x86' | 'arm';
  monthly: number;
  where: string[];
  /** Locations listed for the type but currently not orderable there. */
  unavailable?: string[];
  deprecation?: Deprecation;
}

const TYPES: TypeSpec[] = [
  {
    name: 'cx23',
    description: 'CX23',
    category: 'cost_optimized',
    cores: 2,
    memory: 4,
    disk: 40,
    cpu: 'shared',
    arch: 'x86',
    monthly: 3.49,
    where: EU,
  },
  {
    name: 'cx33',
    description: 'CX33',
    category: 'cost_optimized',
    cores: 4,
    memory: 8,
    disk: 80,
    cpu: 'shared',
    arch: 'x86',
    monthly: 5.49,
    where: EU,
  },
  {
    name: 'cpx22',
    description: 'CPX22',
    category: 'regular_purpose',
    cores: 2,
    memory: 4,
    disk: 80,
    cpu: 'shared',
    arch: 'x86',
    monthly: 6.49,
    where: ALL,
  },
  {
    name: 'cpx32',
    description: 'CPX32',
    category: 'regular_purpose',
    cores: 4,
    memory: 8,
    disk: 160,
    cpu: 'shared',
    arch: 'x86',
    monthly: 11.49,
    where: ALL,
  },
  {
    name: 'cax11',
    description: 'CAX11',
    category: 'cost_optimized',
    cores: 2,
    memory: 4,
    disk: 40,
    cpu: 'shared',
    arch: 'arm',
    monthly: 3.79,
    where: EU,
  },
  {
    name: 'cax21',
    description: 'CAX21',
    category: 'cost_optimized',
    cores: 4,
    memory: 8,
    disk: 80,
    cpu: 'shared',
    arch: 'arm',
    monthly: 6.49,
    where: EU,
  },
  {
    name: 'ccx13',
    description: 'CCX13 Dedicated CPU',
    category: 'general_purpose',
    cores: 2,
    memory: 8,
    disk: 80,
    cpu: 'dedicated',
    arch: 'x86',
    monthly: 12.49,
    where: ALL,
    unavailable: ['sin'],
  },
  {
    name: 'cx22',
    description: 'CX22',
    category: 'cost_optimized',
    cores: 2,
    memory: 4,
    disk: 40,
    cpu: 'shared',
    arch: 'x86',
    monthly: 3.79,
    where: ['fsn1', 'nbg1'],
    deprecation: { announced: '2025-10-16T06:00:00+00:00', unavailable_after: '2027-01-01T00:00:00+00:00' },
  },
];

const money = (n: number) => ({ net: n.toFixed(4), gross: (n * 1.19).toFixed(4) });
/**
 * Prices differ per location, as on Hetzner's price list, where the US and Singapore cost more than the EU; the
 * factors are the mock's (net EU price × factor, rounded to the cent).
 */
const LOCATION_PRICE_FACTOR: Record<string, number> = { ash: 1.2, hil: 1.2, sin: 1.35 };
const monthlyIn = (t: TypeSpec, l: string) => Math.round(t.monthly * (LOCATION_PRICE_FACTOR[l] ?? 1) * 100) / 100;

export function buildServerTypes(nextId: () => number): ServerType[] {
  return TYPES.map((t) => ({
    id: nextId(),
    name: t.name,
    description: t.description,
    category: t.category,
    cores: t.cores,
    memory: t.memory,
    disk: t.disk,
    storage_type: 'local',
    cpu_type: t.cpu,
    architecture: t.arch,
    deprecated: t.deprecation !== undefined,
    deprecation: t.deprecation ?? null,
    prices: t.where.map((l) => ({
      location: l,
      price_hourly: money(monthlyIn(t, l) / 730),
      price_monthly: money(monthlyIn(t, l)),
      included_traffic: (EU.includes(l) ? 20 : 1) * TB,
      price_per_tb_traffic: money(1),
    })),
    locations: t.where.map((l) => ({
      id: LOCATIONS.find((x) => x.name === l)!.id,
      name: l,
      deprecation: t.deprecation ?? null,
      available: !t.unavailable?.includes(l),
      recommended: !t.deprecation && !t.unavailable?.includes(l) && t.category !== 'general_purpose',
    })),
  }));
}

interface ImageSpec {
  name: string;
  flavor: string;
  version: string;
  deprecated?: string;
}

const SYSTEM_IMAGES: ImageSpec[] = [
  { name: 'ubuntu-24.04', flavor: 'ubuntu', version: '24.04' },
  { name: 'ubuntu-22.04', flavor: 'ubuntu', version: '22.04' },
  { name: 'debian-12', flavor: 'debian', version: '12' },
  { name: 'rocky-9', flavor: 'rocky', version: '9' },
  { name: 'ubuntu-20.04', flavor: 'ubuntu', version: '20.04', deprecated: '2025-06-01T00:00:00+00:00' },
];

export function buildSystemImages(nextId: () => number): Image[] {
  const images: Image[] = [];
  for (const spec of SYSTEM_IMAGES) {
    // Same name for both architectures, different IDs: clients must filter by architecture.
    for (const arch of ['x86', 'arm'] as const) {
      images.push({
        id: nextId(),
        type: 'system',
        status: 'available',
        name: spec.name,
        description: `${spec.flavor[0]!.toUpperCase()}${spec.flavor.slice(1)} ${spec.version}`,
        image_size: null,
        disk_size: 5,
        created: '2024-04-25T00:00:00+00:00',
        created_from: null,
        bound_to: null,
        os_flavor: spec.flavor,
        os_version: spec.version,
        rapid_deploy: true,
        protection: { delete: false },
        deprecated: spec.deprecated ?? null,
        deleted: null,
        labels: {},
        architecture: arch,
      });
    }
  }
  return images;
}

export function snapshotImage(
  id: number,
  opts: {
    description: string;
    labels: Record<string, string>;
    architecture: 'x86' | 'arm';
    from?: { id: number; name: string };
  },
): Image {
  return {
    id,
    type: 'snapshot',
    status: 'available',
    name: null,
    description: opts.description,
    image_size: 1.8,
    disk_size: 40,
    created: '2026-10-01T12:00:00+00:00',
    created_from: opts.from ?? null,
    bound_to: null,
    os_flavor: 'ubuntu',
    os_version: null,
    rapid_deploy: false,
    protection: { delete: false },
    deprecated: null,
    deleted: null,
    labels: opts.labels,
    architecture: opts.architecture,
  };
}
