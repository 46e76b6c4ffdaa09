// The machine config as Rancher's generated schema types it (rke-machine-config.cattle.io.hetznerconfig): driver
// flags camelCased without the "hetzner-" prefix; int flags as strings; string-slice flags as string arrays. The
// fields, their types and defaults come from the driver's flag table through the generated ./driver-flags module.
import { DRIVER_FIELDS } from './driver-flags';

type Fields = typeof DRIVER_FIELDS;
export type FormField = keyof Fields;
type FieldType = Fields[FormField]['type'];

interface SchemaValue {
  'string': string;
  'boolean': boolean;
  'string[]': string[] | null;
}

type SchemaFields = { [K in FormField]?: SchemaValue[Fields[K]['type']] };

export interface HetznerConfig extends SchemaFields {
  /** Rancher writes the bootstrap cloud-config path here; the form never touches it. */
  userData?: string;
  [key: string]: unknown;
}

const FIELDS = Object.entries(DRIVER_FIELDS) as Array<[FormField, Fields[FormField]]>;

export const FIELD_TYPES = Object.fromEntries(FIELDS.map(([field, f]) => [field, f.type])) as {
  readonly [K in FormField]: Fields[K]['type'];
};

function fieldsOfType(type: FieldType): FormField[] {
  return FIELDS.filter(([, f]) => f.type === type).map(([field]) => field);
}

/**
 * The driver's own defaults, which the form pre-selects on create (and only these). The API endpoint is left out:
 * it belongs to the cloud credential, and the driver refuses a pool value that differs from the credential's.
 */
export const DRIVER_DEFAULTS: Readonly<Partial<Record<FormField, string>>> = Object.fromEntries(
  FIELDS.flatMap(([field, f]) => ('default' in f && field !== 'apiEndpoint' ? [[field, f.default]] : [])),
);

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
  const fields: Record<string, unknown> = value;

  for (const field of fieldsOfType('string[]')) {
    if (!Array.isArray(fields[field])) fields[field] = [];
  }
  for (const field of fieldsOfType('boolean')) {
    if (typeof fields[field] !== 'boolean') fields[field] = false;
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
