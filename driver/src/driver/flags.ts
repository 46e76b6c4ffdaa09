// The driver's create flags, in the order rancher-machine and Rancher depend on, and their parsing from
// SetConfigFromFlags. Order matters: rancher-machine writes its bootstrap cloud-config path into the FIRST flag whose
// name contains user-data/userdata/custom-data/cloud-config, so `hetzner-user-data` must precede
// `hetzner-additional-user-data`.
import { DEFAULT_ENDPOINT } from '../hcloud/endpoint';
import type { CreateFlag, DriverOptions, FlagValue } from './interface';

export const DEFAULT_API_ENDPOINT = DEFAULT_ENDPOINT;
export const DEFAULT_SERVER_TYPE = 'cx23';
export const DEFAULT_LOCATION = 'fsn1';
export const DEFAULT_IMAGE = 'ubuntu-24.04';
export const DEFAULT_SSH_USER = 'root';
export const DEFAULT_SSH_PORT = 22;

function envOf(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

function str(name: string, usage: string, value = ''): CreateFlag {
  return { kind: 'string', name, usage, envVar: envOf(name), value };
}
function bool(name: string, usage: string): CreateFlag {
  return { kind: 'bool', name, usage, envVar: envOf(name) };
}
function slice(name: string, usage: string): CreateFlag {
  return { kind: 'stringSlice', name, usage, envVar: envOf(name), value: [] };
}
function int(name: string, usage: string, value: number): CreateFlag {
  return { kind: 'int', name, usage, envVar: envOf(name), value };
}

export const FLAG = {
  apiToken: 'hetzner-api-token',
  serverType: 'hetzner-server-type',
  location: 'hetzner-server-location',
  image: 'hetzner-image',
  usePrivateNetwork: 'hetzner-use-private-network',
  networks: 'hetzner-networks',
  firewalls: 'hetzner-firewalls',
  createFirewall: 'hetzner-create-firewall',
  firewallName: 'hetzner-firewall-name',
  autoCreateFirewallRules: 'hetzner-auto-create-firewall-rules',
  clusterId: 'hetzner-cluster-id',
  existingSshKey: 'hetzner-existing-ssh-key',
  disablePublicIpv4: 'hetzner-disable-public-ipv4',
  disablePublicIpv6: 'hetzner-disable-public-ipv6',
  userData: 'hetzner-user-data',
  placementGroup: 'hetzner-placement-group',
  apiEndpoint: 'hetzner-api-endpoint',
  sshUser: 'hetzner-ssh-user',
  sshPort: 'hetzner-ssh-port',
  serverLabels: 'hetzner-server-labels',
  rdnsTemplate: 'hetzner-rdns-template',
  firewallAdminCidrs: 'hetzner-firewall-admin-cidrs',
  firewallCloseNodeports: 'hetzner-firewall-close-nodeports',
  additionalUserData: 'hetzner-additional-user-data',
  placementGroupSpread: 'hetzner-placement-group-spread',
  primaryIpv4: 'hetzner-primary-ipv4',
  primaryIpv6: 'hetzner-primary-ipv6',
  volumes: 'hetzner-volumes',
} as const;

/** Built once: rancher-machine asks for the flags up to three times per create and expects identical answers. */
const CREATE_FLAGS: readonly CreateFlag[] = Object.freeze([
  str(
    FLAG.apiToken,
    'Hetzner Cloud API token with read & write access (Cloud Console → project → Security → API tokens)',
  ),
  str(
    FLAG.serverType,
    'Server type name, e.g. cx23, or an ordered fallback list such as "cx23,cpx22" tried when a type is unavailable',
    DEFAULT_SERVER_TYPE,
  ),
  str(
    FLAG.location,
    'Location (fsn1, nbg1, hel1, ash, hil or sin), or an ordered fallback list such as "fsn1,nbg1"',
    DEFAULT_LOCATION,
  ),
  str(
    FLAG.image,
    'Image name (e.g. ubuntu-24.04, matched to the server type architecture) or the ID of an image or snapshot',
    DEFAULT_IMAGE,
  ),
  bool(
    FLAG.usePrivateNetwork,
    'Rancher connects to the server through its private network IP instead of a public IP (cluster traffic uses ' +
      'the private network whenever one is attached, with or without this flag)',
  ),
  slice(
    FLAG.networks,
    'IDs or names of private networks to attach the server to; <network>:<ip-range> picks the subnet, ' +
      '<network>:<ip> a fixed IP (only for a pool of one machine: the IP must be free)',
  ),
  slice(FLAG.firewalls, 'IDs or names of existing firewalls to apply to the server at creation'),
  bool(
    FLAG.createFirewall,
    'Create and maintain one shared firewall for all nodes of the cluster (needs a cluster ID)',
  ),
  str(FLAG.firewallName, 'Name of the shared cluster firewall (default: rancher-<cluster-id>)'),
  bool(FLAG.autoCreateFirewallRules, 'Fill a newly created shared firewall with the rules RKE2/K3s nodes need'),
  str(FLAG.clusterId, 'Cluster identifier, used for the shared firewall and the "cluster" label of the server'),
  str(FLAG.existingSshKey, 'ID or name of an SSH key already in the project, added to the server besides its own key'),
  bool(FLAG.disablePublicIpv4, 'Create the server without a public IPv4 address'),
  bool(FLAG.disablePublicIpv6, 'Create the server without a public IPv6 network'),
  str(FLAG.userData, 'Cloud-init user data, inline or the path of a regular file holding it (at most 32 KiB)'),
  str(FLAG.placementGroup, 'ID or name of a spread placement group to put the server in'),
  str(
    FLAG.apiEndpoint,
    'Hetzner Cloud API endpoint; set it on the cloud credential (HETZNER_API_ENDPOINT): a value here that differs ' +
      'from it is refused',
    DEFAULT_API_ENDPOINT,
  ),
  str(FLAG.sshUser, 'User that Rancher logs in as over SSH', DEFAULT_SSH_USER),
  int(FLAG.sshPort, 'SSH port of the server', DEFAULT_SSH_PORT),
  slice(FLAG.serverLabels, 'Extra labels for the server, each as key=value'),
  str(
    FLAG.rdnsTemplate,
    'Reverse DNS for the public IPv4 and IPv6 (::1), e.g. "{{ machine }}.k8s.example.com"; placeholders ' +
      '{{ machine }}, {{ cluster }} (the cluster ID) and {{ pool }}',
  ),
  slice(
    FLAG.firewallAdminCidrs,
    'Source CIDRs allowed to reach SSH (22) and the Kubernetes API (6443) in the managed firewall (default: anywhere)',
  ),
  bool(
    FLAG.firewallCloseNodeports,
    'Leave the NodePort range 30000-32767 out of the public rules of the managed firewall',
  ),
  str(
    FLAG.additionalUserData,
    'Extra cloud-config (the content, not a file path) merged into the user data Rancher generates',
  ),
  bool(
    FLAG.placementGroupSpread,
    'Put the pool into spread placement groups the driver creates, fills up to 10 servers each and deletes when empty',
  ),
  str(
    FLAG.primaryIpv4,
    'Address, name or ID of an existing unassigned primary IPv4 to give the server (never deleted)',
  ),
  str(
    FLAG.primaryIpv6,
    'Address, name or ID of an existing unassigned primary IPv6 to give the server (never deleted)',
  ),
  slice(FLAG.volumes, 'Names or IDs of existing volumes to attach at create (never deleted by remove)'),
]);

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

/** Everything the flags say, normalised. */
export interface FlagSettings {
  apiToken: string;
  apiEndpoint: string;
  serverType: string;
  location: string;
  image: string;
  usePrivateNetwork: boolean;
  networks: string[];
  firewalls: string[];
  createFirewall: boolean;
  firewallName: string;
  autoCreateFirewallRules: boolean;
  clusterId: string;
  existingSshKey: string;
  disablePublicIpv4: boolean;
  disablePublicIpv6: boolean;
  userData: string;
  placementGroup: string;
  sshUser: string;
  sshPort: number;
  serverLabels: string[];
  rdnsTemplate: string;
  firewallAdminCidrs: string[];
  firewallCloseNodeports: boolean;
  additionalUserData: string;
  placementGroupSpread: boolean;
  primaryIpv4: string;
  primaryIpv6: string;
  volumes: string[];
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

function asInt(flag: string, v: FlagValue | undefined, fallback: number): number {
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new Error(`${flag} must be a port number between 1 and 65535 (got ${JSON.stringify(v)})`);
  }
  return n;
}

export function readFlags(opts: DriverOptions): FlagSettings {
  const get = (name: string) => opts.get(name);
  return {
    apiToken: asString(get(FLAG.apiToken), ''),
    apiEndpoint: asString(get(FLAG.apiEndpoint), '') || DEFAULT_API_ENDPOINT,
    serverType: asString(get(FLAG.serverType), '') || DEFAULT_SERVER_TYPE,
    location: asString(get(FLAG.location), '') || DEFAULT_LOCATION,
    image: asString(get(FLAG.image), '') || DEFAULT_IMAGE,
    usePrivateNetwork: asBool(get(FLAG.usePrivateNetwork)),
    networks: asList(get(FLAG.networks)),
    firewalls: asList(get(FLAG.firewalls)),
    createFirewall: asBool(get(FLAG.createFirewall)),
    firewallName: asString(get(FLAG.firewallName), ''),
    autoCreateFirewallRules: asBool(get(FLAG.autoCreateFirewallRules)),
    clusterId: asString(get(FLAG.clusterId), ''),
    existingSshKey: asString(get(FLAG.existingSshKey), ''),
    disablePublicIpv4: asBool(get(FLAG.disablePublicIpv4)),
    disablePublicIpv6: asBool(get(FLAG.disablePublicIpv6)),
    // User data keeps its whitespace: it is file content or a path, never trimmed.
    userData: (() => {
      const v = get(FLAG.userData);
      return typeof v === 'string' ? v : asString(v, '');
    })(),
    placementGroup: asString(get(FLAG.placementGroup), ''),
    sshUser: asString(get(FLAG.sshUser), '') || DEFAULT_SSH_USER,
    sshPort: asInt(FLAG.sshPort, get(FLAG.sshPort), DEFAULT_SSH_PORT),
    serverLabels: asList(get(FLAG.serverLabels)),
    rdnsTemplate: asString(get(FLAG.rdnsTemplate), ''),
    firewallAdminCidrs: asList(get(FLAG.firewallAdminCidrs)),
    firewallCloseNodeports: asBool(get(FLAG.firewallCloseNodeports)),
    additionalUserData: (() => {
      const v = get(FLAG.additionalUserData);
      return typeof v === 'string' ? v : asString(v, '');
    })(),
    placementGroupSpread: asBool(get(FLAG.placementGroupSpread)),
    primaryIpv4: asString(get(FLAG.primaryIpv4), ''),
    primaryIpv6: asString(get(FLAG.primaryIpv6), ''),
    volumes: asList(get(FLAG.volumes)),
  };
}
