// Where the API token may be sent. The endpoint is the token owner's setting (HETZNER_API_ENDPOINT, in Rancher the
// cloud credential's apiEndpoint field); this module checks it before any request is made, so a bad value never
// carries the token anywhere: https only, plain http only to this host (tests and the mock).
import { isIP } from 'node:net';

export const DEFAULT_ENDPOINT = 'https://api.hetzner.cloud/v1';

/** The environment variable that names the endpoint; Rancher fills it from the credential's `apiEndpoint`. */
export const ENDPOINT_ENV = 'HETZNER_API_ENDPOINT';

export class EndpointError extends Error {}

/** 127.0.0.0/8, ::1 (also as an IPv4-mapped address) and `localhost`: traffic that never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) {
    if (host === '::1' || /^0{0,4}(:0{0,4}){6}:0{0,3}1$/.test(host)) return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
    if (mapped) return (mapped[1] as string).startsWith('127.');
    // WHATWG URL writes ::ffff:127.0.0.1 as ::ffff:7f00:1.
    return /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host);
  }
  return false;
}

/**
 * The endpoint as the client uses it (no trailing slash), or an EndpointError that says what is wrong and how to
 * fix it. Never echoes user info from the URL.
 */
export function checkEndpoint(raw: string): string {
  const endpoint = raw.trim().replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new EndpointError(
      `Hetzner API endpoint "${endpoint}" is not a valid URL (expected e.g. ${DEFAULT_ENDPOINT}; set by ${ENDPOINT_ENV})`,
    );
  }
  if (url.username || url.password) {
    throw new EndpointError(
      `Hetzner API endpoint must not carry a user name or password (${ENDPOINT_ENV}); the token is the only credential`,
    );
  }
  if (url.protocol === 'https:') return endpoint;
  if (url.protocol === 'http:') {
    if (isLoopbackHost(url.hostname)) return endpoint;
    throw new EndpointError(
      `Hetzner API endpoint "${endpoint}" uses plain http to ${url.hostname}: the API token would cross the network ` +
        `unencrypted. Use https (${ENDPOINT_ENV}); http is accepted only for loopback addresses (127.0.0.0/8, ::1, localhost)`,
    );
  }
  throw new EndpointError(
    `Hetzner API endpoint "${endpoint}" must be an https URL (expected e.g. ${DEFAULT_ENDPOINT}; set by ${ENDPOINT_ENV})`,
  );
}

/** The endpoint this process sends its token to: HETZNER_API_ENDPOINT, else the Hetzner API. Unchecked. */
export function endpointFromEnv(env: NodeJS.ProcessEnv): string {
  return env[ENDPOINT_ENV]?.trim() || DEFAULT_ENDPOINT;
}

/** Same endpoint, written with or without trailing slashes. */
export function sameEndpoint(a: string, b: string): boolean {
  return a.trim().replace(/\/+$/, '') === b.trim().replace(/\/+$/, '');
}

/**
 * TLS verification cannot be switched off from the environment: Node and Bun both read
 * NODE_TLS_REJECT_UNAUTHORIZED=0 on each new connection and would then accept any certificate. Call once at process
 * start, before any request. Returns whether the variable had been set.
 */
export function enforceTlsVerification(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NODE_TLS_REJECT_UNAUTHORIZED === undefined) return false;
  delete env.NODE_TLS_REJECT_UNAUTHORIZED;
  return true;
}
