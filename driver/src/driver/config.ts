// The machine's persisted state: the JSON rancher-machine stores as config.json → "Driver" and hands back through
// SetConfigRaw on every later invocation. Keys follow rancher-machine's BaseDriver and the Go Hetzner driver
// (docker-machine-driver-hetzner) so that machines created by the Go driver can still be removed by this one.
// User data is deliberately not persisted: it may hold secrets and is only needed during Create.

export interface MachineConfig {
  // BaseDriver
  IPAddress: string;
  IPv6Address: string;
  MachineName: string;
  SSHUser: string;
  SSHPort: number;
  SSHKeyPath: string;
  StorePath: string;
  SwarmMaster: boolean;
  SwarmHost: string;
  SwarmDiscovery: string;
  /**
   * The server's IP in its private network (the first of `Networks` it has an IP in), whenever one is attached; ''
   * without a network. Not a BaseDriver field: amazonec2 and others store it under this key, and Rancher's planner
   * reads it from the stored config as the node's internal address, IPAddress as its external one
   * (rancher/rancher pkg/capr/planner/config.go: `addAddresses` in v2.11.0 l.358/361 and v2.12.0 l.378/381,
   * `getMachineNetworkInfo` in v2.13.0 l.425/430, v2.14.0 l.438/443 and v2.15.0 l.491/496).
   */
  PrivateIPAddress: string;
  // Go Hetzner driver keys
  AccessToken: string;
  Image: string;
  ImageID: number;
  ImageArch: string;
  Type: string;
  Location: string;
  KeyID: number;
  IsExistingKey: boolean;
  ServerID: number;
  Networks: string[];
  UsePrivateNetwork: boolean;
  DisablePublic4: boolean;
  DisablePublic6: boolean;
  Firewalls: string[];
  ServerLabels: Record<string, string>;
  AdditionalKeys: string[];
  AdditionalKeyIDs: number[];
  // This driver's own keys
  APIEndpoint: string;
  PlacementGroup: string;
  CreateFirewall: boolean;
  FirewallName: string;
  AutoCreateFirewallRules: boolean;
  ClusterID: string;
  ExistingSSHKey: string;
  KeyName: string;
  /**
   * Create deleted its own SSH key (KeyID) once the server had it: Hetzner copies a key into a server only when the
   * server is made, so the key object is of no further use, and Remove needs no request for it.
   */
  KeyDeleted: boolean;
  // Networking extras: the PTR template (kept for reference), and what shapes the managed firewall's public rules,
  // which Remove's firewall update needs too.
  RDNSTemplate: string;
  FirewallAdminCIDRs: string[];
  FirewallCloseNodePorts: boolean;
  // Go Hetzner driver keys for existing primary IPs and volumes (attached at create, never deleted)
  PrimaryIPv4: string;
  PrimaryIPv6: string;
  Volumes: string[];
  PlacementGroupSpread: boolean;
  /** The auto-created spread group the server was put in (0: none), so Remove can delete it once empty. */
  AutoPlacementGroupID: number;
}

export function emptyConfig(): MachineConfig {
  return {
    IPAddress: '',
    IPv6Address: '',
    MachineName: '',
    SSHUser: '',
    SSHPort: 0,
    SSHKeyPath: '',
    StorePath: '',
    SwarmMaster: false,
    SwarmHost: '',
    SwarmDiscovery: '',
    PrivateIPAddress: '',
    AccessToken: '',
    Image: '',
    ImageID: 0,
    ImageArch: '',
    Type: '',
    Location: '',
    KeyID: 0,
    IsExistingKey: false,
    ServerID: 0,
    Networks: [],
    UsePrivateNetwork: false,
    DisablePublic4: false,
    DisablePublic6: false,
    Firewalls: [],
    ServerLabels: {},
    AdditionalKeys: [],
    AdditionalKeyIDs: [],
    APIEndpoint: '',
    PlacementGroup: '',
    CreateFirewall: false,
    FirewallName: '',
    AutoCreateFirewallRules: false,
    ClusterID: '',
    ExistingSSHKey: '',
    KeyName: '',
    KeyDeleted: false,
    RDNSTemplate: '',
    FirewallAdminCIDRs: [],
    FirewallCloseNodePorts: false,
    PrimaryIPv4: '',
    PrimaryIPv6: '',
    Volumes: [],
    PlacementGroupSpread: false,
    AutoPlacementGroupID: 0,
  };
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}
function num(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  return 0;
}
function bool(v: unknown): boolean {
  return v === true || v === 'true';
}
function strList(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => str(x)).filter((x) => x !== '') : [];
}
function numList(v: unknown): number[] {
  return Array.isArray(v) ? v.map((x) => num(x)).filter((x) => x !== 0) : [];
}
function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, val] of Object.entries(v)) out[k] = str(val);
  }
  return out;
}

/**
 * Parses the stored JSON leniently: Go writes `null` for nil slices and maps, older drivers lack our keys, and
 * unknown keys (WaitOnPolling, …) are ignored rather than rejected.
 */
export function parseConfig(json: Uint8Array | string): MachineConfig {
  const text = typeof json === 'string' ? json : new TextDecoder().decode(json);
  let raw: unknown;
  try {
    raw = text.trim() === '' ? {} : JSON.parse(text);
  } catch (e) {
    throw new Error(`SetConfigRaw: the machine configuration is not valid JSON (${(e as Error).message})`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error('SetConfigRaw: the machine configuration must be a JSON object');
  }
  const r = raw as Record<string, unknown>;
  const c = emptyConfig();
  c.IPAddress = str(r.IPAddress);
  c.IPv6Address = str(r.IPv6Address);
  c.MachineName = str(r.MachineName);
  c.SSHUser = str(r.SSHUser);
  c.SSHPort = num(r.SSHPort);
  c.SSHKeyPath = str(r.SSHKeyPath);
  c.StorePath = str(r.StorePath);
  c.SwarmMaster = bool(r.SwarmMaster);
  c.SwarmHost = str(r.SwarmHost);
  c.SwarmDiscovery = str(r.SwarmDiscovery);
  // Absent in configs saved before the driver stored it: those machines stay removable.
  c.PrivateIPAddress = str(r.PrivateIPAddress);
  c.AccessToken = str(r.AccessToken);
  c.Image = str(r.Image);
  c.ImageID = num(r.ImageID);
  c.ImageArch = str(r.ImageArch);
  c.Type = str(r.Type);
  c.Location = str(r.Location);
  c.KeyID = num(r.KeyID);
  c.IsExistingKey = bool(r.IsExistingKey);
  c.ServerID = num(r.ServerID);
  c.Networks = strList(r.Networks);
  c.UsePrivateNetwork = bool(r.UsePrivateNetwork);
  c.DisablePublic4 = bool(r.DisablePublic4);
  c.DisablePublic6 = bool(r.DisablePublic6);
  c.Firewalls = strList(r.Firewalls);
  c.ServerLabels = strMap(r.ServerLabels);
  c.AdditionalKeys = strList(r.AdditionalKeys);
  c.AdditionalKeyIDs = numList(r.AdditionalKeyIDs);
  c.APIEndpoint = str(r.APIEndpoint);
  c.PlacementGroup = str(r.PlacementGroup);
  c.CreateFirewall = bool(r.CreateFirewall);
  c.FirewallName = str(r.FirewallName);
  c.AutoCreateFirewallRules = bool(r.AutoCreateFirewallRules);
  c.ClusterID = str(r.ClusterID);
  c.ExistingSSHKey = str(r.ExistingSSHKey);
  c.KeyName = str(r.KeyName);
  c.KeyDeleted = bool(r.KeyDeleted);
  c.RDNSTemplate = str(r.RDNSTemplate);
  c.FirewallAdminCIDRs = strList(r.FirewallAdminCIDRs);
  c.FirewallCloseNodePorts = bool(r.FirewallCloseNodePorts);
  c.PrimaryIPv4 = str(r.PrimaryIPv4);
  c.PrimaryIPv6 = str(r.PrimaryIPv6);
  c.Volumes = strList(r.Volumes);
  c.PlacementGroupSpread = bool(r.PlacementGroupSpread);
  c.AutoPlacementGroupID = num(r.AutoPlacementGroupID);
  return c;
}

export function serializeConfig(c: MachineConfig): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(c));
}

/**
 * The stored config with the API token blanked, for transports that must never hand the token out (gRPC). Bytes
 * that are not a JSON object, or carry no token, come back unchanged.
 */
export function redactConfigSecrets(json: Uint8Array): Uint8Array {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(json));
  } catch {
    return json;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return json;
  const record = value as Record<string, unknown>;
  if (typeof record.AccessToken !== 'string' || record.AccessToken === '') return json;
  return new TextEncoder().encode(JSON.stringify({ ...record, AccessToken: '' }));
}
