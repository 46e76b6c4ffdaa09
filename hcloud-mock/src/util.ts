import { createHash } from 'node:crypto';

/** An API error as the real service reports it: HTTP status plus `{error:{code,message,details}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
  }
}

export interface FieldError {
  name: string;
  messages: string[];
}

export function invalidInput(field: string, message: string): ApiError {
  return invalidFields([{ name: field, messages: [message] }]);
}

export function invalidFields(fields: FieldError[]): ApiError {
  const first = fields[0];
  const message = first ? `invalid input in field '${first.name}': ${first.messages.join(', ')}` : 'invalid input';
  return new ApiError(422, 'invalid_input', message, { fields });
}

export function notFound(what: string): ApiError {
  return new ApiError(404, 'not_found', `${what} not found`);
}

/** The record with this ID, or the API's 404 for it (`<what> with ID <id> not found`). */
export function byIdOr404<T>(records: ReadonlyMap<number, T>, id: number, what: string): T {
  const record = records.get(id);
  if (!record) throw notFound(`${what} with ID ${id}`);
  return record;
}

export function lockedError(what: string): ApiError {
  return new ApiError(423, 'locked', `cannot perform operation because ${what} is locked`);
}

/** mulberry32: small, fast, and good enough to make probabilities and generated values reproducible per seed. */
export function createPrng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

// The mock's own address parsing, apart from the driver's driver/src/ip.ts on purpose (it plays the API).
export function parseIpv4(ip: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return null;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return null;
    n = n * 256 + octet;
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Cidr4 {
  base: number;
  prefix: number;
  size: number;
}

export function parseCidr4(cidr: string): Cidr4 | null {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
  if (!m) return null;
  const ip = parseIpv4(m[1]!);
  const prefix = Number(m[2]);
  if (ip === null || prefix > 32) return null;
  const size = 2 ** (32 - prefix);
  const base = ip - (ip % size);
  return { base, prefix, size };
}

export function cidrContains(outer: Cidr4, ip: number): boolean {
  return ip >= outer.base && ip < outer.base + outer.size;
}

export function cidrWithin(inner: Cidr4, outer: Cidr4): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

/** CIDR blocks either nest or are disjoint, so two overlap exactly when one contains the other's base. */
export function cidrOverlaps(a: Cidr4, b: Cidr4): boolean {
  return cidrContains(a, b.base) || cidrContains(b, a.base);
}

export function formatCidr4(c: Cidr4): string {
  return `${formatIpv4(c.base)}/${c.prefix}`;
}

const IPV6_CIDR = /^[0-9a-fA-F:.]+(\/\d{1,3})?$/;

/** Syntax check for a rule CIDR; IPv6 is checked loosely (hex groups, at most one `::`). */
export function isValidCidr(value: string): boolean {
  if (value.includes('.') && !value.includes(':')) {
    const [ip, prefix] = value.split('/');
    if (parseIpv4(ip ?? '') === null) return false;
    return prefix === undefined || (/^\d{1,2}$/.test(prefix) && Number(prefix) <= 32);
  }
  if (!IPV6_CIDR.test(value)) return false;
  const [addr, prefix] = value.split('/');
  if (prefix !== undefined && Number(prefix) > 128) return false;
  const parts = (addr ?? '').split('::');
  if (parts.length > 2) return false;
  const groups = parts.flatMap((p) => (p === '' ? [] : p.split(':')));
  return groups.length <= 8 && groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g));
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Legacy MD5 colon-hex fingerprint of an OpenSSH public key, as the API reports it; null when malformed. */
export function sshFingerprint(publicKey: string): string | null {
  const m =
    /^(ssh-rsa|ssh-ed25519|ssh-dss|ecdsa-sha2-nistp(?:256|384|521)|sk-\S+)\s+([A-Za-z0-9+/]+={0,2})(\s.*)?$/.exec(
      publicKey.trim(),
    );
  if (!m) return null;
  const blob = Buffer.from(m[2]!, 'base64');
  if (blob.length < 16) return null;
  const hex = createHash('md5').update(blob).digest('hex');
  return hex.match(/../g)!.join(':');
}

/** RFC 5952 text form of an IPv6 CIDR (lower case, longest zero run compressed), as the API returns rules. */
export function canonicalCidr(value: string): string {
  if (!value.includes(':')) return value;
  const [addr = '', prefix] = value.split('/');
  const [head = '', tail] = addr.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...h, ...Array(tail === undefined ? 0 : 8 - h.length - t.length).fill('0'), ...t].map((g) =>
    Number.parseInt(g, 16).toString(16),
  );
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let text: string;
  if (bestStart < 0) text = groups.join(':');
  else text = `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
  return prefix === undefined ? text : `${text}/${prefix}`;
}
