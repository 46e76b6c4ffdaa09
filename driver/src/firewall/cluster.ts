// The three lifecycle steps behind index.ts: find-or-create before the server exists, register once it runs,
// deregister (and delete the firewall when the last create-firewall node is gone) after it is deleted.
import { type Firewall, type FirewallResource, isHcloudError } from '../hcloud';
import { CLUSTER_KEY, FIREWALL_SELECTOR_KEY, labelSelector, MACHINE_KEY, toLabelValue } from '../labels';
import type { FirewallApiClient, ServerLike } from './api';
import type { ClusterFirewallContext } from './context';
import { FirewallLimitError, type NodeChange, nodeSources } from './desired';
import { clusterLabels, defaultFirewallName, isClusterFirewall, matchesSelector } from './labels';
import { ForeignFirewallError, ownedOrRefused } from './ownership';
import {
  type Alongside,
  backoffDelay,
  DEFAULT_RECONCILE_OPTIONS,
  isTransient,
  type ReconcileResult,
  type ReconcileTarget,
  reconcileFirewall,
  withTransientRetry,
} from './reconcile';
import { baseTemplateRules, MAX_FIREWALLS_PER_SERVER, parseAdminCidrs, type RuleOptions } from './rules';

/** How often the firewall delete is retried while Hetzner still reports it in use (terraform uses 10). */
const DELETE_ATTEMPTS = 10;
/** Find-or-create rounds when the firewall vanishes under us (deleted by the last leaving node). */
const REGISTER_ROUNDS = 3;

/**
 * The firewall prepare found or created, handed to register of the same operation (the driver passes one context
 * object through Create), so the firewall is looked up once per create. Taken once: a later operation that reuses
 * the context looks again. A WeakMap keeps the public context type free of internals.
 */
const prepared = new WeakMap<ClusterFirewallContext, Firewall>();

function takePrepared(ctx: ClusterFirewallContext): Firewall | null {
  const fw = prepared.get(ctx) ?? null;
  prepared.delete(ctx);
  return fw;
}

function selectorLabelValue(ctx: ClusterFirewallContext): string {
  return toLabelValue(ctx.clusterId);
}

/** The label selector by which the shared firewall reaches (only) create-firewall nodes. */
export function firewallSelector(ctx: ClusterFirewallContext): string {
  return `${FIREWALL_SELECTOR_KEY}=${selectorLabelValue(ctx)}`;
}

/** The label selector of all the cluster's nodes: ground truth for the internal rules. */
export function clusterServerSelector(ctx: ClusterFirewallContext): string {
  return labelSelector(clusterLabels(ctx.clusterId));
}

function retry<T>(ctx: ClusterFirewallContext, what: string, fn: () => Promise<T>): Promise<T> {
  return withTransientRetry(ctx.logger, what, fn, ctx.reconcile);
}

function ruleOptions(ctx: ClusterFirewallContext): RuleOptions {
  return {
    adminCidrs: ctx.adminCidrs ? parseAdminCidrs(ctx.adminCidrs) : undefined,
    openNodePorts: ctx.openNodePorts,
  };
}

function firewallName(ctx: ClusterFirewallContext): string {
  return ctx.firewallName?.trim() || defaultFirewallName(ctx.clusterId);
}

function requireClusterId(ctx: ClusterFirewallContext): void {
  if (!ctx.clusterId.trim()) {
    throw new Error('create-firewall needs a cluster id: set --hetzner-cluster-id so nodes can share one firewall');
  }
}

function named(ctx: ClusterFirewallContext): boolean {
  return !!ctx.firewallName?.trim();
}

/**
 * The cluster's firewall among `all`: by name when one is configured, else by the cluster labels (lowest id). A
 * firewall under the configured name that the driver did not make for this cluster throws ForeignFirewallError.
 */
function pickFirewall(ctx: ClusterFirewallContext, all: readonly Firewall[]): Firewall | null {
  if (named(ctx)) return ownedOrRefused(all.find((f) => f.name === firewallName(ctx)) ?? null, ctx.clusterId, true);
  const wanted = clusterLabels(ctx.clusterId);
  const matches = all.filter((f) => isClusterFirewall(f.labels, ctx.clusterId)).sort((a, b) => a.id - b.id);
  if (matches.length > 1) {
    ctx.logger.warn(
      `found ${matches.length} firewalls labelled for cluster ${wanted[CLUSTER_KEY]} ` +
        `(${matches.map((f) => `${f.name} #${f.id}`).join(', ')}); using the oldest, #${matches[0]!.id}`,
    );
  }
  return matches[0] ?? null;
}

async function findFirewall(ctx: ClusterFirewallContext): Promise<Firewall | null> {
  if (named(ctx)) return ownedOrRefused(await ctx.client.firewalls.getByName(firewallName(ctx)), ctx.clusterId, true);
  return pickFirewall(ctx, await ctx.client.firewalls.list({ label_selector: clusterServerSelector(ctx) }));
}

/** Find the shared firewall or create it; a concurrent create (name taken) falls back to finding it. */
async function findOrCreateFirewall(ctx: ClusterFirewallContext, known?: readonly Firewall[]): Promise<Firewall> {
  const existing = known ? pickFirewall(ctx, known) : await findFirewall(ctx);
  if (existing) {
    await ensureSelector(ctx, existing);
    return existing;
  }
  const name = firewallName(ctx);
  try {
    const { firewall } = await ctx.client.firewalls.create({
      name,
      labels: clusterLabels(ctx.clusterId),
      // Public and outbound rules from the start: SSH must be open when the first node boots behind the firewall.
      rules: ctx.autoCreateRules ? baseTemplateRules(ruleOptions(ctx)) : [],
      apply_to: [{ type: 'label_selector', label_selector: { selector: firewallSelector(ctx) } }],
    });
    ctx.logger.info(`created cluster firewall ${name} (#${firewall.id})`);
    return firewall;
  } catch (e) {
    if (!isHcloudError(e, 'uniqueness_error')) throw e;
    const raced = await findFirewall(ctx);
    if (!raced) {
      // The default name, taken by a firewall that is not this cluster's: say whose it is (error path only).
      const clash = await ctx.client.firewalls.getByName(name);
      if (clash) throw new ForeignFirewallError(clash, ctx.clusterId, false);
      throw e;
    }
    ctx.logger.debug(`firewall ${name} was created concurrently by another node; using #${raced.id}`);
    await ensureSelector(ctx, raced);
    return raced;
  }
}

/** The label selector is what keeps the firewall on every create-firewall node; restore it if it was removed. */
async function ensureSelector(ctx: ClusterFirewallContext, fw: Firewall): Promise<void> {
  const selector = firewallSelector(ctx);
  const has = fw.applied_to.some((a) => a.type === 'label_selector' && a.label_selector.selector === selector);
  if (has) return;
  try {
    await ctx.client.firewalls.applyToResources(fw.id, [{ type: 'label_selector', label_selector: { selector } }]);
  } catch (e) {
    if (!isHcloudError(e, 'firewall_already_applied')) throw e;
  }
}

/** The labels the new server will carry besides the selector label: the caller's, else the cluster's defaults. */
function plannedServerLabels(ctx: ClusterFirewallContext): Readonly<Record<string, string>> {
  return ctx.serverLabels ?? { ...clusterLabels(ctx.clusterId), [MACHINE_KEY]: toLabelValue(ctx.machineName) };
}

/** Hetzner allows 5 firewalls per server, counting label-selector firewalls that match its labels. */
function checkFirewallCount(
  ctx: ClusterFirewallContext,
  all: readonly Firewall[],
  prospectiveLabels: Readonly<Record<string, string>>,
  ours: number | null,
): void {
  const reaching = new Map<number, string>();
  for (const id of ctx.extraFirewallIds ?? []) reaching.set(id, all.find((f) => f.id === id)?.name ?? `#${id}`);
  for (const f of all) {
    const bySelector = f.applied_to.some(
      (a) => a.type === 'label_selector' && matchesSelector(a.label_selector.selector, prospectiveLabels),
    );
    if (bySelector) reaching.set(f.id, f.name);
  }
  const total = reaching.size + (ours !== null && !reaching.has(ours) ? 1 : 0);
  if (total > MAX_FIREWALLS_PER_SERVER) {
    throw new FirewallLimitError(
      'firewalls-per-server',
      `machine ${ctx.machineName} would get ${total} firewalls, but Hetzner allows ${MAX_FIREWALLS_PER_SERVER} per ` +
        `server (label-selector firewalls that match its labels count too): ${[...reaching.values()].join(', ')}` +
        `${ours !== null ? ' and the cluster firewall' : ''}. Pass fewer --hetzner-firewalls or narrow those selectors`,
    );
  }
}

export async function prepare(
  ctx: ClusterFirewallContext,
): Promise<{ firewallIds: number[]; serverLabels: Record<string, string> }> {
  const extra = ctx.extraFirewallIds ?? [];
  if (!ctx.createFirewall) {
    if (extra.length > 0) {
      const all = await retry(ctx, 'listing firewalls', () => ctx.client.firewalls.list());
      checkFirewallCount(ctx, all, plannedServerLabels(ctx), null);
      // The same list shows whether the cluster's firewall exists; if not yet, register looks again (a
      // create-firewall node may make it while this server boots).
      const known = ctx.clusterId.trim() ? pickFirewall(ctx, all) : null;
      if (known) prepared.set(ctx, known);
    }
    return { firewallIds: [], serverLabels: {} };
  }
  requireClusterId(ctx);
  const serverLabels = { [FIREWALL_SELECTOR_KEY]: selectorLabelValue(ctx) };
  const prospective = { ...plannedServerLabels(ctx), ...serverLabels };
  // One list serves both the lookup and the 5-firewalls check; checked before creating anything.
  const all = await retry(ctx, 'listing firewalls', () => ctx.client.firewalls.list());
  const known = pickFirewall(ctx, all);
  checkFirewallCount(ctx, all, prospective, known?.id ?? -1);
  // The list is only fresh for the first try; after a failure (maybe a create that did happen) look again.
  let fresh: readonly Firewall[] | undefined = all;
  const fw = await retry(ctx, 'finding or creating the cluster firewall', () => {
    const knownNow = fresh;
    fresh = undefined;
    return findOrCreateFirewall(ctx, knownNow);
  });
  // Passing the id in POST /servers protects the node from its first boot; the selector label keeps it there
  // (and re-applies a re-created firewall) without any per-server attach call.
  prepared.set(ctx, fw);
  return { firewallIds: [fw.id], serverLabels };
}

/** What the operation around a firewall step already has: its server list, its own actions to wait for. */
export interface NodeStepOptions {
  /** The cluster's servers (by the cluster selector), listed moments ago by this operation before any write. */
  servers?: readonly ServerLike[] | undefined;
  /** The server's create or delete actions, waited for in the rule write's poll. */
  alongside?: Alongside | undefined;
}

export async function register(
  ctx: ClusterFirewallContext,
  server: ServerLike,
  opts: NodeStepOptions = {},
): Promise<void> {
  if (!ctx.clusterId.trim()) return;
  // The firewall prepare found or made: its id still holds. Its rules may predate other nodes' writes, so they only
  // seed the first write (this node added); the verify pass after it reads rules and servers afresh and rewrites
  // from ground truth if anything differs.
  let handed = takePrepared(ctx);
  for (let round = 0; round < REGISTER_ROUNDS; round++) {
    const fw =
      handed ??
      (await retry(ctx, 'finding the cluster firewall', () =>
        ctx.createFirewall ? findOrCreateFirewall(ctx) : findFirewall(ctx),
      ));
    if (!fw) {
      ctx.logger.info(
        `no shared firewall found for cluster ${toLabelValue(ctx.clusterId)}; ` +
          `${ctx.machineName} is not registered in any firewall`,
      );
      return;
    }
    handed = null;
    const result = await reconcileChange(
      ctx,
      fw,
      { kind: 'join', server },
      { firewall: fw },
      {
        fromRules: true,
        alongside: opts.alongside,
      },
    );
    if (result.found) {
      const mine = nodeSources(server);
      ctx.logger.info(
        `registered ${mine.join(', ') || 'no public address'} of ${ctx.machineName} in cluster firewall ${fw.name} ` +
          `(${result.sources.length} node CIDRs, ${result.writes} writes)`,
      );
      return;
    }
    // Deleted under us by the last leaving create-firewall node; look again (create-firewall nodes re-create it).
    ctx.logger.debug(`cluster firewall #${fw.id} disappeared while registering ${ctx.machineName}; looking again`);
  }
  throw new Error(
    `could not register ${ctx.machineName} in the cluster firewall: it was deleted ${REGISTER_ROUNDS} times while ` +
      'registering (is another cluster removing all its nodes right now?)',
  );
}

export async function deregister(
  ctx: ClusterFirewallContext,
  server: ServerLike | null,
  opts: NodeStepOptions = {},
): Promise<void> {
  if (!ctx.clusterId.trim()) return;
  let fw: Firewall | null;
  try {
    fw = await retry(ctx, 'finding the cluster firewall', () => findFirewall(ctx));
  } catch (e) {
    // Never detach, rewrite or delete someone else's firewall; the server is gone either way.
    if (!(e instanceof ForeignFirewallError)) throw e;
    ctx.logger.warn(`leaving the firewall alone while removing ${ctx.machineName}: ${e.message}`);
    return;
  }
  if (!fw) {
    ctx.logger.debug(`no shared firewall for cluster ${toLabelValue(ctx.clusterId)}; nothing to deregister`);
    return;
  }
  // One listing serves both the last-node check and the apply loop's first look at ground truth: create-firewall
  // nodes carry the cluster's labels as well as the selector label (the driver labels every node it makes). Remove
  // may hand over its own listing, taken before its server's delete.
  const list = () =>
    retry(ctx, "listing the cluster's servers", () =>
      ctx.client.servers.list({ label_selector: clusterServerSelector(ctx) }),
    );
  const given = opts.servers;
  let servers = given ?? (await list());
  const selector = selectorLabelValue(ctx);
  const othersRemain = (all: readonly ServerLike[]) =>
    all.some((s) => s.labels[FIREWALL_SELECTOR_KEY] === selector && s.status !== 'deleting' && s.id !== server?.id);
  // The last node's server must be gone before its firewall can go: wait for the delete first (one poll). A delete
  // that failed leaves the server (and so the firewall) in place; the caller deletes again and calls again.
  const deleteIfLast = async (all: readonly ServerLike[]): Promise<boolean> => {
    if (othersRemain(all)) return false;
    const deleting = opts.alongside;
    if (deleting && !deleting.finals) {
      deleting.finals = await ctx.client.actions.waitFor(deleting.actions, {
        timeoutMs: deleting.timeoutMs,
        keepErrors: true,
      });
    }
    if (deleting?.finals?.some((a) => a.status === 'error')) return true;
    await deleteFirewall(ctx, fw);
    return true;
  };
  if (ctx.createFirewall && !othersRemain(servers)) {
    // A handed-over listing predates this delete, and others may have left meanwhile or be joining: the decision to
    // delete the firewall is taken on a fresh one.
    if (given) servers = await list();
    if (await deleteIfLast(servers)) return;
  }
  const result = await reconcileChange(
    ctx,
    fw,
    server ? { kind: 'leave', server } : null,
    { firewall: fw, servers },
    { alongside: opts.alongside },
  );
  // Nodes leaving at once each see the others in a listing taken before their deletes; the verify pass's listing
  // (after this node's delete) shows whether this one was the last after all.
  if (ctx.createFirewall && result.found && given) {
    if (await deleteIfLast(result.servers ?? (await list()))) return;
  }
  if (result.found) {
    ctx.logger.info(
      `removed ${ctx.machineName} from cluster firewall ${fw.name} (${result.sources.length} node CIDRs left)`,
    );
  }
}

/** The apply loop for this node's change, with what this operation has just read standing in for its first read. */
function reconcileChange(
  ctx: ClusterFirewallContext,
  fw: Firewall,
  change: NodeChange | null,
  seen: ReconcileTarget['seen'],
  more: Pick<ReconcileTarget, 'fromRules' | 'alongside'> = {},
): Promise<ReconcileResult> {
  return reconcileFirewall(
    ctx.client,
    ctx.logger,
    {
      firewallId: fw.id,
      clusterSelector: clusterServerSelector(ctx),
      change,
      autoCreateRules: ctx.autoCreateRules,
      ruleOptions: ruleOptions(ctx),
      seen,
      ...more,
    },
    ctx.reconcile,
  );
}

function asResource(a: Firewall['applied_to'][number]): FirewallResource {
  return a.type === 'server'
    ? { type: 'server', server: { id: a.server.id } }
    : { type: 'label_selector', label_selector: { selector: a.label_selector.selector } };
}

/** Detach everything, then delete; `resource_in_use` while detachments settle is retried with backoff. */
async function deleteFirewall(ctx: ClusterFirewallContext, initial: Firewall): Promise<void> {
  const o = { ...DEFAULT_RECONCILE_OPTIONS, ...ctx.reconcile };
  const client: FirewallApiClient = ctx.client;
  let lastError = '';
  for (let attempt = 0; attempt < DELETE_ATTEMPTS; attempt++) {
    if (attempt > 0) await o.sleep(backoffDelay(attempt - 1, o));
    try {
      // Re-read each time: detachments settle, and another leaving node may have deleted it already.
      const fw = attempt === 0 ? initial : await client.firewalls.get(initial.id);
      if (!fw) return;
      if (fw.applied_to.length > 0) {
        try {
          const actions = await client.firewalls.removeFromResources(fw.id, fw.applied_to.map(asResource));
          await client.actions.waitFor(actions, { timeoutMs: o.actionTimeoutMs });
        } catch (e) {
          // A server deleted meanwhile is already detached.
          if (!isHcloudError(e, 'firewall_resource_not_found')) throw e;
        }
      }
      await client.firewalls.delete(fw.id);
      ctx.logger.info(
        `deleted cluster firewall ${fw.name} (#${fw.id}): no create-firewall node of the cluster remains`,
      );
      return;
    } catch (e) {
      if (isHcloudError(e, 'not_found')) return;
      if (!isHcloudError(e, 'resource_in_use') && !isTransient(e)) throw e;
      lastError = e instanceof Error ? e.message : String(e);
      ctx.logger.debug(`deleting firewall #${initial.id} failed (${lastError}); retrying`);
    }
  }
  throw new Error(
    `could not delete the cluster firewall #${initial.id} after ${DELETE_ATTEMPTS} attempts: ${lastError}. ` +
      'Delete it in the Hetzner console once no server uses it',
  );
}
