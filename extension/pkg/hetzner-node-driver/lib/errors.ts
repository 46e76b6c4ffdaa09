// Turns a rejected `management/request` (the proxy's response body with a non-enumerable `_status`, or a network
// error) into an l10n key under hetzner.errors and its arguments. Never includes the token or request headers.

export interface ProxyError {
  key: string;
  args: Record<string, string | number>;
  code?: string;
  status?: number;
}

interface HcloudErrorBody {
  error?: { code?: unknown; message?: unknown };
  _status?: number;
  message?: unknown;
}

const KNOWN_CODES = new Set([
  'unauthorized',
  'token_readonly',
  'forbidden',
  'rate_limit_exceeded',
  'maintenance',
  'unavailable',
  'server_error',
]);

export function describeProxyError(e: unknown): ProxyError {
  const body = (e && typeof e === 'object' ? e : {}) as HcloudErrorBody;
  const status = typeof body._status === 'number' ? body._status : undefined;
  const code = typeof body.error?.code === 'string' ? body.error.code : undefined;
  const message = typeof body.error?.message === 'string' ? body.error.message : '';
  const base = { ...(code ? { code } : {}), ...(status !== undefined ? { status } : {}) };

  if (code && KNOWN_CODES.has(code)) {
    return {
      key: `code.${ code }`, args: { message }, ...base
    };
  }
  if (code) {
    return {
      key: 'api', args: { code, message }, ...base
    };
  }
  // Without a Hetzner error body the failure came from Rancher's proxy itself, most often because the domain is
  // not allow-listed for the node driver.
  if (status === 502 || status === 503) {
    return {
      key: 'proxyRefused', args: { status }, ...base
    };
  }
  if (status === 401 || status === 403) {
    return {
      key: 'rancherDenied', args: { status }, ...base
    };
  }
  if (status !== undefined) {
    return {
      key: 'http', args: { status }, ...base
    };
  }
  const reason = e instanceof Error ? e.message : typeof body.message === 'string' ? body.message : String(e);

  return {
    key: 'network', args: { reason }, ...base
  };
}
