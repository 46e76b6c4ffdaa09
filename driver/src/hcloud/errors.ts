// Every failure the client reports is one of these classes, so callers branch on `instanceof` and `code`,
// never on message text. None of them ever carries the API token or a request body.

/**
 * The error codes the Hetzner Cloud API documents (its error table, the per-resource codes, and hcloud-go's
 * constants). Callers name codes through this type, so a misspelt code is a type error rather than a branch that
 * never runs.
 */
export type HcloudErrorCode =
  // general
  | 'json_error'
  | 'unauthorized'
  | 'token_readonly'
  | 'forbidden'
  | 'maintenance'
  | 'resource_limit_exceeded'
  | 'not_found'
  | 'method_not_allowed'
  | 'uniqueness_error'
  | 'conflict'
  | 'deprecated_api_endpoint'
  | 'resource_unavailable'
  | 'invalid_input'
  | 'service_error'
  | 'unsupported_error'
  | 'locked'
  | 'protected'
  | 'rate_limit_exceeded'
  | 'server_error'
  | 'bad_gateway'
  | 'unavailable'
  | 'timeout'
  // servers, networks, primary IPs
  | 'placement_error'
  | 'primary_ip_assigned'
  | 'primary_ip_datacenter_mismatch'
  | 'primary_ip_version_mismatch'
  | 'invalid_server_type'
  | 'server_not_stopped'
  | 'no_subnet_available'
  | 'ip_not_available'
  | 'server_already_attached'
  | 'networks_overlap'
  // firewalls
  | 'firewall_resource_not_found'
  | 'firewall_already_applied'
  | 'incompatible_network_type'
  | 'private_net_only_server'
  | 'firewall_managed_by_label_selector'
  | 'server_already_added'
  | 'resource_in_use';

/** What an error envelope said, and for which request. */
interface ApiErrorInit {
  status: number;
  code: string;
  message: string;
  details?: unknown;
  correlationId?: string | undefined;
  method: string;
  path: string;
}

/** The API answered with its JSON error envelope: `{"error":{"code","message","details"}}`. */
export class HcloudError extends Error {
  override readonly name = 'HcloudError';
  readonly status: number;
  /** As the API sent it: one of the documented codes, or one the API added since (kept, never guessed at). */
  readonly code: HcloudErrorCode | (string & {});
  readonly apiMessage: string;
  readonly details: unknown;
  readonly correlationId: string | undefined;
  readonly method: string;
  readonly path: string;

  constructor(init: ApiErrorInit) {
    super(formatApiMessage(init));
    this.status = init.status;
    this.code = init.code;
    this.apiMessage = init.message;
    this.details = init.details ?? null;
    this.correlationId = init.correlationId;
    this.method = init.method;
    this.path = init.path;
  }
}

function formatApiMessage(e: ApiErrorInit): string {
  let text = `Hetzner API error ${e.status} ${e.code}: ${e.message || '(no message)'}`;
  const fields = fieldProblems(e.details);
  if (fields) text += ` [${fields}]`;
  text += ` (${e.method} ${e.path}`;
  if (e.correlationId) text += `, correlation id ${e.correlationId}`;
  return `${text})`;
}

/** `invalid_input` details name the offending fields; showing them saves the user a round trip. */
function fieldProblems(details: unknown): string {
  if (!details || typeof details !== 'object') return '';
  const fields = (details as { fields?: unknown }).fields;
  if (!Array.isArray(fields)) return '';
  return fields
    .map((f) => {
      if (!f || typeof f !== 'object') return '';
      const { name, messages } = f as { name?: unknown; messages?: unknown };
      const msgs = Array.isArray(messages) ? messages.filter((m) => typeof m === 'string') : [];
      return msgs.length > 0 ? `${String(name)}: ${msgs.join(', ')}` : String(name);
    })
    .filter(Boolean)
    .join('; ');
}

/** A non-2xx answer without a JSON error body (e.g. a bare 502 from a proxy). */
export class HttpStatusError extends Error {
  override readonly name = 'HttpStatusError';
  readonly status: number;
  readonly correlationId: string | undefined;
  readonly method: string;
  readonly path: string;

  constructor(init: {
    status: number;
    method: string;
    path: string;
    correlationId?: string | undefined;
    body?: string;
  }) {
    const snippet = init.body ? `: ${init.body.replace(/\s+/g, ' ').trim().slice(0, 200)}` : '';
    const corr = init.correlationId ? `, correlation id ${init.correlationId}` : '';
    super(
      `Hetzner API answered HTTP ${init.status} without an API error body${snippet} (${init.method} ${init.path}${corr})`,
    );
    this.status = init.status;
    this.correlationId = init.correlationId;
    this.method = init.method;
    this.path = init.path;
  }
}

export type NetworkFailure = 'timeout' | 'reset' | 'refused' | 'dns' | 'other';

/** No HTTP answer at all: the connection failed, was reset, or the attempt ran past its timeout. */
export class HcloudNetworkError extends Error {
  override readonly name = 'HcloudNetworkError';
  readonly kind: NetworkFailure;
  readonly method: string;
  readonly path: string;
  /** How many attempts were made in total; set by the retry layer when it gives up. */
  attempts = 1;
  private readonly detail: string;

  constructor(init: { kind: NetworkFailure; method: string; path: string; detail: string; cause?: unknown }) {
    super('', { cause: init.cause });
    this.kind = init.kind;
    this.method = init.method;
    this.path = init.path;
    this.detail = init.detail;
    this.message = this.render();
  }

  /** Called by the retry layer so the final message says how hard we tried. */
  setAttempts(attempts: number): void {
    this.attempts = attempts;
    this.message = this.render();
  }

  private render(): string {
    const tries = this.attempts > 1 ? ` after ${this.attempts} attempts` : '';
    return `Hetzner API request ${this.method} ${this.path} failed${tries}: ${this.detail}`;
  }
}

/** An action the API ran for us finished with `status: "error"`. */
export class ActionError extends Error {
  override readonly name = 'ActionError';
  readonly code: string;
  readonly actionId: number;
  readonly command: string;
  readonly apiMessage: string;

  constructor(init: { code: string; message: string; actionId: number; command: string }) {
    super(`Hetzner action ${init.command} (id ${init.actionId}) failed with ${init.code}: ${init.message}`);
    this.code = init.code;
    this.actionId = init.actionId;
    this.command = init.command;
    this.apiMessage = init.message;
  }
}

/** Actions were still running when the caller's deadline passed. */
export class ActionTimeoutError extends Error {
  override readonly name = 'ActionTimeoutError';
  readonly pending: ReadonlyArray<{ id: number; command: string; progress: number }>;
  readonly timeoutMs: number;

  constructor(pending: ReadonlyArray<{ id: number; command: string; progress: number }>, timeoutMs: number) {
    const list = pending.map((a) => `${a.command || 'action'} ${a.id} at ${a.progress}%`).join(', ');
    super(`Timed out after ${Math.round(timeoutMs / 1000)} s waiting for Hetzner actions: ${list}`);
    this.pending = pending;
    this.timeoutMs = timeoutMs;
  }
}

/** True when `e` is an API error, and (if codes are given) its code is one of them. */
export function isHcloudError(e: unknown, ...codes: HcloudErrorCode[]): e is HcloudError {
  return e instanceof HcloudError && (codes.length === 0 || (codes as readonly string[]).includes(e.code));
}
