import { type Action, ActionEngine, type ActionEngineOptions, type ActionError } from './actions';
import { buildServerTypes, buildSystemImages, type Image, LOCATIONS, type Location, type ServerType } from './catalog';
import type { Labels } from './labels';
import { seedUserResources } from './seed';
import { ApiError, byIdOr404, createPrng, formatIpv4, isoNow, notFound, parseIpv4 } from './util';

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

export interface MockStateOptions extends Omit<ActionEngineOptions, 'nextId'> {
  seed?: number;
  seedData?: boolean;
  labelSelectorPropagationMs?: number;
}

const ID_BASE = 4_000_000_000;

// Documentation ranges (RFC 5737, RFC 5771 MCAST-TEST-NET): unique per server, never routable.
const IPV4_POOLS = ['203.0.113.0', '198.51.100.0', '192.0.2.0', '233.252.0.0'].map((b) => parseIpv4(b)!);

export class MockState {
  readonly servers = new Map<number, ServerRecord>();
  readonly sshKeys = new Map<number, SshKeyRecord>();
  readonly firewalls = new Map<number, FirewallRecord>();
  readonly networks = new Map<number, NetworkRecord>();
  readonly placementGroups = new Map<number, PlacementGroupRecord>();
  readonly primaryIps = new Map<number, PrimaryIpRecord>();
  readonly volumes = new Map<number, VolumeRecord>();
  readonly images = new Map<number, Image>();
  readonly serverTypes = new Map<number, ServerType>();
  readonly locations = new Map<number, Location>();
  readonly actions: ActionEngine;
  readonly limits: MockLimits = defaultLimits();
  concurrentSetRules: ConcurrentSetRulesMode = 'lastWins';
  labelSelectorPropagationMs: number;
  random: () => number;

  private idCounter = ID_BASE;
  private ipv6Counter = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: MockStateOptions = {}) {
    this.random = createPrng(options.seed ?? 0x5eed);
    this.labelSelectorPropagationMs = options.labelSelectorPropagationMs ?? 1000;
    this.actions = new ActionEngine({ ...options, nextId: () => this.nextId() });
    this.populate();
  }

  nextId(): number {
    // Stride keeps IDs of different kinds from lining up, which catches mixed-up IDs in clients.
    this.idCounter += 1 + Math.floor(this.random() * 16);
    return this.idCounter;
  }

  /** Back to the initial catalogue and seed data; running actions and pending timers are dropped. */
  reset(): void {
    this.actions.clear();
    this.clearTimers();
    for (const m of [
      this.servers,
      this.sshKeys,
      this.firewalls,
      this.networks,
      this.placementGroups,
      this.primaryIps,
      this.volumes,
      this.images,
      this.serverTypes,
      this.locations,
    ]) {
      m.clear();
    }
    Object.assign(this.limits, defaultLimits());
    this.concurrentSetRules = 'lastWins';
    this.labelSelectorPropagationMs = this.options.labelSelectorPropagationMs ?? 1000;
    this.random = createPrng(this.options.seed ?? 0x5eed);
    this.idCounter = ID_BASE;
    this.ipv6Counter = 0;
    this.populate();
  }

  completeAction(id: number, result: { error?: ActionError | null } = {}): Action {
    if (!this.actions.get(id)) throw notFound(`action ${id}`);
    return this.actions.complete(id, result);
  }

  /** Schedules state work on a timer that stop()/reset() cancel. */
  later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  // ---- lookups -------------------------------------------------------------------------------------------------

  server(id: number): ServerRecord {
    return byIdOr404(this.servers, id, 'server');
  }

  serverTypeByRef(ref: unknown): ServerType | undefined {
    return [...this.serverTypes.values()].find((t) => t.id === Number(ref) || t.name === ref);
  }

  locationByRef(ref: unknown): Location | undefined {
    return [...this.locations.values()].find((l) => l.id === Number(ref) || l.name === ref);
  }

  location(id: number): Location {
    return this.locations.get(id)!;
  }

  // ---- allocation ----------------------------------------------------------------------------------------------

  allocateIpv4(): string {
    const used = new Set([...this.primaryIps.values()].filter((p) => p.type === 'ipv4').map((p) => p.ip));
    for (const base of IPV4_POOLS) {
      for (let host = 2; host < 255; host++) {
        const ip = formatIpv4(base + host);
        if (!used.has(ip)) return ip;
      }
    }
    throw new ApiError(412, 'resource_unavailable', 'no IPv4 address available in the mock pools');
  }

  allocateIpv6(): string {
    this.ipv6Counter++;
    return `2001:db8:${(0x1000 + this.ipv6Counter).toString(16)}::/64`;
  }

  macAddress(): string {
    const bytes = [0x86, 0x00, 0x00];
    for (let i = 0; i < 3; i++) bytes.push(Math.floor(this.random() * 256));
    return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
  }

  createPrimaryIp(type: 'ipv4' | 'ipv6', locationId: number, opts: Partial<PrimaryIpRecord> = {}): PrimaryIpRecord {
    const id = this.nextId();
    const ip = type === 'ipv4' ? this.allocateIpv4() : this.allocateIpv6();
    const rec: PrimaryIpRecord = {
      id,
      name: opts.name ?? `primary_ip-${id}`,
      ip,
      type,
      assignee_id: opts.assignee_id ?? null,
      auto_delete: opts.auto_delete ?? false,
      blocked: false,
      created: isoNow(),
      dns_ptr: type === 'ipv4' ? [{ ip, dns_ptr: defaultPtr(ip) }] : [],
      labels: opts.labels ?? {},
      protection: { delete: false },
      locationId,
    };
    this.primaryIps.set(id, rec);
    return rec;
  }

  // ---- serialization (API shapes) --------------------------------------------------------------------------------

  serverJson(s: ServerRecord): Record<string, unknown> {
    const ipv4 = s.ipv4 === null ? undefined : this.primaryIps.get(s.ipv4);
    const ipv6 = s.ipv6 === null ? undefined : this.primaryIps.get(s.ipv6);
    const type = this.serverTypes.get(s.serverTypeId)!;
    const pg = s.placementGroupId === null ? undefined : this.placementGroups.get(s.placementGroupId);
    const image = s.imageId === null ? undefined : this.images.get(s.imageId);
    const price = type.prices.find((p) => p.location === this.location(s.locationId).name);
    return {
      id: s.id,
      name: s.name,
      status: s.status,
      created: s.created,
      public_net: {
        ipv4: ipv4
          ? {
              id: ipv4.id,
              ip: ipv4.ip,
              blocked: ipv4.blocked,
              dns_ptr: ipv4.dns_ptr.find((d) => d.ip === ipv4.ip)?.dns_ptr ?? defaultPtr(ipv4.ip),
            }
          : null,
        ipv6: ipv6
          ? { id: ipv6.id, ip: ipv6.ip, blocked: ipv6.blocked, dns_ptr: ipv6.dns_ptr.map((d) => ({ ...d })) }
          : null,
        floating_ips: [],
        firewalls: s.firewalls.map((f) => ({ ...f })),
      },
      private_net: s.privateNet.map((p) => ({ ...p, alias_ips: [...p.alias_ips] })),
      server_type: structuredClone(type),
      location: { ...this.location(s.locationId) },
      image: image ? structuredClone(image) : null,
      iso: null,
      rescue_enabled: false,
      locked: this.actions.isLocked(`server:${s.id}`),
      backup_window: null,
      outgoing_traffic: 0,
      ingoing_traffic: 0,
      included_traffic: price?.included_traffic ?? 0,
      protection: { ...s.protection },
      labels: { ...s.labels },
      volumes: [...s.volumes],
      load_balancers: [],
      primary_disk_size: type.disk,
      placement_group: pg ? this.placementGroupJson(pg) : null,
    };
  }

  primaryIpJson(p: PrimaryIpRecord): Record<string, unknown> {
    const { locationId, ...rest } = p;
    return {
      ...structuredClone(rest),
      // Since 2026-08-01 the API says `unassigned` for a primary IP that is not assigned (before: always `server`).
      assignee_type: p.assignee_id === null ? 'unassigned' : 'server',
      location: { ...this.location(locationId) },
    };
  }

  volumeJson(v: VolumeRecord): Record<string, unknown> {
    const { locationId, ...rest } = v;
    return { ...structuredClone(rest), location: { ...this.location(locationId) } };
  }

  firewallJson(f: FirewallRecord): Record<string, unknown> {
    return structuredClone(f) as unknown as Record<string, unknown>;
  }

  networkJson(n: NetworkRecord): Record<string, unknown> {
    return structuredClone(n) as unknown as Record<string, unknown>;
  }

  placementGroupJson(p: PlacementGroupRecord): Record<string, unknown> {
    return structuredClone(p) as unknown as Record<string, unknown>;
  }

  sshKeyJson(k: SshKeyRecord): Record<string, unknown> {
    return { ...k, labels: { ...k.labels } };
  }

  /** Everything in API shape, for assertions and the control API. */
  snapshot(): Record<string, unknown[]> {
    return {
      servers: [...this.servers.values()].map((s) => this.serverJson(s)),
      ssh_keys: [...this.sshKeys.values()].map((k) => this.sshKeyJson(k)),
      firewalls: [...this.firewalls.values()].map((f) => this.firewallJson(f)),
      networks: [...this.networks.values()].map((n) => this.networkJson(n)),
      placement_groups: [...this.placementGroups.values()].map((p) => this.placementGroupJson(p)),
      primary_ips: [...this.primaryIps.values()].map((p) => this.primaryIpJson(p)),
      volumes: [...this.volumes.values()].map((v) => this.volumeJson(v)),
      images: [...this.images.values()].map((i) => structuredClone(i)),
      actions: this.actions.all(),
    };
  }

  /**
   * Cross-references that must always hold; tests call this after concurrent scenarios. Returns the violations
   * (empty when consistent).
   */
  checkInvariants(): string[] {
    const problems: string[] = [];
    for (const s of this.servers.values()) {
      if (s.firewalls.length > this.limits.firewallsPerServer) {
        problems.push(`server ${s.id} has ${s.firewalls.length} firewalls`);
      }
      for (const f of s.firewalls) {
        const fw = this.firewalls.get(f.id);
        const covered =
          fw?.applied_to.some((a) =>
            a.type === 'server' ? a.server.id === s.id : a.applied_to_resources.some((r) => r.server.id === s.id),
          ) ?? false;
        if (!covered) problems.push(`server ${s.id} lists firewall ${f.id} that does not apply to it`);
      }
      for (const p of s.privateNet) {
        if (!this.networks.get(p.network)?.servers.includes(s.id)) {
          problems.push(`server ${s.id} is in network ${p.network} but not in its servers[]`);
        }
      }
      for (const [ref, family] of [
        [s.ipv4, 'ipv4'],
        [s.ipv6, 'ipv6'],
      ] as const) {
        if (ref !== null && this.primaryIps.get(ref)?.assignee_id !== s.id) {
          problems.push(`server ${s.id} uses ${family} primary IP ${ref} not assigned to it`);
        }
      }
    }
    for (const fw of this.firewalls.values()) {
      for (const a of fw.applied_to) {
        const ids = a.type === 'server' ? [a.server.id] : a.applied_to_resources.map((r) => r.server.id);
        for (const id of ids)
          if (!this.servers.has(id)) problems.push(`firewall ${fw.id} applies to missing server ${id}`);
      }
    }
    for (const net of this.networks.values()) {
      for (const id of net.servers) {
        if (!this.servers.get(id)?.privateNet.some((p) => p.network === net.id)) {
          problems.push(`network ${net.id} lists server ${id} that is not attached`);
        }
      }
    }
    for (const pg of this.placementGroups.values()) {
      if (pg.servers.length > this.limits.serversPerPlacementGroup) {
        problems.push(`placement group ${pg.id} has ${pg.servers.length} servers`);
      }
    }
    const v4 = [...this.primaryIps.values()].filter((p) => p.type === 'ipv4').map((p) => p.ip);
    if (new Set(v4).size !== v4.length) problems.push('duplicate IPv4 primary IPs');
    return problems;
  }

  // ---- seeding ---------------------------------------------------------------------------------------------------

  /**
   * Adds a server directly (no actions, no validation): for tests that need a pre-existing machine.
   * Gets fresh primary IPs unless `ipv4`/`ipv6` are explicitly null.
   */
  addServer(init: {
    name: string;
    serverType?: string;
    location?: string;
    image?: string;
    status?: ServerStatus;
    labels?: Labels;
    ipv4?: null;
    ipv6?: null;
  }): ServerRecord {
    const type = this.serverTypeByRef(init.serverType ?? 'cx23');
    const location = this.locationByRef(init.location ?? 'fsn1');
    if (!type || !location) throw new Error(`unknown server type or location for ${init.name}`);
    const image = [...this.images.values()].find(
      (i) => i.name === (init.image ?? 'ubuntu-24.04') && i.architecture === type.architecture,
    );
    const id = this.nextId();
    const v4 =
      init.ipv4 === null ? null : this.createPrimaryIp('ipv4', location.id, { assignee_id: id, auto_delete: true });
    const v6 =
      init.ipv6 === null ? null : this.createPrimaryIp('ipv6', location.id, { assignee_id: id, auto_delete: true });
    const rec: ServerRecord = {
      id,
      name: init.name,
      status: init.status ?? 'running',
      created: isoNow(),
      serverTypeId: type.id,
      locationId: location.id,
      imageId: image?.id ?? null,
      labels: { ...(init.labels ?? {}) },
      ipv4: v4?.id ?? null,
      ipv6: v6?.id ?? null,
      firewalls: [],
      privateNet: [],
      placementGroupId: null,
      volumes: [],
      protection: { delete: false, rebuild: false },
      userData: null,
    };
    this.servers.set(id, rec);
    return rec;
  }

  private populate(): void {
    for (const l of LOCATIONS) this.locations.set(l.id, { ...l });
    for (const t of buildServerTypes(() => this.nextId())) this.serverTypes.set(t.id, t);
    for (const i of buildSystemImages(() => this.nextId())) this.images.set(i.id, i);
    if (this.options.seedData !== false) seedUserResources(this);
  }
}

function defaultLimits(): MockLimits {
  return {
    firewallsPerServer: 5,
    rulesPerFirewall: 50,
    ipsPerRule: 100,
    serversPerPlacementGroup: 10,
    userDataBytes: 32 * 1024,
    firewallLimitError: { status: 403, code: 'resource_limit_exceeded' },
  };
}

function defaultPtr(ip: string): string {
  return `static.${ip.split('.').reverse().join('.')}.clients.your-server.de`;
}
