// The apply loop: observe ground truth, compute, write with set_rules, wait, observe again, and retry with
// jittered backoff until what the API holds equals what ground truth asks for. There is no compare-and-swap, so
// correctness comes from the last step: every writer's final check re-reads both the firewall and the server list
// after its own write, so a stale write made by anyone is seen (and rewritten) by whoever made it or wrote after it.
import {
  type Action,
  ActionError,
  ActionTimeoutError,
  defaultSleep,
  type Firewall,
  type FirewallRuleRequest,
  HcloudError,
  HcloudNetworkError,
  HttpStatusError,
} from '../hcloud';
import type { Logger } from '../log';
import type { FirewallApiClient, ServerLike } from './api';
import { normaliseCidrList } from './cidr';
import { desiredRules, type NodeChange, nodeSources } from './desired';
import { matchesSelector } from './labels';
import { isInternalRule, type RuleOptions, rulesEqual } from './rules';

export interface ReconcileOptions {
  /** First backoff, then ×factor per retry up to maxDelayMs, each ±jitter (a fraction). */
  baseDelayMs: number;
  factor: number;
  maxDelayMs: number;
  jitter: number;
  /** Writes (or failed writes) before giving up. */
  maxAttempts: number;
  /** How long to wait for one set_rules action. */
  actionTimeoutMs: number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

export const DEFAULT_RECONCILE_OPTIONS: ReconcileOptions = {
  baseDelayMs: 100,
  factor: 2,
  maxDelayMs: 5_000,
  jitter: 0.25,
  maxAttempts: 15,
  actionTimeoutMs: 120_000,
  sleep: (ms) => defaultSleep(ms),
  random: Math.random,
};

/** Delay before retry number `retry` (0-based): base·factor^retry, capped, then ±jitter. */
export function backoffDelay(
  retry: number,
  o: Pick<ReconcileOptions, 'baseDelayMs' | 'factor' | 'maxDelayMs' | 'jitter' | 'random'>,
): number {
  const raw = Math.min(o.maxDelayMs, o.baseDelayMs * o.factor ** retry);
  return Math.max(0, Math.round(raw * (1 + o.jitter * (2 * o.random() - 1))));
}

/** Failures that say "try again": a concurrent writer, a busy firewall, or a flaky API. */
export function isTransient(e: unknown): boolean {
  if (e instanceof HcloudError) {
    return (
      ['conflict', 'locked', 'rate_limit_exceeded', 'server_error', 'unavailable', 'timeout', 'bad_gateway'].includes(
        e.code,
      ) || e.status >= 500
    );
  }
  if (e instanceof HttpStatusError) return e.status >= 500 || e.status === 429;
  return e instanceof HcloudNetworkError || e instanceof ActionError || e instanceof ActionTimeoutError;
}

export interface ReconcileTarget {
  firewallId: number;
  /** Selects the cluster's servers (ground truth). */
  clusterSelector: string;
  change: NodeChange | null;
  autoCreateRules: boolean;
  ruleOptions?: RuleOptions | undefined;
  /**
   * What the caller read moments ago, in this operation and before any write: it stands in for the first read of
   * that half of the state (saving the request). Never for a read after a write: the verify pass always reads both.
   */
  seen?: { firewall?: Firewall | undefined; servers?: readonly ServerLike[] | undefined } | undefined;
  /**
   * With `seen.firewall` and a change but no server list: the first write is the firewall's own node sources with
   * this node added or dropped, without listing the servers first. The verify pass after it reads both halves and
   * holds the result against ground truth as always, so a stale or concurrent view only costs a second write.
   */
  fromRules?: boolean;
  /**
   * Actions of the same operation (the server's create or delete) to wait for in the first rule write's poll, so
   * that one poll serves both. Their final states land in `finals`, failed ones too: the owner judges them. Left
   * unset when no rule was written; the owner then waits itself.
   */
  alongside?: Alongside;
}

export interface Alongside {
  actions: readonly Action[];
  timeoutMs: number;
  chained?: boolean;
  finals?: Action[];
}

export interface ReconcileResult {
  /** False when the firewall no longer exists (nothing to reconcile). */
  found: boolean;
  /** set_rules calls made, and retries after a mismatch or a transient error. */
  writes: number;
  retries: number;
  /** The internal sources the firewall holds at the end. */
  sources: string[];
  /** The cluster's servers as last read from the API by this loop (undefined when only the caller's list was used). */
  servers?: ServerLike[];
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function reconcileFirewall(
  client: FirewallApiClient,
  logger: Logger,
  target: ReconcileTarget,
  options: Partial<ReconcileOptions> = {},
): Promise<ReconcileResult> {
  const o = { ...DEFAULT_RECONCILE_OPTIONS, ...options };
  let writes = 0;
  let retries = 0;
  let verifying = false;
  const warned = new Set<string>();
  let seen = target.seen;

  const backoff = async (why: string): Promise<void> => {
    if (retries + 1 >= o.maxAttempts) {
      throw new Error(
        `the cluster firewall ${target.firewallId} did not converge after ${o.maxAttempts} attempts (${why}); ` +
          'another process may keep rewriting it, or the API keeps failing',
      );
    }
    const delay = backoffDelay(retries, o);
    retries++;
    logger.debug(`firewall ${target.firewallId}: ${why}; retry ${retries} in ${delay} ms`);
    await o.sleep(delay);
  };

  for (;;) {
    let servers: ServerLike[];
    let firewall: Firewall | null;
    // Only the first pass may use what the caller saw; after a failure or a write, both halves are read again.
    const known = seen;
    seen = undefined;
    if (known?.firewall && !known.servers && target.fromRules && target.change && writes === 0 && retries === 0) {
      const current = known.firewall;
      const held = current.rules.filter(isInternalRule).flatMap((r) => r.source_ips ?? []);
      const mine = new Set(normaliseCidrList(nodeSources(target.change.server)));
      const sources = normaliseCidrList(
        target.change.kind === 'join' ? [...held, ...mine] : normaliseCidrList(held).filter((c) => !mine.has(c)),
      );
      const desired = desiredRules({
        current: current.rules,
        clusterServers: [],
        change: null,
        sources,
        autoCreateRules: target.autoCreateRules,
        options: target.ruleOptions,
      });
      // Nothing to change by the firewall's own account: check against ground truth as usual.
      if (rulesEqual(current.rules, desired.rules)) continue;
      try {
        await writeRules(client, target.firewallId, desired.rules, o.actionTimeoutMs, target.alongside);
        writes++;
        verifying = true;
        logger.debug(`firewall ${target.firewallId}: wrote ${desired.rules.length} rules (this node's change)`);
      } catch (e) {
        if (e instanceof HcloudError && e.code === 'not_found') return { found: false, writes, retries, sources: [] };
        if (!isTransient(e)) throw e;
        await backoff(`set_rules failed: ${describe(e)}`);
      }
      continue;
    }
    try {
      [servers, firewall] = await Promise.all([
        known?.servers ? [...known.servers] : client.servers.list({ label_selector: target.clusterSelector }),
        known?.firewall ?? client.firewalls.get(target.firewallId),
      ]);
    } catch (e) {
      if (!isTransient(e)) throw e;
      await backoff(`reading the firewall failed: ${describe(e)}`);
      continue;
    }
    if (!firewall) return { found: false, writes, retries, sources: [] };
    // Membership is ownership: only servers whose own labels carry the cluster's (managed-by and cluster) are nodes,
    // whatever a list returned (a caller's list, or an API that ignored part of the selector).
    const members = servers.filter((srv) => matchesSelector(target.clusterSelector, srv.labels));
    const desired = desiredRules({
      current: firewall.rules,
      clusterServers: members,
      change: target.change,
      autoCreateRules: target.autoCreateRules,
      options: target.ruleOptions,
    });
    for (const w of desired.warnings) {
      if (!warned.has(w)) logger.warn(w);
      warned.add(w);
    }
    if (rulesEqual(firewall.rules, desired.rules)) {
      return { found: true, writes, retries, sources: desired.sources, ...(known?.servers ? {} : { servers }) };
    }
    // A mismatch right after our own write means another writer came in between: spread out before writing again,
    // and write from a fresh observation, never from this one.
    if (verifying) {
      verifying = false;
      await backoff('rules differ from ground truth after writing');
      continue;
    }
    try {
      await writeRules(client, target.firewallId, desired.rules, o.actionTimeoutMs, target.alongside);
      writes++;
      verifying = true;
      logger.debug(
        `firewall ${target.firewallId}: wrote ${desired.rules.length} rules (${desired.sources.length} node CIDRs)`,
      );
    } catch (e) {
      if (e instanceof HcloudError && e.code === 'not_found') return { found: false, writes, retries, sources: [] };
      if (!isTransient(e)) throw e;
      await backoff(`set_rules failed: ${describe(e)}`);
    }
  }
}

async function writeRules(
  client: FirewallApiClient,
  firewallId: number,
  rules: FirewallRuleRequest[],
  timeoutMs: number,
  alongside?: Alongside,
): Promise<void> {
  const actions = await client.firewalls.setRules(firewallId, rules);
  // Only the rule change itself: apply_firewall actions belong to servers, and a server deleted meanwhile would
  // fail its action without saying anything about the rules.
  const own = actions.filter((a) => a.command === 'set_firewall_rules');
  const mine = own.length > 0 ? own : actions;
  if (!alongside || alongside.finals) {
    await client.actions.waitFor(mine, { timeoutMs });
    return;
  }
  // One poll for both; then the rule change is judged here (its final state needs no further request).
  const theirs = new Set(alongside.actions.map((a) => a.id));
  const all = await client.actions.waitFor([...mine, ...alongside.actions], {
    timeoutMs: Math.max(timeoutMs, alongside.timeoutMs),
    chained: alongside.chained,
    keepErrors: true,
  });
  alongside.finals = all.filter((a) => theirs.has(a.id));
  await client.actions.waitFor(
    all.filter((a) => !theirs.has(a.id)),
    { timeoutMs },
  );
}

/**
 * Runs `fn`, retrying transient API failures (beyond the client's own retries, which skip `locked`) with the
 * reconciler's backoff. For the find/create/attach steps around the apply loop.
 */
export async function withTransientRetry<T>(
  logger: Logger,
  what: string,
  fn: () => Promise<T>,
  options: Partial<ReconcileOptions> = {},
): Promise<T> {
  const o = { ...DEFAULT_RECONCILE_OPTIONS, ...options };
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isTransient(e) || attempt + 1 >= o.maxAttempts) throw e;
      const delay = backoffDelay(attempt, o);
      logger.debug(`${what} failed (${describe(e)}); retry ${attempt + 1} in ${delay} ms`);
      await o.sleep(delay);
    }
  }
}
