// The mock's data model: one record type per resource, as the state keeps it (IDs where the API nests objects;
// the API shapes are made from these in state.ts). Types only, so every module can use them without importing the
// state container.
import type { Labels } from './labels';

export type ServerStatus =
  | 'initializing'
  | 'starting'
  | 'running'
  | 'stopping'
  | 'off'
  | 'deleting'
  | 'migrating'
  | 'rebuilding'
  | 'unknown';

export interface PrivateNet {
  network: number;
  ip: string;
  alias_ips: string[];
  mac_address: string;
}

export interface ServerRecord {
  id: number;
  name: string;
  status: ServerStatus;
  created: string;
  serverTypeId: number;
  locationId: number;
  imageId: number | null;
  labels: Labels;
  /** Primary IP ids; the addresses live on the primary IP records. */
  ipv4: number | null;
  ipv6: number | null;
  firewalls: { id: number; status: 'pending' | 'applied' }[];
  privateNet: PrivateNet[];
  placementGroupId: number | null;
  volumes: number[];
  protection: { delete: boolean; rebuild: boolean };
  /** Kept for tests to inspect; never serialized, never logged. */
  userData: string | null;
}

export interface PrimaryIpRecord {
  id: number;
  name: string;
  ip: string;
  type: 'ipv4' | 'ipv6';
  /** The server it is assigned to; the API shape's assignee_type follows from it (see primaryIpJson). */
  assignee_id: number | null;
  auto_delete: boolean;
  blocked: boolean;
  created: string;
  dns_ptr: { ip: string; dns_ptr: string }[];
  labels: Labels;
  protection: { delete: boolean };
  locationId: number;
}

export interface SshKeyRecord {
  id: number;
  name: string;
  fingerprint: string;
  public_key: string;
  labels: Labels;
  created: string;
}

export interface FirewallRule {
  direction: 'in' | 'out';
  protocol: 'tcp' | 'udp' | 'icmp' | 'esp' | 'gre';
  port: string | null;
  source_ips: string[];
  destination_ips: string[];
  description: string | null;
}

export type AppliedTo =
  | { type: 'server'; server: { id: number } }
  | {
      type: 'label_selector';
      label_selector: { selector: string };
      applied_to_resources: { type: 'server'; server: { id: number } }[];
    };

export interface FirewallRecord {
  id: number;
  name: string;
  labels: Labels;
  created: string;
  rules: FirewallRule[];
  applied_to: AppliedTo[];
}

export interface Subnet {
  type: 'cloud' | 'server' | 'vswitch';
  ip_range: string;
  network_zone: string;
  gateway: string;
  vswitch_id: number | null;
}

export interface NetworkRecord {
  id: number;
  name: string;
  ip_range: string;
  subnets: Subnet[];
  routes: { destination: string; gateway: string }[];
  servers: number[];
  load_balancers: number[];
  labels: Labels;
  protection: { delete: boolean };
  created: string;
  expose_routes_to_vswitch: boolean;
}

export interface PlacementGroupRecord {
  id: number;
  name: string;
  type: 'spread';
  servers: number[];
  labels: Labels;
  created: string;
}

export interface VolumeRecord {
  id: number;
  name: string;
  size: number;
  server: number | null;
  locationId: number;
  linux_device: string;
  protection: { delete: boolean };
  labels: Labels;
  status: 'available' | 'creating';
  format: string | null;
  created: string;
}

export interface MockLimits {
  firewallsPerServer: number;
  rulesPerFirewall: number;
  ipsPerRule: number;
  serversPerPlacementGroup: number;
  userDataBytes: number;
  /** The real error for a 6th firewall on a server is undocumented; this is what the mock answers. */
  firewallLimitError: { status: number; code: string };
}

export type ConcurrentSetRulesMode = 'lastWins' | 'conflict' | 'locked';
