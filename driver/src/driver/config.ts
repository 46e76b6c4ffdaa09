// The machine's persisted state: the JSON rancher-machine stores as config.json → "Driver" and hands back through
// SetConfigRaw on every later invocation. Keys follow rancher-machine's BaseDriver and the Go Hetzner driver
// (docker-machine-driver-hetzner) so that machines created by the Go driver can still be removed by this one.
// The keys that hold a flag's value come from the flag table (flags.ts: `stored`), and so do both copies between
// the flag settings and this config; the keys below are the machine's own state. User data is deliberately not
// persisted: it may hold secrets and is only needed during Create.
import { FLAG_KEYS, FLAGS, type FlagKey, type FlagSettings, type FlagSpec, type KindValue } from './flags';
import { parseUserLabels } from './labels';

/** How a stored value is read leniently: Go writes `null` for nil slices and maps, numbers as JSON numbers. */
const CODECS = {
  string: { empty: (): string => '', parse: str },
  int: { empty: (): number => 0, parse: num },
  bool: { empty: (): boolean => false, parse: bool },
  stringSlice: { empty: (): string[] => [], parse: strList },
  intSlice: { empty: (): number[] => [], parse: numList },
  labels: { empty: (): Record<string, string> => ({}), parse: strMap },
} as const;
type Codec = keyof typeof CODECS;
type CodecValue<C extends Codec> = ReturnType<(typeof CODECS)[C]['empty']>;

/** The machine's own state, which no flag sets. */
const STATE_FIELDS = {
  // BaseDriver
  IPAddress: 'string',
  IPv6Address: 'string',
  MachineName: 'string',
  SSHKeyPath: 'string',
  StorePath: 'string',
  SwarmMaster: 'bool',
  SwarmHost: 'string',
  SwarmDiscovery: 'string',
  // The server's IP in its private network (the first of `Networks` it has an IP in), whenever one is attached; ''
  // without a network. Not a BaseDriver field: amazonec2 and others store it under this key, and Rancher's planner
  // reads it from the stored config as the node's internal address, IPAddress as its external one
  // (rancher/rancher pkg/capr/planner/config.go: `addAddresses` in v2.11.0 l.358/361 and v2.12.0 l.378/381,
  // `getMachineNetworkInfo` in v2.13.0 l.425/430, v2.14.0 l.438/443 and v2.15.0 l.491/496). Absent in configs saved
  // before the driver stored it: those machines stay removable.
  PrivateIPAddress: 'string',
  // Go Hetzner driver keys
  ImageID: 'int',
  ImageArch: 'string',
  KeyID: 'int',
  IsExistingKey: 'bool',
  ServerID: 'int',
  AdditionalKeys: 'stringSlice',
  AdditionalKeyIDs: 'intSlice',
  // This driver's own: the name of the key it uploaded, and the auto-created spread group the server was put in
  // (0: none), so Remove can delete it once empty.
  KeyName: 'string',
  // Create deleted its own SSH key (KeyID) once the server had it: Hetzner copies a key into a server only when the
  // server is made, so the key object is of no further use, and Remove needs no request for it.
  KeyDeleted: 'bool',
  AutoPlacementGroupID: 'int',
} as const satisfies Record<string, Codec>;

type Table = typeof FLAGS;
type StoredKey<K extends FlagKey> = Table[K]['stored'];
type StoredCodec<S> = S extends { storedAs: infer A extends Codec } ? A : S extends { kind: infer K } ? K : never;
type StoredFlags = {
  -readonly [K in FlagKey as StoredKey<K> extends string ? StoredKey<K> : never]: CodecValue<
    StoredCodec<Table[K]> & Codec
  >;
};
type StateConfig = { -readonly [K in keyof typeof STATE_FIELDS]: CodecValue<(typeof STATE_FIELDS)[K]> };

export interface MachineConfig extends StateConfig, StoredFlags {}

function codecOf(spec: FlagSpec): Codec {
  return spec.storedAs ?? spec.kind;
}

/** Every stored key with its codec: the machine's state, then the flags' keys in the table's order. */
const STORED_FIELDS: ReadonlyArray<readonly [string, Codec]> = [
  ...Object.entries(STATE_FIELDS),
  ...FLAG_KEYS.flatMap((k): Array<[string, Codec]> => {
    const spec: FlagSpec = FLAGS[k];
    return spec.stored ? [[spec.stored, codecOf(spec)]] : [];
  }),
];

/** The stored keys of the secret flags (the API token). */
export const SECRET_CONFIG_KEYS: readonly string[] = FLAG_KEYS.flatMap((k) => {
  const spec: FlagSpec = FLAGS[k];
  return spec.secret && spec.stored ? [spec.stored] : [];
});

export function emptyConfig(): MachineConfig {
  return Object.fromEntries(
    STORED_FIELDS.map(([key, codec]) => [key, CODECS[codec].empty()]),
  ) as unknown as MachineConfig;
}

/** The settings' values in the config, for the flags that are stored (SetConfigFromFlags). */
export function storeSettings(c: MachineConfig, s: FlagSettings): void {
  const target = c as unknown as Record<string, unknown>;
  for (const key of FLAG_KEYS) {
    const spec: FlagSpec = FLAGS[key];
    if (!spec.stored) continue;
    const value: unknown = s[key];
    if (spec.storedAs === 'labels') target[spec.stored] = parseUserLabels(value as string[]).labels;
    else target[spec.stored] = Array.isArray(value) ? [...value] : value;
  }
}

/**
 * The settings a stored config stands for, in a process that got only SetConfigRaw: an empty stored value reads as
 * the flag's default (a BaseDriver config may carry SSHPort 0), a flag that is never stored as its reader's empty.
 */
export function settingsOfConfig(c: MachineConfig): FlagSettings {
  const source = c as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of FLAG_KEYS) {
    const spec: FlagSpec = FLAGS[key];
    out[key] = spec.stored ? settingOfStored(spec, source[spec.stored]) : readEmpty(spec);
  }
  return out as FlagSettings;
}

function settingOfStored(spec: FlagSpec, v: unknown): KindValue[keyof KindValue] {
  if (spec.storedAs === 'labels') return Object.entries(v as Record<string, string>).map(([k, x]) => `${k}=${x}`);
  if (Array.isArray(v)) return [...(v as string[])];
  if ((v === '' || v === 0) && spec.default !== undefined) return spec.default;
  return v as string | number | boolean;
}

function readEmpty(spec: FlagSpec): unknown {
  return spec.read ? spec.read(undefined, spec) : CODECS[spec.kind].empty();
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
  return Object.fromEntries(
    STORED_FIELDS.map(([key, codec]) => [key, CODECS[codec].parse(r[key])]),
  ) as unknown as MachineConfig;
}

export function serializeConfig(c: MachineConfig): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(c));
}

/**
 * The stored config with its secrets (the API token) blanked, for transports that must never hand them out (gRPC).
 * Bytes that are not a JSON object, or carry no secret, come back unchanged.
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
  const present = SECRET_CONFIG_KEYS.filter((k) => typeof record[k] === 'string' && record[k] !== '');
  if (present.length === 0) return json;
  return new TextEncoder().encode(JSON.stringify({ ...record, ...Object.fromEntries(present.map((k) => [k, ''])) }));
}
