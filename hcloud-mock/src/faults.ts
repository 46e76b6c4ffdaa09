import type { ActionError } from './actions';
import type { ConcurrentSetRulesMode } from './records';
import { createPrng, isPlainObject } from './util';

export type ErrorEffect = {
  status: number;
  code: string;
  message?: string;
  details?: unknown;
  headers?: Record<string, string>;
};
/** A status without a JSON body, e.g. a load balancer's 502: clients must not parse it as an API error. */
export type BareEffect = { bareStatus: number; body?: string };
export type DelayEffect = { delayMs: number };
export type HangEffect = { hang: true };
export type ResetEffect = { reset: true };
/** Perform the request's change, then answer with the inner effect instead of the real response. */
export type ApplyThenEffect = { applyThen: ErrorEffect | BareEffect | HangEffect | ResetEffect | DelayEffect };
export type ActionFailEffect = { actionFail: ActionError; command?: string };
export type ActionDurationEffect = { actionDurationMs: number; command?: string };

export type FaultEffect =
  | ErrorEffect
  | BareEffect
  | DelayEffect
  | HangEffect
  | ResetEffect
  | ApplyThenEffect
  | ActionFailEffect
  | ActionDurationEffect;

export interface FaultMatch {
  method?: string;
  /** A string matches the request path after `/v1` exactly, or its template (`/servers/{id}`); a RegExp is tested. */
  path?: string | RegExp;
  body?: (body: unknown) => boolean;
}

export interface FaultWhen {
  /** Fire only on the nth matching request (1-based). */
  nth?: number;
  /** Fire at most this many times. */
  times?: number;
  /** Fire with this probability (seeded PRNG). */
  probability?: number;
}

export interface FaultRule {
  match?: FaultMatch;
  when?: FaultWhen;
  effect: FaultEffect;
}

export type ChaosKind =
  | 'conflict'
  | 'locked'
  | 'badGateway'
  | 'timeout'
  | 'rateLimited'
  | 'serverError'
  | 'unavailable';

export interface ChaosOptions {
  seed?: number;
  /** Probability per request. */
  rate: number;
  kinds?: ChaosKind[];
  match?: FaultMatch;
}

interface RuleState {
  id: number;
  rule: FaultRule;
  matched: number;
  fired: number;
  random: () => number;
  chaos?: ChaosKind[];
}

export interface RequestInfo {
  method: string;
  path: string;
  endpoint: string;
  body: unknown;
}

export const presets = {
  conflict: (): ErrorEffect => ({
    status: 409,
    code: 'conflict',
    message: 'resource has changed during the request, please retry',
  }),
  locked: (): ErrorEffect => ({
    status: 423,
    code: 'locked',
    message: 'cannot perform operation because server is locked',
  }),
  rateLimited: (): ErrorEffect => ({
    status: 429,
    code: 'rate_limit_exceeded',
    message: 'limit of requests per hour reached',
    headers: { 'RateLimit-Remaining': '0' },
  }),
  serverError: (): ErrorEffect => ({ status: 500, code: 'server_error', message: 'an internal server error occurred' }),
  badGateway: (): ErrorEffect => ({ status: 502, code: 'bad_gateway', message: 'bad gateway' }),
  unavailable: (): ErrorEffect => ({ status: 503, code: 'unavailable', message: 'service unavailable' }),
  timeout: (): ErrorEffect => ({ status: 504, code: 'timeout', message: 'request timed out' }),
  uniqueness: (field = 'name'): ErrorEffect => ({
    status: 409,
    code: 'uniqueness_error',
    message: `${field} is already used`,
    details: { fields: [{ name: field }] },
  }),
  resourceInUse: (): ErrorEffect => ({ status: 422, code: 'resource_in_use', message: 'resource is still in use' }),
  bare: (status: number): BareEffect => ({ bareStatus: status }),
  delay: (ms: number): DelayEffect => ({ delayMs: ms }),
  hang: (): HangEffect => ({ hang: true }),
  reset: (): ResetEffect => ({ reset: true }),
  applyThen: (effect: ApplyThenEffect['applyThen']): ApplyThenEffect => ({ applyThen: effect }),
  actionFail: (code = 'action_failed', message = 'action failed', command?: string): ActionFailEffect => ({
    actionFail: { code, message },
    command,
  }),
  slowActions: (ms: number, command?: string): ActionDurationEffect => ({ actionDurationMs: ms, command }),
};

function chaosEffect(kind: ChaosKind): FaultEffect {
  switch (kind) {
    case 'conflict':
      return presets.conflict();
    case 'locked':
      return presets.locked();
    case 'badGateway':
      return presets.bare(502);
    case 'timeout':
      return presets.bare(504);
    case 'rateLimited':
      return presets.rateLimited();
    case 'serverError':
      return presets.serverError();
    case 'unavailable':
      return presets.unavailable();
  }
}

/** Fault rules consulted for every API request, in the order they were added. */
export class FaultRegistry {
  readonly presets = presets;
  private rules: RuleState[] = [];
  private nextRuleId = 1;

  constructor(
    private readonly seed: number,
    private readonly onConcurrentSetRules: (mode: ConcurrentSetRulesMode) => void,
  ) {}

  add(rule: FaultRule): number {
    validateRule(rule);
    const id = this.nextRuleId++;
    this.rules.push({ id, rule, matched: 0, fired: 0, random: createPrng(this.seed + id) });
    return id;
  }

  remove(id: number): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
  }

  list(): { id: number; rule: FaultRule; matched: number; fired: number }[] {
    return this.rules.map(({ id, rule, matched, fired }) => ({ id, rule, matched, fired }));
  }

  setConcurrentSetRules(mode: ConcurrentSetRulesMode): void {
    if (mode !== 'lastWins' && mode !== 'conflict' && mode !== 'locked') {
      throw new Error(`concurrentSetRules must be lastWins, conflict or locked, got ${String(mode)}`);
    }
    this.onConcurrentSetRules(mode);
  }

  /** Random transient failures for soak tests; deterministic for a given seed. */
  chaos(options: ChaosOptions): number {
    const kinds = options.kinds ?? ['conflict', 'locked', 'badGateway', 'timeout', 'rateLimited'];
    if (kinds.length === 0) throw new Error('chaos needs at least one kind');
    const id = this.nextRuleId++;
    this.rules.push({
      id,
      rule: { match: options.match, when: { probability: options.rate }, effect: chaosEffect(kinds[0]!) },
      matched: 0,
      fired: 0,
      random: createPrng(options.seed ?? this.seed + id),
      chaos: kinds,
    });
    return id;
  }

  /** Returns the effects of every rule that fires for this request. */
  evaluate(req: RequestInfo): FaultEffect[] {
    const fired: FaultEffect[] = [];
    for (const r of this.rules) {
      if (!matches(r.rule.match, req)) continue;
      r.matched++;
      const when = r.rule.when ?? {};
      if (when.nth !== undefined && r.matched !== when.nth) continue;
      if (when.times !== undefined && r.fired >= when.times) continue;
      if (when.probability !== undefined && r.random() >= when.probability) continue;
      r.fired++;
      if (r.chaos) fired.push(chaosEffect(r.chaos[Math.floor(r.random() * r.chaos.length)]!));
      else fired.push(r.rule.effect);
    }
    return fired;
  }
}

function matches(match: FaultMatch | undefined, req: RequestInfo): boolean {
  if (!match) return true;
  if (match.method && match.method.toUpperCase() !== req.method) return false;
  if (match.path !== undefined) {
    if (typeof match.path === 'string') {
      if (match.path !== req.path && match.path !== req.endpoint) return false;
    } else {
      match.path.lastIndex = 0;
      if (!match.path.test(req.path)) return false;
    }
  }
  if (match.body && !match.body(req.body)) return false;
  return true;
}

function validateRule(rule: FaultRule): void {
  if (!isPlainObject(rule) || !isPlainObject(rule.effect)) throw new Error('a fault rule needs an effect object');
  const e = rule.effect as Record<string, unknown>;
  const known = ['status', 'bareStatus', 'delayMs', 'hang', 'reset', 'applyThen', 'actionFail', 'actionDurationMs'];
  if (!known.some((k) => k in e)) throw new Error(`unknown fault effect; use one of ${known.join(', ')}`);
  if ('status' in e && typeof e.code !== 'string') throw new Error('a JSON error effect needs a code');
}

/** Turns the control API's JSON (path as a regex string) into a rule. */
export function ruleFromJson(json: unknown): FaultRule {
  if (!isPlainObject(json)) throw new Error('fault rule must be an object');
  const match = isPlainObject(json.match) ? { ...json.match } : undefined;
  if (match && typeof match.path === 'string') match.path = new RegExp(match.path);
  return {
    match: match as FaultMatch | undefined,
    when: json.when as FaultWhen | undefined,
    effect: json.effect as FaultEffect,
  };
}
