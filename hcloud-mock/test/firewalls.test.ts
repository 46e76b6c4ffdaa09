import { describe, expect, it } from 'vitest';
import type { MockServer } from '../src/index';
import { api, createServerBody, mock, settle, waitActions, waitFor } from './helpers';

const SSH_RULE = { direction: 'in', protocol: 'tcp', port: '22', source_ips: ['0.0.0.0/0'] };

async function runningServer(m: MockServer, name: string, extra: Record<string, unknown> = {}) {
  const c = await api(m, 'POST', '/servers', createServerBody(name, extra));
  expect(c.status).toBe(201);
  await waitActions(m, [c.body.action.id, ...c.body.next_actions.map((a: { id: number }) => a.id)]);
  return c.body.server.id as number;
}

async function firewall(m: MockServer, name: string, extra: Record<string, unknown> = {}) {
  const r = await api(m, 'POST', '/firewalls', { name, rules: [SSH_RULE], ...extra });
  expect(r.status).toBe(201);
  return r.body.firewall.id as number;
}

describe('firewall rules', () => {
  it('set_rules replaces the whole list, canonicalises IPv6 and returns set_firewall_rules + apply_firewall actions', async () => {
    const m = await mock({ seedData: false });
    const sid = await runningServer(m, 's1');
    const fw = await firewall(m, 'fw', { apply_to: [{ type: 'server', server: { id: sid } }] });
    const r = await api(m, 'POST', `/firewalls/${fw}/actions/set_rules`, {
      rules: [
        { direction: 'in', protocol: 'tcp', port: '6443', source_ips: ['2001:DB8:0:0:0:0:0:1/128', '203.0.113.7/32'] },
        { direction: 'in', protocol: 'icmp', source_ips: ['0.0.0.0/0'] },
        { direction: 'out', protocol: 'udp', port: '1024-5000', destination_ips: ['::/0'], description: 'all out' },
      ],
    });
    expect(r.status).toBe(201);
    expect(r.body.actions.map((a: { command: string }) => a.command)).toEqual(['set_firewall_rules', 'apply_firewall']);
    const got = (await api(m, 'GET', `/firewalls/${fw}`)).body.firewall.rules;
    expect(got).toHaveLength(3);
    expect(got[0].source_ips).toEqual(['2001:db8::1/128', '203.0.113.7/32']);
    expect(got[1]).toEqual({
      direction: 'in',
      protocol: 'icmp',
      port: null,
      source_ips: ['0.0.0.0/0'],
      destination_ips: [],
      description: null,
    });
    const cleared = await api(m, 'POST', `/firewalls/${fw}/actions/set_rules`, { rules: [] });
    expect(cleared.status).toBe(201);
    expect((await api(m, 'GET', `/firewalls/${fw}`)).body.firewall.rules).toEqual([]);
  });

  it('enforces 50 rules, 100 source IPs per rule, valid CIDRs/ports and direction-specific fields', async () => {
    const m = await mock({ seedData: false });
    const fw = await firewall(m, 'fw');
    const set = (rules: unknown) => api(m, 'POST', `/firewalls/${fw}/actions/set_rules`, { rules });
    const fifty = Array.from({ length: 50 }, (_, i) => ({ ...SSH_RULE, port: String(1000 + i) }));
    expect((await set(fifty)).status).toBe(201);
    const tooMany = await set([...fifty, SSH_RULE]);
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.error.details.fields[0].name).toBe('rules');
    const ips = Array.from({ length: 101 }, (_, i) => `10.0.${i}.1/32`);
    expect((await set([{ ...SSH_RULE, source_ips: ips.slice(0, 100) }])).status).toBe(201);
    expect((await set([{ ...SSH_RULE, source_ips: ips }])).body.error.code).toBe('invalid_input');
    for (const bad of [
      { ...SSH_RULE, source_ips: ['10.0.0.300/32'] },
      { ...SSH_RULE, source_ips: ['10.0.0.1'] },
      { ...SSH_RULE, port: '70000' },
      { ...SSH_RULE, port: undefined },
      { direction: 'in', protocol: 'icmp', port: '22', source_ips: ['0.0.0.0/0'] },
      { direction: 'out', protocol: 'tcp', port: '22', source_ips: ['0.0.0.0/0'], destination_ips: ['0.0.0.0/0'] },
      { direction: 'in', protocol: 'tcp', port: '22' },
      { direction: 'sideways', protocol: 'tcp', port: '22', source_ips: ['0.0.0.0/0'] },
      { ...SSH_RULE, description: 'd'.repeat(256) },
    ]) {
      const r = await set([bad]);
      expect(r.status, JSON.stringify(bad)).toBe(422);
    }
    // The firewall keeps the last accepted rules after rejected attempts.
    expect((await api(m, 'GET', `/firewalls/${fw}`)).body.firewall.rules[0].source_ips).toHaveLength(100);
  });

  it('names are unique (409) and at most 128 characters', async () => {
    const m = await mock({ seedData: false });
    await firewall(m, 'same');
    const dup = await api(m, 'POST', '/firewalls', { name: 'same' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('uniqueness_error');
    expect((await api(m, 'POST', '/firewalls', { name: 'n'.repeat(129) })).status).toBe(422);
  });
});

describe('applying and removing firewalls', () => {
  it('apply_to_resources marks pending then applied, refuses a second apply, and blocks delete until removed', async () => {
    const m = await mock({ seedData: false, actionDurations: { apply_firewall: 60_000, remove_firewall: 60_000 } });
    const sid = await runningServer(m, 's1');
    const fw = await firewall(m, 'fw');
    const apply = await api(m, 'POST', `/firewalls/${fw}/actions/apply_to_resources`, {
      apply_to: [{ type: 'server', server: { id: sid } }],
    });
    expect(apply.status).toBe(201);
    expect(apply.body.actions[0]).toMatchObject({
      command: 'apply_firewall',
      resources: expect.arrayContaining([
        { id: sid, type: 'server' },
        { id: fw, type: 'firewall' },
      ]),
    });
    expect((await api(m, 'GET', `/servers/${sid}`)).body.server.public_net.firewalls).toEqual([
      { id: fw, status: 'pending' },
    ]);
    // The apply action locks the server like Hetzner's background actions do.
    expect((await api(m, 'POST', `/servers/${sid}/actions/reboot`)).body.error.code).toBe('locked');
    settle(m, [apply.body.actions[0].id]);
    expect((await api(m, 'GET', `/servers/${sid}`)).body.server.public_net.firewalls).toEqual([
      { id: fw, status: 'applied' },
    ]);

    const again = await api(m, 'POST', `/firewalls/${fw}/actions/apply_to_resources`, {
      apply_to: [{ type: 'server', server: { id: sid } }],
    });
    expect(again.status).toBe(422);
    expect(again.body.error.code).toBe('firewall_already_applied');

    const inUse = await api(m, 'DELETE', `/firewalls/${fw}`);
    expect(inUse.status).toBe(422);
    expect(inUse.body.error.code).toBe('resource_in_use');

    const rm = await api(m, 'POST', `/firewalls/${fw}/actions/remove_from_resources`, {
      remove_from: [{ type: 'server', server: { id: sid } }],
    });
    expect(rm.body.actions.map((a: { command: string }) => a.command)).toEqual(['remove_firewall']);
    // applied_to lags until the remove action finishes.
    expect((await api(m, 'DELETE', `/firewalls/${fw}`)).body.error.code).toBe('resource_in_use');
    settle(m, [rm.body.actions[0].id]);
    expect((await api(m, 'GET', `/servers/${sid}`)).body.server.public_net.firewalls).toEqual([]);
    // Removing again is not an error any more (firewall_already_removed is retired).
    const twice = await api(m, 'POST', `/firewalls/${fw}/actions/remove_from_resources`, {
      remove_from: [{ type: 'server', server: { id: sid } }],
    });
    expect(twice.status).toBe(201);
    expect(twice.body.actions).toEqual([]);
    expect((await api(m, 'DELETE', `/firewalls/${fw}`)).status).toBe(204);
  });

  it('answers firewall_resource_not_found for unknown servers and private_net_only_server without public IPs', async () => {
    const m = await mock();
    const fw = await firewall(m, 'fw');
    const ghost = await api(m, 'POST', `/firewalls/${fw}/actions/apply_to_resources`, {
      apply_to: [{ type: 'server', server: { id: 4_999_999_999 } }],
    });
    expect(ghost.status).toBe(404);
    expect(ghost.body.error.code).toBe('firewall_resource_not_found');
    const net = [...m.state.networks.values()][0]!;
    const priv = await runningServer(m, 'priv', {
      networks: [net.id],
      public_net: { enable_ipv4: false, enable_ipv6: false },
    });
    const r = await api(m, 'POST', `/firewalls/${fw}/actions/apply_to_resources`, {
      apply_to: [{ type: 'server', server: { id: priv } }],
    });
    expect(r.body.error.code).toBe('private_net_only_server');
  });

  it('limits a server to 5 firewalls, counting selector matches', async () => {
    const m = await mock({ seedData: false });
    const sid = await runningServer(m, 's1', { labels: { cluster: 'a' } });
    await firewall(m, 'sel', { apply_to: [{ type: 'label_selector', label_selector: { selector: 'cluster=a' } }] });
    for (let i = 0; i < 4; i++) await firewall(m, `fw${i}`, { apply_to: [{ type: 'server', server: { id: sid } }] });
    const sixth = await firewall(m, 'fw6');
    const r = await api(m, 'POST', `/firewalls/${sixth}/actions/apply_to_resources`, {
      apply_to: [{ type: 'server', server: { id: sid } }],
    });
    expect(r.status).toBe(403);
    expect(r.body.error).toMatchObject({
      code: 'resource_limit_exceeded',
      details: { limits: [{ name: 'firewalls_per_server' }] },
    });
    expect(m.state.servers.get(sid)!.firewalls).toHaveLength(5);
  });

  it('applies create-time firewalls pending → applied through an apply_firewall next action', async () => {
    const m = await mock({ seedData: false, actionDurations: { apply_firewall: 60 } });
    const fw = await firewall(m, 'fw');
    const c = await api(m, 'POST', '/servers', createServerBody('s', { firewalls: [{ firewall: fw }] }));
    expect(c.body.server.public_net.firewalls).toEqual([{ id: fw, status: 'pending' }]);
    const apply = c.body.next_actions.find((a: { command: string }) => a.command === 'apply_firewall');
    expect(apply).toBeDefined();
    await waitActions(m, [apply.id]);
    expect((await api(m, 'GET', `/servers/${c.body.server.id}`)).body.server.public_net.firewalls).toEqual([
      { id: fw, status: 'applied' },
    ]);
    expect((await api(m, 'GET', `/firewalls/${fw}`)).body.firewall.applied_to).toEqual([
      { type: 'server', server: { id: c.body.server.id } },
    ]);
    const ghost = await api(m, 'POST', '/servers', createServerBody('s2', { firewalls: [{ firewall: 123 }] }));
    expect(ghost.status).toBe(404);
  });

  it('removes a deleted server from applied_to once its delete action finishes', async () => {
    const m = await mock({ seedData: false });
    const sid = await runningServer(m, 's1');
    const created = await api(m, 'POST', '/firewalls', {
      name: 'fw',
      apply_to: [{ type: 'server', server: { id: sid } }],
    });
    const fw = created.body.firewall.id;
    await waitActions(
      m,
      created.body.actions.map((a: { id: number }) => a.id),
    );
    const d = await api(m, 'DELETE', `/servers/${sid}`);
    await waitActions(m, [d.body.action.id]);
    expect((await api(m, 'GET', `/firewalls/${fw}`)).body.firewall.applied_to).toEqual([]);
    expect((await api(m, 'DELETE', `/firewalls/${fw}`)).status).toBe(204);
    expect(m.state.checkInvariants()).toEqual([]);
  });

  it('checkInvariants reports broken cross-references', async () => {
    const m = await mock();
    expect(m.state.checkInvariants()).toEqual([]);
    const s = [...m.state.servers.values()][0]!;
    s.firewalls.push({ id: 42, status: 'applied' });
    expect(m.state.checkInvariants()).toEqual([`server ${s.id} lists firewall 42 that does not apply to it`]);
  });
});

describe('label-selector firewalls', () => {
  it('reach a new server a moment after creation, lock it meanwhile, and cannot be removed per server', async () => {
    const m = await mock({
      seedData: false,
      labelSelectorPropagationMs: 100,
      actionDurations: { create_server: 20, start_server: 20, apply_firewall: 60_000, remove_firewall: 20 },
    });
    const fw = await firewall(m, 'cluster-fw', {
      apply_to: [{ type: 'label_selector', label_selector: { selector: 'cluster=c1' } }],
    });
    const c = await api(m, 'POST', '/servers', createServerBody('node-1', { labels: { cluster: 'c1' } }));
    const sid = c.body.server.id;
    expect(c.body.server.public_net.firewalls).toEqual([]);
    const running = await waitFor('selector apply_firewall', async () => {
      const r = await api(m, 'GET', `/servers/${sid}/actions?status=running`);
      return r.body.actions.find((a: { command: string }) => a.command === 'apply_firewall');
    });
    expect((await api(m, 'POST', `/servers/${sid}/actions/poweroff`)).status).toBe(423);
    settle(m, [running.id]);
    const f = (await api(m, 'GET', `/firewalls/${fw}`)).body.firewall;
    expect(f.applied_to[0].applied_to_resources).toEqual([{ type: 'server', server: { id: sid } }]);
    expect(m.state.servers.get(sid)!.firewalls).toEqual([{ id: fw, status: 'applied' }]);

    const perServer = await api(m, 'POST', `/firewalls/${fw}/actions/remove_from_resources`, {
      remove_from: [{ type: 'server', server: { id: sid } }],
    });
    expect(perServer.status).toBe(422);
    expect(perServer.body.error.code).toBe('firewall_managed_by_label_selector');

    const rm = await api(m, 'POST', `/firewalls/${fw}/actions/remove_from_resources`, {
      remove_from: [{ type: 'label_selector', label_selector: { selector: 'cluster=c1' } }],
    });
    expect(rm.body.actions).toHaveLength(1);
    await waitActions(m, [rm.body.actions[0].id]);
    expect((await api(m, 'GET', `/firewalls/${fw}`)).body.firewall.applied_to).toEqual([]);
    expect(m.state.servers.get(sid)!.firewalls).toEqual([]);
    expect((await api(m, 'DELETE', `/firewalls/${fw}`)).status).toBe(204);
  });

  it('follow relabelling: a server that stops matching loses the firewall, one that starts matching gains it', async () => {
    const m = await mock({ seedData: false, labelSelectorPropagationMs: 20 });
    const sid = await runningServer(m, 's', { labels: { role: 'db' } });
    const fw = await firewall(m, 'fw', {
      apply_to: [{ type: 'label_selector', label_selector: { selector: 'role in (web,api)' } }],
    });
    expect(m.state.servers.get(sid)!.firewalls).toEqual([]);
    await api(m, 'PUT', `/servers/${sid}`, { labels: { role: 'web' } });
    await waitFor('applied after relabel', () => m.state.servers.get(sid)!.firewalls[0]?.status === 'applied');
    await api(m, 'PUT', `/servers/${sid}`, { labels: { role: 'db' } });
    await waitFor('removed after relabel', () => m.state.servers.get(sid)!.firewalls.length === 0);
    const entry = m.state.firewalls.get(fw)!.applied_to[0]!;
    expect(entry.type === 'label_selector' && entry.applied_to_resources).toEqual([]);
  });
});

describe('concurrent set_rules', () => {
  async function twoSetRules(mode: 'lastWins' | 'conflict' | 'locked') {
    const m = await mock({ seedData: false, actionDurations: { set_firewall_rules: 60_000 } });
    m.faults.setConcurrentSetRules(mode);
    const fw = await firewall(m, 'fw');
    const first = await api(m, 'POST', `/firewalls/${fw}/actions/set_rules`, { rules: [{ ...SSH_RULE, port: '1' }] });
    const second = await api(m, 'POST', `/firewalls/${fw}/actions/set_rules`, { rules: [{ ...SSH_RULE, port: '2' }] });
    const rules = (await api(m, 'GET', `/firewalls/${fw}`)).body.firewall.rules;
    return { first, second, port: rules[0].port };
  }

  it('lastWins: both succeed and the later list stands', async () => {
    const r = await twoSetRules('lastWins');
    expect([r.first.status, r.second.status]).toEqual([201, 201]);
    expect(r.port).toBe('2');
  });

  it('conflict: the second gets 409 conflict and the first list stands', async () => {
    const r = await twoSetRules('conflict');
    expect(r.second.status).toBe(409);
    expect(r.second.body.error.code).toBe('conflict');
    expect(r.port).toBe('1');
  });

  it('locked: the second gets 423 locked', async () => {
    const r = await twoSetRules('locked');
    expect(r.second.status).toBe(423);
    expect(r.second.body.error.code).toBe('locked');
    expect(r.port).toBe('1');
  });

  it('PUT /firewalls/{id} answers conflict while a rule change is running', async () => {
    const m = await mock({ seedData: false, actionDurations: { set_firewall_rules: 60_000 } });
    const fw = await firewall(m, 'fw');
    await api(m, 'POST', `/firewalls/${fw}/actions/set_rules`, { rules: [] });
    const r = await api(m, 'PUT', `/firewalls/${fw}`, { labels: { a: 'b' } });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('conflict');
  });
});
