// The subset of Hetzner Cloud API objects the forms read. Field names follow the public API exactly.

export interface Pagination {
  page: number;
  per_page: number;
  previous_page: number | null;
  next_page: number | null;
  last_page: number | null;
  total_entries: number | null;
}

export interface Location {
  id: number;
  name: string;
  description: string;
  country: string;
  city: string;
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
  available?: boolean;
  recommended?: boolean;
}

export interface Price {
  location: string;
  price_hourly: { net: string; gross: string };
  price_monthly: { net: string; gross: string };
}

export type Architecture = 'x86' | 'arm';

export interface ServerType {
  id: number;
  name: string;
  description: string;
  category?: string;
  cores: number;
  memory: number;
  disk: number;
  storage_type?: string;
  cpu_type: 'shared' | 'dedicated';
  architecture: Architecture;
  prices: Price[];
  deprecated?: boolean | null;
  deprecation?: Deprecation | null;
  locations?: ServerTypeLocation[];
}

export interface Image {
  id: number;
  type: 'system' | 'snapshot' | 'backup' | 'app';
  status: 'available' | 'creating' | 'unavailable';
  name: string | null;
  description: string;
  os_flavor: string;
  os_version: string | null;
  architecture: Architecture;
  deprecated: string | null;
  labels: Record<string, string>;
}

export interface Subnet {
  type: string;
  ip_range: string;
  network_zone: string;
  gateway: string;
}

export interface Network {
  id: number;
  name: string;
  ip_range: string;
  subnets: Subnet[];
  labels: Record<string, string>;
}

export interface Firewall {
  id: number;
  name: string;
  labels: Record<string, string>;
  rules: unknown[];
  applied_to: unknown[];
}

export interface SshKey {
  id: number;
  name: string;
  fingerprint: string;
}

export interface PlacementGroup {
  id: number;
  name: string;
  type: string;
  servers: number[];
}

/** Where a primary IP or volume lives: `location` now; older API versions nest it in `datacenter`. */
export interface Placed {
  location?: { name: string } | null;
  datacenter?: { location?: { name: string } | null } | null;
}

export interface PrimaryIp extends Placed {
  id: number;
  name: string;
  ip: string;
  type: 'ipv4' | 'ipv6';
  assignee_id: number | null;
  auto_delete?: boolean;
}

export interface Volume extends Placed {
  id: number;
  name: string;
  size: number;
  server: number | null;
  status?: string;
}

/** The list endpoints the forms use, with the key under which each response carries its items. */
export const RESOURCES = {
  locations:        'locations',
  server_types:     'server_types',
  images:           'images',
  networks:         'networks',
  firewalls:        'firewalls',
  ssh_keys:         'ssh_keys',
  placement_groups: 'placement_groups',
  primary_ips:      'primary_ips',
  volumes:          'volumes',
} as const;

export type ResourceName = keyof typeof RESOURCES;

export interface ResourceTypes {
  locations: Location;
  server_types: ServerType;
  images: Image;
  networks: Network;
  firewalls: Firewall;
  ssh_keys: SshKey;
  placement_groups: PlacementGroup;
  primary_ips: PrimaryIp;
  volumes: Volume;
}
