// The driver's flags, each declared once in FLAGS: name, kind, usage, default, how its value is read, the key it is
// stored under in the machine config (the Go driver's name where it has one) and whether it is secret. Derived from
// this one table: GetCreateFlags, the typed settings SetConfigFromFlags reads, the stored config's flag keys and
// their copies both ways (config.ts), the README's flag table and the extension's field types (both written by
// scripts/gen-flags.ts; scripts/test/flag-table.test.ts fails when a committed copy differs).
//
// Order matters: rancher-machine writes its bootstrap cloud-config path into the FIRST flag whose name contains
// user-data/userdata/custom-data/cloud-config, so `hetzner-user-data` must precede `hetzner-additional-user-data`.
import { DEFAULT_ENDPOINT } from '../hcloud/endpoint';
import type { CreateFlag, DriverOptions, FlagValue } from './interface';

type Kind = CreateFlag['kind'];

/** One flag, as the table declares it. */
export interface FlagSpec {
  /** `hetzner-…`; Rancher's machine-config field is its camelCase without the prefix (toRancherField). */
  readonly name: string;
  readonly kind: Kind;
  readonly usage: string;
  /** The default rancher-machine shows and fills in (string and int flags); an empty value reads as it too. */
  readonly default?: string | number;
  /** The machine-config key the value is stored under; null: never stored (user data may hold secrets). */
  readonly stored: string | null;
  /** Stored as a key → value map, while the flag gives key=value entries. */
  readonly storedAs?: 'labels';
  /** Reads the value when the kind's reader does not fit (user data keeps its whitespace, the port its range). */
  readonly read?: (v: FlagValue | undefined, spec: FlagSpec) => string | number;
  /** Never handed out by a transport that must not see credentials, never logged. */
  readonly secret?: true;
  /** Not a field of the machine-pool form: the token is the cloud credential's, user data is Rancher's. */
  readonly formField?: false;
  /** Markdown appended to the usage in the README's flag table. */
  readonly readmeNote?: string;
}

function asString(v: FlagValue | undefined, fallback: string): string {
  if (v === undefined || v === null) return fallback;
  if (Array.isArray(v)) return v.join(',');
  return String(v).trim();
}

function asBool(v: FlagValue | undefined): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return ['true', '1', 'yes', 'on'].includes(v.trim().toLowerCase());
  if (typeof v === 'number') return v !== 0;
  return false;
}

/** Slices also accept comma-separated entries, since forms and env vars tend to carry "a,b" in one value. */
function asList(v: FlagValue | undefined): string[] {
  if (v === undefined || v === null || typeof v === 'boolean') return [];
  const items = Array.isArray(v) ? v : [String(v)];
  return items
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function asInt(v: FlagValue | undefined, spec: FlagSpec): number {
  const fallback = Number(spec.default ?? 0);
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isInteger(n)) throw new Error(`${spec.name} must be a whole number (got ${JSON.stringify(v)})`);
  return n;
}

/** User data is file content or a path: kept byte for byte, never trimmed. */
function verbatim(v: FlagValue | undefined): string {
  return typeof v === 'string' ? v : asString(v, '');
}

function port(v: FlagValue | undefined, spec: FlagSpec): number {
  const n = v === undefined || v === null || v === '' ? Number(spec.default) : Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new Error(`${spec.name} must be a port number between 1 and 65535 (got ${JSON.stringify(v)})`);
  }
  return n;
}

export const FLAGS = {
  apiToken: {
    name: 'hetzner-api-token',
    kind: 'string',
    usage: 'Hetzner Cloud API token with read & write access (Cloud Console → project → Security → API tokens)',
    stored: 'AccessToken',
    secret: true,
    formField: false,
  },
  serverType: {
    name: 'hetzner-server-type',
    kind: 'string',
    usage:
      'Server type name, e.g. cx23, or an ordered fallback list such as "cx23,cpx22" tried when a type is unavailable',
    default: 'cx23',
    stored: 'Type',
  },
  location: {
    name: 'hetzner-server-location',
    kind: 'string',
    usage: 'Location (fsn1, nbg1, hel1, ash, hil or sin), or an ordered fallback list such as "fsn1,nbg1"',
    default: 'fsn1',
    stored: 'Location',
  },
  image: {
    name: 'hetzner-image',
    kind: 'string',
    usage: 'Image name (e.g. ubuntu-24.04, matched to the server type architecture) or the ID of an image or snapshot',
    default: 'ubuntu-24.04',
    stored: 'Image',
  },
  usePrivateNetwork: {
    name: 'hetzner-use-private-network',
    kind: 'bool',
    usage:
      'Rancher connects to the server through its private network IP instead of a public IP (cluster traffic uses ' +
      'the private network whenever one is attached, with or without this flag)',
    stored: 'UsePrivateNetwork',
  },
  networks: {
    name: 'hetzner-networks',
    kind: 'stringSlice',
    usage:
      'IDs or names of private networks to attach the server to; <network>:<ip-range> picks the subnet, ' +
      '<network>:<ip> a fixed IP (only for a pool of one machine: the IP must be free)',
    stored: 'Networks',
  },
  firewalls: {
    name: 'hetzner-firewalls',
    kind: 'stringSlice',
    usage: 'IDs or names of existing firewalls to apply to the server at creation',
    stored: 'Firewalls',
  },
  createFirewall: {
    name: 'hetzner-create-firewall',
    kind: 'bool',
    usage: 'Create and maintain one shared firewall for all nodes of the cluster (needs a cluster ID)',
    stored: 'CreateFirewall',
  },
  firewallName: {
    name: 'hetzner-firewall-name',
    kind: 'string',
    usage: 'Name of the shared cluster firewall (default: rancher-<cluster-id>)',
    stored: 'FirewallName',
  },
  autoCreateFirewallRules: {
    name: 'hetzner-auto-create-firewall-rules',
    kind: 'bool',
    usage: 'Fill a newly created shared firewall with the rules RKE2/K3s nodes need',
    stored: 'AutoCreateFirewallRules',
  },
  clusterId: {
    name: 'hetzner-cluster-id',
    kind: 'string',
    usage: 'Cluster identifier, used for the shared firewall and the "cluster" label of the server',
    stored: 'ClusterID',
  },
  existingSshKey: {
    name: 'hetzner-existing-ssh-key',
    kind: 'string',
    usage: 'ID or name of an SSH key already in the project, added to the server besides its own key',
    stored: 'ExistingSSHKey',
  },
  disablePublicIpv4: {
    name: 'hetzner-disable-public-ipv4',
    kind: 'bool',
    usage: 'Create the server without a public IPv4 address',
    stored: 'DisablePublic4',
  },
  disablePublicIpv6: {
    name: 'hetzner-disable-public-ipv6',
    kind: 'bool',
    usage: 'Create the server without a public IPv6 network',
    stored: 'DisablePublic6',
  },
  userData: {
    name: 'hetzner-user-data',
    kind: 'string',
    usage: 'Cloud-init user data, inline or the path of a regular file holding it (at most 32 KiB)',
    stored: null,
    read: verbatim,
    formField: false,
  },
  placementGroup: {
    name: 'hetzner-placement-group',
    kind: 'string',
    usage: 'ID or name of a spread placement group to put the server in',
    stored: 'PlacementGroup',
  },
  apiEndpoint: {
    name: 'hetzner-api-endpoint',
    kind: 'string',
    usage:
      'Hetzner Cloud API endpoint; set it on the cloud credential (HETZNER_API_ENDPOINT): a value here that differs ' +
      'from it is refused',
    default: DEFAULT_ENDPOINT,
    stored: 'APIEndpoint',
    readmeNote: '(see [Security](#security))',
  },
  sshUser: {
    name: 'hetzner-ssh-user',
    kind: 'string',
    usage: 'User that Rancher logs in as over SSH',
    default: 'root',
    stored: 'SSHUser',
  },
  sshPort: {
    name: 'hetzner-ssh-port',
    kind: 'int',
    usage: 'SSH port of the server',
    default: 22,
    stored: 'SSHPort',
    read: port,
  },
  serverLabels: {
    name: 'hetzner-server-labels',
    kind: 'stringSlice',
    usage: 'Extra labels for the server, each as key=value',
    stored: 'ServerLabels',
    storedAs: 'labels',
  },
  rdnsTemplate: {
    name: 'hetzner-rdns-template',
    kind: 'string',
    usage:
      'Reverse DNS for the public IPv4 and IPv6 (::1), e.g. "{{ machine }}.k8s.example.com"; placeholders ' +
      '{{ machine }}, {{ cluster }} (the cluster ID) and {{ pool }}',
    stored: 'RDNSTemplate',
  },
  firewallAdminCidrs: {
    name: 'hetzner-firewall-admin-cidrs',
    kind: 'stringSlice',
    usage:
      'Source CIDRs allowed to reach SSH (22) and the Kubernetes API (6443) in the managed firewall (default: anywhere)',
    stored: 'FirewallAdminCIDRs',
  },
  firewallCloseNodeports: {
    name: 'hetzner-firewall-close-nodeports',
    kind: 'bool',
    usage: 'Leave the NodePort range 30000-32767 out of the public rules of the managed firewall',
    stored: 'FirewallCloseNodePorts',
  },
  additionalUserData: {
    name: 'hetzner-additional-user-data',
    kind: 'string',
    usage: 'Extra cloud-config (the content, not a file path) merged into the user data Rancher generates',
    stored: null,
    read: verbatim,
  },
  placementGroupSpread: {
    name: 'hetzner-placement-group-spread',
    kind: 'bool',
    usage:
      'Put the pool into spread placement groups the driver creates, fills up to 10 servers each and deletes when empty',
    stored: 'PlacementGroupSpread',
  },
  primaryIpv4: {
    name: 'hetzner-primary-ipv4',
    kind: 'string',
    usage: 'Address, name or ID of an existing unassigned primary IPv4 to give the server (never deleted)',
    stored: 'PrimaryIPv4',
  },
  primaryIpv6: {
    name: 'hetzner-primary-ipv6',
    kind: 'string',
    usage: 'Address, name or ID of an existing unassigned primary IPv6 to give the server (never deleted)',
    stored: 'PrimaryIPv6',
  },
  volumes: {
    name: 'hetzner-volumes',
    kind: 'stringSlice',
    usage: 'Names or IDs of existing volumes to attach at create (never deleted by remove)',
    stored: 'Volumes',
  },
} as const satisfies Record<string, FlagSpec>;

type Table = typeof FLAGS;
export type FlagKey = keyof Table;
export const FLAG_KEYS = Object.keys(FLAGS) as FlagKey[];

/** A flag's value as the settings hold it: by its reader, else by its kind. */
export interface KindValue {
  string: string;
  bool: boolean;
  stringSlice: string[];
  int: number;
}
type SettingOf<S> = S extends { read: (...args: never[]) => infer R }
  ? R
  : S extends { kind: infer K extends Kind }
    ? KindValue[K]
    : never;

/** Everything the flags say, normalised: one field per table entry, named by its key. */
export type FlagSettings = { -readonly [K in FlagKey]: SettingOf<Table[K]> };

/** Flag names by settings key (`FLAG.serverType` is `hetzner-server-type`). */
export const FLAG = Object.fromEntries(FLAG_KEYS.map((k) => [k, FLAGS[k].name])) as {
  readonly [K in FlagKey]: Table[K]['name'];
};

export const DEFAULT_API_ENDPOINT: string = FLAGS.apiEndpoint.default;
export const DEFAULT_SERVER_TYPE: string = FLAGS.serverType.default;
export const DEFAULT_LOCATION: string = FLAGS.location.default;
export const DEFAULT_IMAGE: string = FLAGS.image.default;
export const DEFAULT_SSH_USER: string = FLAGS.sshUser.default;
export const DEFAULT_SSH_PORT: number = FLAGS.sshPort.default;

export function envVarOf(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

function createFlag(spec: FlagSpec): CreateFlag {
  const base = { name: spec.name, usage: spec.usage, envVar: envVarOf(spec.name) };
  switch (spec.kind) {
    case 'string':
      return { kind: 'string', ...base, value: String(spec.default ?? '') };
    case 'int':
      return { kind: 'int', ...base, value: Number(spec.default ?? 0) };
    case 'stringSlice':
      return { kind: 'stringSlice', ...base, value: [] };
    case 'bool':
      return { kind: 'bool', ...base };
  }
}

/** Built once: rancher-machine asks for the flags up to three times per create and expects identical answers. */
const CREATE_FLAGS: readonly CreateFlag[] = Object.freeze(FLAG_KEYS.map((k) => createFlag(FLAGS[k])));

export function createFlags(): CreateFlag[] {
  return CREATE_FLAGS.map((f) => (f.kind === 'stringSlice' ? { ...f, value: [...f.value] } : { ...f }));
}

/** Rancher's `ToLowerCamelCase`: drop the driver prefix, camel-case the rest (`hetzner-server-type` → `serverType`). */
export function toRancherField(flag: string): string {
  const parts = flag.split('-').slice(1);
  return parts.map((p, i) => (i === 0 ? p : p.charAt(0).toUpperCase() + p.slice(1))).join('');
}

/** Rancher v2's way back from a schema field to a CLI flag. */
export function fromRancherField(driver: string, field: string): string {
  return `${driver}-${field.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`;
}

/** One flag's value, read by its own reader or its kind's, with the default for a missing or empty one. */
export function readFlagValue(spec: FlagSpec, v: FlagValue | undefined): string | number | boolean | string[] {
  if (spec.read) return spec.read(v, spec);
  switch (spec.kind) {
    case 'string':
      return asString(v, '') || String(spec.default ?? '');
    case 'int':
      return asInt(v, spec);
    case 'bool':
      return asBool(v);
    case 'stringSlice':
      return asList(v);
  }
}

export function readFlags(opts: DriverOptions): FlagSettings {
  return Object.fromEntries(
    FLAG_KEYS.map((k) => [k, readFlagValue(FLAGS[k], opts.get(FLAGS[k].name))]),
  ) as FlagSettings;
}

/**
 * A flag's value from its environment variable, read as the flag itself is: the one way the API token (and any other
 * flag) is taken from the environment, so the token has the same shape whether rancher-machine sent it or not.
 */
export function readFlagFromEnv<K extends FlagKey>(key: K, env: NodeJS.ProcessEnv): FlagSettings[K] {
  const spec: FlagSpec = FLAGS[key];
  return readFlagValue(spec, env[envVarOf(spec.name)]) as FlagSettings[K];
}
