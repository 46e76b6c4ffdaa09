// The machine config as Rancher's generated schema types it (rke-machine-config.cattle.io.hetznerconfig): driver
// flags camelCased without the "hetzner-" prefix; int flags as strings; string-slice flags as string arrays.

export interface HetznerConfig {
  serverType?: string;
  serverLocation?: string;
  image?: string;
  usePrivateNetwork?: boolean;
  networks?: string[] | null;
  firewalls?: string[] | null;
  createFirewall?: boolean;
  firewallName?: string;
  autoCreateFirewallRules?: boolean;
  clusterId?: string;
  existingSshKey?: string;
  disablePublicIpv4?: boolean;
  disablePublicIpv6?: boolean;
  /** Rancher writes the bootstrap cloud-config path here; the form never touches it. */
  userData?: string;
  placementGroup?: string;
  apiEndpoint?: string;
  sshUser?: string;
  sshPort?: string;
  serverLabels?: string[] | null;
  additionalUserData?: string;
  rdnsTemplate?: string;
  firewallAdminCidrs?: string[] | null;
  firewallCloseNodeports?: boolean;
  placementGroupSpread?: boolean;
  primaryIpv4?: string;
  primaryIpv6?: string;
  volumes?: string[] | null;
  [key: string]: unknown;
}

export const FIELD_TYPES = {
  serverType:              'string',
  serverLocation:          'string',
  image:                   'string',
  usePrivateNetwork:       'boolean',
  networks:                'string[]',
  firewalls:               'string[]',
  createFirewall:          'boolean',
  firewallName:            'string',
  autoCreateFirewallRules: 'boolean',
  clusterId:               'string',
  existingSshKey:          'string',
  disablePublicIpv4:       'boolean',
  disablePublicIpv6:       'boolean',
  placementGroup:          'string',
  apiEndpoint:             'string',
  sshUser:                 'string',
  sshPort:                 'string',
  serverLabels:            'string[]',
  additionalUserData:      'string',
  rdnsTemplate:            'string',
  firewallAdminCidrs:      'string[]',
  firewallCloseNodeports:  'boolean',
  placementGroupSpread:    'boolean',
  primaryIpv4:             'string',
  primaryIpv6:             'string',
  volumes:                 'string[]',
} as const satisfies Record<string, 'string' | 'boolean' | 'string[]'>;

export type FormField = keyof typeof FIELD_TYPES;

/** The driver's own defaults, which the form pre-selects on create (and only these). */
export const DRIVER_DEFAULTS = {
  serverType:     'cx23',
  serverLocation: 'fsn1',
  image:          'ubuntu-24.04',
  sshUser:        'root',
  sshPort:        '22',
} as const;

/**
 * Coerces a loaded config to the schema's types in place: older configs or hand-written YAML may carry a number
 * for `sshPort`, a comma-joined string or null for a slice, or "true" for a bool. `userData` is left alone.
 */
export function normalizeConfig(value: HetznerConfig): void {
  for (const [field, type] of Object.entries(FIELD_TYPES)) {
    const v = value[field];

    if (v === undefined) continue;
    if (type === 'string[]') {
      if (v === null || v === '') value[field] = [];
      else if (typeof v === 'string') value[field] = v.split(',').map((s) => s.trim()).filter(Boolean);
      else if (Array.isArray(v)) value[field] = v.map((s) => String(s));
    } else if (type === 'string') {
      if (v === null) value[field] = '';
      else if (typeof v !== 'string') value[field] = String(v);
    } else if (typeof v === 'string') {
      value[field] = v === 'true';
    }
  }
}

/** Fills the driver defaults into empty fields of a new config; slices start empty, never with a guessed item. */
export function applyCreateDefaults(value: HetznerConfig): void {
  for (const [field, def] of Object.entries(DRIVER_DEFAULTS)) {
    if (value[field] === undefined || value[field] === null || value[field] === '') value[field] = def;
  }
  for (const field of ['networks', 'firewalls', 'serverLabels', 'firewallAdminCidrs', 'volumes'] as const) {
    if (!Array.isArray(value[field])) value[field] = [];
  }
  for (const field of [
    'usePrivateNetwork',
    'createFirewall',
    'autoCreateFirewallRules',
    'disablePublicIpv4',
    'disablePublicIpv6',
    'firewallCloseNodeports',
    'placementGroupSpread',
  ] as const) {
    if (typeof value[field] !== 'boolean') value[field] = false;
  }
}

export type FirewallMode = 'none' | 'existing' | 'managed';

export function firewallModeOf(value: HetznerConfig): FirewallMode {
  if (value.createFirewall) return 'managed';
  if ((value.firewalls ?? []).length > 0) return 'existing';

  return 'none';
}

/** Switching mode clears what the other modes wrote, so the driver never sees both kinds of firewall. */
export function applyFirewallMode(value: HetznerConfig, mode: FirewallMode, defaultClusterId: string): void {
  value.createFirewall = mode === 'managed';
  if (mode !== 'existing') value.firewalls = [];
  if (mode !== 'managed') {
    // Hidden outside the managed mode; the driver would only warn that they have no effect.
    value.autoCreateFirewallRules = false;
    value.firewallName = '';
    value.firewallAdminCidrs = [];
    value.firewallCloseNodeports = false;
  } else if (!value.clusterId) {
    value.clusterId = defaultClusterId;
  }
}
