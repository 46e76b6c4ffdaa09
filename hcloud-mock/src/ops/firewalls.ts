import type { Action } from '../actions';
import { matchSelector, parseSelector, validateLabels } from '../labels';
import type { AppliedTo, FirewallRecord, FirewallRule, ServerRecord } from '../records';
import type { MockState } from '../state';
import {
  ApiError,
  byIdOr404,
  canonicalCidr,
  invalidInput,
  isoNow,
  isPlainObject,
  isValidCidr,
  lockedError,
} from '../util';

type SelectorEntry = Extract<AppliedTo, { type: 'label_selector' }>;

export function getFirewall(state: MockState, id: number): FirewallRecord {
  return byIdOr404(state.firewalls, id, 'firewall');
}

const PROTOCOLS = ['tcp', 'udp', 'icmp', 'esp', 'gre'];

function validatePort(port: string): boolean {
  if (port === 'any') return true;
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(port);
  if (!m) return false;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  return lo >= 1 && hi <= 65535 && lo <= hi;
}

export function validateRules(state: MockState, value: unknown): FirewallRule[] {
  if (!Array.isArray(value)) throw invalidInput('rules', 'must be an array');
  if (value.length > state.limits.rulesPerFirewall) {
    throw invalidInput('rules', `must not contain more than ${state.limits.rulesPerFirewall} rules`);
  }
  return value.map((raw, i): FirewallRule => {
    const bad = (msg: string) => invalidInput('rules', `rule ${i}: ${msg}`);
    if (!isPlainObject(raw)) throw bad('must be an object');
    const { direction, protocol, port, source_ips, destination_ips, description } = raw;
    if (direction !== 'in' && direction !== 'out') throw bad("direction must be 'in' or 'out'");
    if (typeof protocol !== 'string' || !PROTOCOLS.includes(protocol)) {
      throw bad(`protocol must be one of ${PROTOCOLS.join(', ')}`);
    }
    const portful = protocol === 'tcp' || protocol === 'udp';
    if (port !== undefined && port !== null) {
      if (!portful) throw bad(`port is not allowed for protocol ${protocol}`);
      if (typeof port !== 'string' || !validatePort(port)) throw bad(`port '${String(port)}' is invalid`);
    } else if (portful) {
      throw bad(`port is required for protocol ${protocol}`);
    }
    const ips = (v: unknown, name: string, allowed: boolean): string[] => {
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v)) throw bad(`${name} must be an array`);
      if (!allowed && v.length > 0) throw bad(`${name} is not allowed for direction ${direction}`);
      if (v.length > state.limits.ipsPerRule) {
        throw bad(`${name} must not contain more than ${state.limits.ipsPerRule} entries`);
      }
      return v.map((ip) => {
        if (typeof ip !== 'string' || !ip.includes('/') || !isValidCidr(ip))
          throw bad(`${name} entry '${ip}' is not a valid CIDR`);
        return canonicalCidr(ip.toLowerCase());
      });
    };
    const src = ips(source_ips, 'source_ips', direction === 'in');
    const dst = ips(destination_ips, 'destination_ips', direction === 'out');
    if (direction === 'in' && src.length === 0) throw bad('source_ips is required for direction in');
    if (direction === 'out' && dst.length === 0) throw bad('destination_ips is required for direction out');
    if (description !== undefined && description !== null) {
      if (typeof description !== 'string' || description.length > 255)
        throw bad('description must be at most 255 characters');
    }
    return {
      direction,
      protocol: protocol as FirewallRule['protocol'],
      port: (port as string | undefined) ?? null,
      source_ips: src,
      destination_ips: dst,
      description: (description as string | undefined) ?? null,
    };
  });
}

function validateFirewallName(state: MockState, name: unknown, selfId?: number): string {
  if (typeof name !== 'string' || name === '') throw invalidInput('name', 'is required');
  if (name.length > 128) throw invalidInput('name', 'must be at most 128 characters');
  for (const fw of state.firewalls.values()) {
    if (fw.name === name && fw.id !== selfId) {
      throw new ApiError(409, 'uniqueness_error', 'firewall with the same name already exists', {
        fields: [{ name: 'name' }],
      });
    }
  }
  return name;
}

function hasPublicInterface(s: ServerRecord): boolean {
  return s.ipv4 !== null || s.ipv6 !== null;
}

function isDirect(fw: FirewallRecord, serverId: number): boolean {
  return fw.applied_to.some((a) => a.type === 'server' && a.server.id === serverId);
}

function selectorEntriesFor(fw: FirewallRecord, serverId: number): SelectorEntry[] {
  return fw.applied_to.filter(
    (a): a is SelectorEntry =>
      a.type === 'label_selector' && a.applied_to_resources.some((r) => r.server.id === serverId),
  );
}

/** Drops the server's `public_net.firewalls` entry once no direct or selector entry still applies the firewall. */
function dropMembershipIfUnused(state: MockState, fw: FirewallRecord, serverId: number): void {
  const s = state.servers.get(serverId);
  if (!s || isDirect(fw, serverId) || selectorEntriesFor(fw, serverId).length > 0) return;
  s.firewalls = s.firewalls.filter((f) => f.id !== fw.id);
}

function checkFirewallCapacity(state: MockState, s: ServerRecord, fw: FirewallRecord): void {
  if (s.firewalls.some((f) => f.id === fw.id)) return;
  if (s.firewalls.length >= state.limits.firewallsPerServer) {
    const { status, code } = state.limits.firewallLimitError;
    throw new ApiError(
      status,
      code,
      `server ${s.id} already has ${s.firewalls.length} firewalls (limit ${state.limits.firewallsPerServer})`,
      { limits: [{ name: 'firewalls_per_server' }] },
    );
  }
}

/**
 * Adds the firewall to the server's `public_net.firewalls` as pending and starts the `apply_firewall` action that
 * flips it to applied; the action locks the server like the real background actions do.
 */
function startApply(state: MockState, fw: FirewallRecord, s: ServerRecord, rollback: () => void): Action | null {
  if (s.firewalls.some((f) => f.id === fw.id)) return null;
  s.firewalls.push({ id: fw.id, status: 'pending' });
  return state.actions.start(
    'apply_firewall',
    [
      { id: s.id, type: 'server' },
      { id: fw.id, type: 'firewall' },
    ],
    {
      locks: [`server:${s.id}`],
      onSuccess: () => {
        const entry = state.servers.get(s.id)?.firewalls.find((f) => f.id === fw.id);
        if (entry) entry.status = 'applied';
      },
      onError: () => {
        rollback();
        dropMembershipIfUnused(state, fw, s.id);
      },
    },
  );
}

function startRemove(state: MockState, fw: FirewallRecord, serverId: number, onSuccess: () => void): Action {
  return state.actions.start(
    'remove_firewall',
    [
      { id: serverId, type: 'server' },
      { id: fw.id, type: 'firewall' },
    ],
    {
      locks: state.servers.has(serverId) ? [`server:${serverId}`] : [],
      onSuccess: () => {
        onSuccess();
        dropMembershipIfUnused(state, fw, serverId);
      },
    },
  );
}

export function applyDirect(state: MockState, fw: FirewallRecord, s: ServerRecord): Action | null {
  if (!hasPublicInterface(s)) {
    throw new ApiError(422, 'private_net_only_server', `server ${s.id} has no public interface to apply a firewall to`);
  }
  if (isDirect(fw, s.id)) {
    throw new ApiError(422, 'firewall_already_applied', `firewall ${fw.id} is already applied to server ${s.id}`);
  }
  checkFirewallCapacity(state, s, fw);
  const entry: AppliedTo = { type: 'server', server: { id: s.id } };
  fw.applied_to.push(entry);
  return startApply(state, fw, s, () => {
    fw.applied_to = fw.applied_to.filter((a) => a !== entry);
  });
}

/** Applies a selector entry to one matching server; silently skips servers that cannot take it. */
function applyViaSelector(state: MockState, fw: FirewallRecord, entry: SelectorEntry, s: ServerRecord): Action | null {
  if (entry.applied_to_resources.some((r) => r.server.id === s.id)) return null;
  if (!hasPublicInterface(s) || s.status === 'deleting') return null;
  const fresh = !s.firewalls.some((f) => f.id === fw.id);
  if (fresh && s.firewalls.length >= state.limits.firewallsPerServer) return null;
  const resource = { type: 'server' as const, server: { id: s.id } };
  entry.applied_to_resources.push(resource);
  return startApply(state, fw, s, () => {
    entry.applied_to_resources = entry.applied_to_resources.filter((r) => r !== resource);
  });
}

function addSelector(state: MockState, fw: FirewallRecord, selector: string): Action[] {
  const terms = parseSelector(selector, 'apply_to');
  if (fw.applied_to.some((a) => a.type === 'label_selector' && a.label_selector.selector === selector)) {
    throw new ApiError(
      422,
      'firewall_already_applied',
      `firewall ${fw.id} is already applied to selector '${selector}'`,
    );
  }
  const entry: SelectorEntry = { type: 'label_selector', label_selector: { selector }, applied_to_resources: [] };
  fw.applied_to.push(entry);
  const actions: Action[] = [];
  for (const s of state.servers.values()) {
    if (!matchSelector(terms, s.labels)) continue;
    const a = applyViaSelector(state, fw, entry, s);
    if (a) actions.push(a);
  }
  return actions;
}

interface ResourceRef {
  kind: 'server' | 'label_selector';
  serverId?: number;
  selector?: string;
}

function parseResourceRefs(value: unknown, field: string): ResourceRef[] {
  if (!Array.isArray(value)) throw invalidInput(field, 'must be an array');
  return value.map((r, i) => {
    if (!isPlainObject(r)) throw invalidInput(field, `entry ${i} must be an object`);
    if (r.type === 'server') {
      const id = isPlainObject(r.server) ? Number(r.server.id) : Number.NaN;
      if (!Number.isSafeInteger(id)) throw invalidInput(field, `entry ${i}: server.id is required`);
      return { kind: 'server', serverId: id };
    }
    if (r.type === 'label_selector') {
      const sel = isPlainObject(r.label_selector) ? r.label_selector.selector : undefined;
      if (typeof sel !== 'string' || sel === '')
        throw invalidInput(field, `entry ${i}: label_selector.selector is required`);
      return { kind: 'label_selector', selector: sel };
    }
    throw invalidInput(field, `entry ${i}: type must be 'server' or 'label_selector'`);
  });
}

function serverForFirewall(state: MockState, id: number): ServerRecord {
  const s = state.servers.get(id);
  if (!s || s.status === 'deleting') {
    throw new ApiError(404, 'firewall_resource_not_found', `server with ID ${id} not found`);
  }
  return s;
}

function applyRefs(state: MockState, fw: FirewallRecord, refs: ResourceRef[]): Action[] {
  const actions: Action[] = [];
  for (const ref of refs) {
    if (ref.kind === 'server') {
      const a = applyDirect(state, fw, serverForFirewall(state, ref.serverId!));
      if (a) actions.push(a);
    } else {
      actions.push(...addSelector(state, fw, ref.selector!));
    }
  }
  return actions;
}

export function createFirewall(state: MockState, body: Record<string, unknown>) {
  const name = validateFirewallName(state, body.name);
  const labels = validateLabels(body.labels);
  const rules = body.rules === undefined ? [] : validateRules(state, body.rules);
  const refs = body.apply_to === undefined ? [] : parseResourceRefs(body.apply_to, 'apply_to');
  // Validate every target before creating anything, like a transactional API would.
  for (const ref of refs) {
    if (ref.kind === 'server') serverForFirewall(state, ref.serverId!);
    else parseSelector(ref.selector!, 'apply_to');
  }
  const fw: FirewallRecord = { id: state.nextId(), name, labels, created: isoNow(), rules, applied_to: [] };
  state.firewalls.set(fw.id, fw);
  const actions = applyRefs(state, fw, refs);
  return { firewall: state.firewallJson(fw), actions };
}

export function updateFirewall(state: MockState, id: number, body: Record<string, unknown>) {
  const fw = getFirewall(state, id);
  if (state.actions.runningFor(`firewall:${id}`).length > 0) {
    throw new ApiError(409, 'conflict', 'resource has changed during the request, please retry');
  }
  const name = body.name === undefined ? fw.name : validateFirewallName(state, body.name, id);
  const labels = body.labels === undefined ? fw.labels : validateLabels(body.labels);
  fw.name = name;
  fw.labels = labels;
  return { firewall: state.firewallJson(fw) };
}

export function deleteFirewall(state: MockState, id: number): void {
  const fw = getFirewall(state, id);
  if (fw.applied_to.length > 0) {
    throw new ApiError(422, 'resource_in_use', `firewall ${id} is still applied to resources`);
  }
  state.firewalls.delete(id);
}

export function setRules(state: MockState, id: number, body: Record<string, unknown>) {
  const fw = getFirewall(state, id);
  if (body.rules === undefined) throw invalidInput('rules', 'is required');
  const rules = validateRules(state, body.rules);
  if (state.actions.runningFor(`firewall:${id}`, 'set_firewall_rules').length > 0) {
    // What the real API does here is undocumented (reference §4); tests choose.
    if (state.concurrentSetRules === 'conflict') {
      throw new ApiError(409, 'conflict', 'resource has changed during the request, please retry');
    }
    if (state.concurrentSetRules === 'locked') throw lockedError('firewall');
  }
  fw.rules = rules;
  const actions = [
    state.actions.start('set_firewall_rules', [{ id, type: 'firewall' }], { locks: [`firewall:${id}`] }),
  ];
  for (const s of state.servers.values()) {
    if (!s.firewalls.some((f) => f.id === id)) continue;
    actions.push(
      state.actions.start(
        'apply_firewall',
        [
          { id: s.id, type: 'server' },
          { id, type: 'firewall' },
        ],
        { locks: [`server:${s.id}`] },
      ),
    );
  }
  return { actions };
}

export function applyToResources(state: MockState, id: number, body: Record<string, unknown>) {
  const fw = getFirewall(state, id);
  const refs = parseResourceRefs(body.apply_to, 'apply_to');
  return { actions: applyRefs(state, fw, refs) };
}

export function removeFromResources(state: MockState, id: number, body: Record<string, unknown>) {
  const fw = getFirewall(state, id);
  const refs = parseResourceRefs(body.remove_from, 'remove_from');
  const actions: Action[] = [];
  for (const ref of refs) {
    if (ref.kind === 'server') {
      const sid = ref.serverId!;
      if (!state.servers.has(sid)) {
        throw new ApiError(404, 'firewall_resource_not_found', `server with ID ${sid} not found`);
      }
      const entry = fw.applied_to.find((a) => a.type === 'server' && a.server.id === sid);
      if (!entry) {
        if (selectorEntriesFor(fw, sid).length > 0) {
          throw new ApiError(
            422,
            'firewall_managed_by_label_selector',
            `firewall ${id} is applied to server ${sid} through a label selector; remove the selector instead`,
          );
        }
        continue; // Removing what is not applied is no longer an error (firewall_already_removed is retired).
      }
      actions.push(
        startRemove(state, fw, sid, () => {
          fw.applied_to = fw.applied_to.filter((a) => a !== entry);
        }),
      );
    } else {
      const entry = fw.applied_to.find(
        (a): a is SelectorEntry => a.type === 'label_selector' && a.label_selector.selector === ref.selector,
      );
      if (!entry) continue;
      const targets = entry.applied_to_resources.map((r) => r.server.id);
      if (targets.length === 0) {
        fw.applied_to = fw.applied_to.filter((a) => a !== entry);
        continue;
      }
      // The selector entry stays in applied_to until every server it covered has been cleaned up.
      let remaining = targets.length;
      for (const sid of targets) {
        actions.push(
          startRemove(state, fw, sid, () => {
            entry.applied_to_resources = entry.applied_to_resources.filter((r) => r.server.id !== sid);
            remaining--;
            if (remaining === 0) fw.applied_to = fw.applied_to.filter((a) => a !== entry);
          }),
        );
      }
    }
  }
  return { actions };
}

/** Re-evaluates every selector entry against one server: new matches get applied, lost matches removed. */
export function syncSelectorsForServer(state: MockState, serverId: number): void {
  const s = state.servers.get(serverId);
  if (!s || s.status === 'deleting') return;
  for (const fw of state.firewalls.values()) {
    for (const a of fw.applied_to) {
      if (a.type !== 'label_selector') continue;
      let terms: ReturnType<typeof parseSelector>;
      try {
        terms = parseSelector(a.label_selector.selector);
      } catch {
        continue;
      }
      const matches = matchSelector(terms, s.labels);
      const member = a.applied_to_resources.some((r) => r.server.id === s.id);
      if (matches && !member) applyViaSelector(state, fw, a, s);
      if (!matches && member) {
        startRemove(state, fw, s.id, () => {
          a.applied_to_resources = a.applied_to_resources.filter((r) => r.server.id !== s.id);
        });
      }
    }
  }
}

export function scheduleSelectorSync(state: MockState, serverId: number): void {
  state.later(state.labelSelectorPropagationMs, () => syncSelectorsForServer(state, serverId));
}

/** Called when a server is gone: it disappears from every firewall's applied_to. */
export function forgetServerInFirewalls(state: MockState, serverId: number): void {
  for (const fw of state.firewalls.values()) {
    fw.applied_to = fw.applied_to.filter((a) => !(a.type === 'server' && a.server.id === serverId));
    for (const a of fw.applied_to) {
      if (a.type === 'label_selector') {
        a.applied_to_resources = a.applied_to_resources.filter((r) => r.server.id !== serverId);
      }
    }
  }
}
