// The optional API endpoint of a cloud credential (field apiEndpoint; Rancher hands it to the driver as
// HETZNER_API_ENDPOINT). The same rule as the driver's: https, or plain http to a loopback address only (a local
// mock or proxy), so the token is never sent in clear over a network. Empty means the Hetzner API.
import { parseIpv4 } from './addresses';

// The driver's default (driver/src/hcloud/endpoint.ts); scripts/test/extension-copies.test.ts keeps the two equal.
export const DEFAULT_API_ENDPOINT = 'https://api.hetzner.cloud/v1';
const DEFAULT_URL = new URL(DEFAULT_API_ENDPOINT);

/** Where Rancher's /meta/proxy reaches the default API (its host must be in the NodeDriver's whitelist domains). */
export const DEFAULT_API_PROXY_PREFIX = `/meta/proxy/${ DEFAULT_URL.host }${ DEFAULT_URL.pathname }`;

/** l10n key (under hetzner.credential.apiEndpoint) of what is wrong with the endpoint, or undefined. */
export type EndpointProblem = 'invalid' | 'insecure';

function parse(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** A literal loopback address: 127.0.0.0/8 or ::1. Names such as localhost are not trusted to resolve there. */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === '[::1]') return true;
  const ip = parseIpv4(hostname);

  return ip !== null && ip >>> 24 === 127;
}

export function apiEndpointProblem(text: string | undefined): EndpointProblem | undefined {
  const value = (text ?? '').trim();

  if (!value) return undefined;
  const url = parse(value);

  // Credentials, a query or a fragment would be sent along with (or break) every API path the driver appends.
  if (!url || !['https:', 'http:'].includes(url.protocol) || !url.hostname || url.username || url.password || url.search || url.hash) {
    return 'invalid';
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) return 'insecure';

  return undefined;
}

/**
 * Whether the endpoint is Hetzner's own API (empty, or https://api.hetzner.cloud/v1), the only host Rancher's proxy
 * lets the form reach (the NodeDriver's whitelist domain).
 */
export function isDefaultEndpoint(text: string | undefined): boolean {
  const value = (text ?? '').trim();

  if (!value) return true;
  const url = parse(value);

  return !!url && url.protocol === 'https:' && url.hostname === DEFAULT_URL.hostname && !url.port && url.pathname.replace(/\/+$/, '') === DEFAULT_URL.pathname &&
    !url.search && !url.hash && !url.username && !url.password;
}
