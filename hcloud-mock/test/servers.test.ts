import { describe, expect, it } from 'vitest';
import { api, createServerBody, mock, settle, waitActions, waitFor } from './helpers';

describe('server lifecycle on the action clock', () => {
  it('goes initializing → running, locks while actions run, powers off and is deleted', async () => {
    const m = await mock({
      actionDurations: { create_server: 60_000, start_server: 60_000, stop_server: 60_000, delete_server: 60_000 },
    });
    const c = await api(m, 'POST', '/servers', createServerBody('life'));
    const id = c.body.server.id;
    // Locked while create_server runs: new actions are refused with 423 locked.
    const early = await api(m, 'POST', `/servers/${id}/actions/poweroff`);
    expect(early.status).toBe(423);
    expect(early.body.error).toMatchObject({
      code: 'locked',
      message: 'cannot perform operation because server is locked',
    });
    const running = await api(m, 'GET', `/servers/${id}/actions?status=running`);
    expect(running.body.actions.map((a: { command: string }) => a.command).sort()).toEqual([
      'create_server',
      'start_server',
    ]);
    settle(m, [c.body.action.id]);
    expect((await api(m, 'GET', `/servers/${id}`)).body.server).toMatchObject({ status: 'starting', locked: true });
    settle(m, [c.body.next_actions[0].id]);
    const s = await api(m, 'GET', `/servers/${id}`);
    expect(s.body.server).toMatchObject({ status: 'running', locked: false });
    expect((await api(m, 'GET', `/servers/${id}/actions?status=running`)).body.actions).toEqual([]);

    const off = await api(m, 'POST', `/servers/${id}/actions/poweroff`);
    expect((await api(m, 'GET', `/servers/${id}`)).body.server.status).toBe('stopping');
    // Deleting is refused while another action holds the lock.
    expect((await api(m, 'DELETE', `/servers/${id}`)).body.error.code).toBe('locked');
    settle(m, [off.body.action.id]);
    expect((await api(m, 'GET', `/servers/${id}`)).body.server.status).toBe('off');

    const del = await api(m, 'DELETE', `/servers/${id}`);
    expect((await api(m, 'GET', `/servers/${id}`)).body.server.status).toBe('deleting');
    settle(m, [del.body.action.id]);
    expect((await api(m, 'GET', `/servers/${id}`)).status).toBe(404);
  });

  it('completes actions by themselves on the clock', async () => {
    const m = await mock({ actionDurations: { create_server: 20, start_server: 20 } });
    const c = await api(m, 'POST', '/servers', createServerBody('clock'));
    await waitActions(m, [c.body.action.id, c.body.next_actions[0].id]);
    expect(m.state.servers.get(c.body.server.id)!.status).toBe('running');
  });

  it('start_after_create=false leaves the server off with no start_server', async () => {
    const m = await mock();
    const c = await api(m, 'POST', '/servers', createServerBody('cold', { start_after_create: false }));
    expect(c.body.next_actions).toEqual([]);
    await waitActions(m, [c.body.action.id]);
    expect(m.state.servers.get(c.body.server.id)!.status).toBe('off');
  });

  it('manual actions stay running until completed, and an error completion is reported on the action', async () => {
    const m = await mock({ manualActions: true });
    const c = await api(m, 'POST', '/servers', createServerBody('manual'));
    await new Promise((r) => setTimeout(r, 60));
    expect((await api(m, 'GET', `/actions/${c.body.action.id}`)).body.action.status).toBe('running');
    m.state.completeAction(c.body.action.id);
    expect(m.state.servers.get(c.body.server.id)!.status).toBe('starting');
    m.state.completeAction(c.body.next_actions[0].id, { error: { code: 'action_failed', message: 'boom' } });
    const a = await api(m, 'GET', `/actions/${c.body.next_actions[0].id}`);
    expect(a.body.action).toMatchObject({
      status: 'error',
      error: { code: 'action_failed', message: 'boom' },
      progress: 100,
    });
    // A failed follower does not leave the server locked.
    expect((await api(m, 'GET', `/servers/${c.body.server.id}`)).body.server.locked).toBe(false);
  });

  it('reports progress between 0 and 100 while an action runs', async () => {
    const m = await mock({ actionDurations: { create_server: 5000 } });
    const c = await api(m, 'POST', '/servers', createServerBody('prog'));
    await new Promise((r) => setTimeout(r, 120));
    const p = (await api(m, 'GET', `/actions/${c.body.action.id}`)).body.action.progress;
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(100);
  });
});

describe('server validation', () => {
  it('enforces unique names (409 uniqueness_error) and RFC 1123 names', async () => {
    const m = await mock();
    const dup = await api(m, 'POST', '/servers', createServerBody('existing-web-1'));
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ code: 'uniqueness_error', details: { fields: [{ name: 'name' }] } });
    const bad = await api(m, 'POST', '/servers', createServerBody('under_score'));
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.fields[0].name).toBe('name');
  });

  it('rejects user_data over 32 KiB and never echoes it in the request log', async () => {
    const m = await mock();
    const big = await api(m, 'POST', '/servers', createServerBody('ud', { user_data: 'x'.repeat(32 * 1024 + 1) }));
    expect(big.status).toBe(422);
    expect(big.body.error.details.fields[0]).toEqual({
      name: 'user_data',
      messages: [expect.stringContaining('too long')],
    });
    const secret = '#cloud-config\nsecret: hunter2';
    const ok = await api(m, 'POST', '/servers', createServerBody('ud', { user_data: secret }));
    expect(ok.status).toBe(201);
    expect(JSON.stringify(ok.body)).not.toContain('hunter2');
    expect(JSON.stringify(m.requests)).not.toContain('hunter2');
    expect(m.state.servers.get(ok.body.server.id)!.userData).toBe(secret);
  });

  it('answers 412 resource_unavailable naming type and location for unsupported or unavailable locations', async () => {
    const m = await mock();
    const unsupported = await api(
      m,
      'POST',
      '/servers',
      createServerBody('arm-us', { server_type: 'cax11', location: 'ash' }),
    );
    expect(unsupported.status).toBe(412);
    expect(unsupported.body.error.code).toBe('resource_unavailable');
    expect(unsupported.body.error.message).toMatch(/unsupported location.*cax11.*ash/);
    const unavailable = await api(
      m,
      'POST',
      '/servers',
      createServerBody('ccx-sin', { server_type: 'ccx13', location: 'sin' }),
    );
    expect(unavailable.status).toBe(412);
    expect(unavailable.body.error.message).toContain('ccx13');
    expect(unavailable.body.error.message).toContain('sin');
  });

  it('still creates a deprecated server type, whose per-location entry carries the deprecation', async () => {
    const m = await mock();
    const r = await api(m, 'POST', '/servers', createServerBody('old', { server_type: 'cx22' }));
    expect(r.status).toBe(201);
    expect(r.body.server.server_type.locations[0].deprecation).not.toBeNull();
    expect(r.body.server.server_type.deprecated).toBe(true);
  });

  it('resolves an image name per architecture and refuses a mismatching image id', async () => {
    const m = await mock();
    const arm = await api(m, 'POST', '/servers', createServerBody('arm', { server_type: 'cax11' }));
    expect(arm.body.server.image.architecture).toBe('arm');
    const x86Image = (await api(m, 'GET', '/images?name=ubuntu-24.04&architecture=x86')).body.images[0];
    const mismatch = await api(
      m,
      'POST',
      '/servers',
      createServerBody('arm2', { server_type: 'cax11', image: x86Image.id }),
    );
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.error.details.fields[0].name).toBe('image');
    expect((await api(m, 'POST', '/servers', createServerBody('ni', { image: 'nope-1' }))).status).toBe(404);
    expect((await api(m, 'POST', '/servers', createServerBody('nt', { server_type: 'zz9' }))).status).toBe(404);
  });

  it('rejects the removed datacenter field and unknown ssh keys', async () => {
    const m = await mock();
    expect((await api(m, 'POST', '/servers', createServerBody('dc', { datacenter: 'fsn1-dc14' }))).status).toBe(422);
    expect((await api(m, 'POST', '/servers', createServerBody('k', { ssh_keys: [123] }))).status).toBe(404);
  });

  it('renames and relabels with PUT, keeping names unique', async () => {
    const m = await mock();
    const c = await api(m, 'POST', '/servers', createServerBody('before'));
    const u = await api(m, 'PUT', `/servers/${c.body.server.id}`, { name: 'after', labels: { a: '1' } });
    expect(u.body.server).toMatchObject({ name: 'after', labels: { a: '1' } });
    expect((await api(m, 'PUT', `/servers/${c.body.server.id}`, { name: 'existing-web-1' })).status).toBe(409);
    expect((await api(m, 'PUT', `/servers/${c.body.server.id}`, { labels: { 'hetzner.cloud/x': 'y' } })).status).toBe(
      422,
    );
  });
});

describe('public networking', () => {
  it('gives every server a unique documentation IPv4 and its own /64; disabled families are null', async () => {
    const m = await mock({ seedData: false });
    const ips = new Set<string>();
    const v6 = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const r = await api(m, 'POST', '/servers', createServerBody(`n${i}`));
      ips.add(r.body.server.public_net.ipv4.ip);
      v6.add(r.body.server.public_net.ipv6.ip);
      expect(r.body.server.public_net.ipv4.ip).toMatch(/^(203\.0\.113|198\.51\.100|192\.0\.2)\./);
    }
    expect(ips.size).toBe(5);
    expect(v6.size).toBe(5);
    const only6 = await api(
      m,
      'POST',
      '/servers',
      createServerBody('v6only', { public_net: { enable_ipv4: false, enable_ipv6: true } }),
    );
    expect(only6.body.server.public_net.ipv4).toBeNull();
    expect(only6.body.server.public_net.ipv6).not.toBeNull();
    const none = await api(
      m,
      'POST',
      '/servers',
      createServerBody('nopub', { public_net: { enable_ipv4: false, enable_ipv6: false } }),
    );
    expect(none.status).toBe(422);
  });

  it('uses given primary IPs, checks family, assignment and location, and frees auto_delete ones on delete', async () => {
    const m = await mock({ seedData: false });
    const p4 = await api(m, 'POST', '/primary_ips', {
      name: 'ip4',
      type: 'ipv4',
      assignee_type: 'server',
      location: 'fsn1',
    });
    expect(p4.status).toBe(201);
    expect(p4.body).toMatchObject({
      primary_ip: { assignee_id: null, assignee_type: 'unassigned', type: 'ipv4' },
      action: null,
    });
    const p6 = await api(m, 'POST', '/primary_ips', { name: 'ip6', type: 'ipv6', location: 'nbg1' });
    const wrongFamily = await api(
      m,
      'POST',
      '/servers',
      createServerBody('x', { public_net: { ipv4: p6.body.primary_ip.id } }),
    );
    expect(wrongFamily.body.error.code).toBe('primary_ip_version_mismatch');
    const wrongPlace = await api(
      m,
      'POST',
      '/servers',
      createServerBody('x', { public_net: { ipv6: p6.body.primary_ip.id } }),
    );
    expect(wrongPlace.body.error.code).toBe('primary_ip_datacenter_mismatch');
    const c = await api(
      m,
      'POST',
      '/servers',
      createServerBody('fixed', { public_net: { ipv4: p4.body.primary_ip.id } }),
    );
    expect(c.body.server.public_net.ipv4.id).toBe(p4.body.primary_ip.id);
    expect(c.body.server.public_net.ipv4.ip).toBe(p4.body.primary_ip.ip);
    const again = await api(
      m,
      'POST',
      '/servers',
      createServerBody('fixed2', { public_net: { ipv4: p4.body.primary_ip.id } }),
    );
    expect(again.body.error.code).toBe('primary_ip_assigned');
    expect((await api(m, 'GET', `/primary_ips/${p4.body.primary_ip.id}`)).body.primary_ip).toMatchObject({
      assignee_id: c.body.server.id,
      assignee_type: 'server',
    });
    expect((await api(m, 'DELETE', `/primary_ips/${p4.body.primary_ip.id}`)).body.error.code).toBe(
      'primary_ip_assigned',
    );
    const autoV6 = c.body.server.public_net.ipv6.id;

    await waitActions(m, [c.body.action.id, c.body.next_actions[0].id]);
    const d = await api(m, 'DELETE', `/servers/${c.body.server.id}`);
    await waitActions(m, [d.body.action.id]);
    // The given IP survives unassigned; the auto-created one (auto_delete) is gone.
    expect((await api(m, 'GET', `/primary_ips/${p4.body.primary_ip.id}`)).body.primary_ip).toMatchObject({
      assignee_id: null,
      assignee_type: 'unassigned',
    });
    expect((await api(m, 'GET', `/primary_ips/${autoV6}`)).status).toBe(404);
    expect((await api(m, 'DELETE', `/primary_ips/${p4.body.primary_ip.id}`)).status).toBe(204);
  });

  it('change_dns_ptr sets the IPv4 reverse entry and IPv6 entries inside the /64', async () => {
    const m = await mock({ seedData: false });
    const c = await api(m, 'POST', '/servers', createServerBody('ptr'));
    const id = c.body.server.id;
    await waitActions(m, [c.body.action.id, c.body.next_actions[0].id]);
    const v4 = c.body.server.public_net.ipv4.ip;
    const v6 = c.body.server.public_net.ipv6.ip.replace('::/64', '::1');
    const a = await api(m, 'POST', `/servers/${id}/actions/change_dns_ptr`, { ip: v4, dns_ptr: 'node.example.com' });
    expect(a.body.action.command).toBe('change_dns_ptr');
    await waitActions(m, [a.body.action.id]);
    const b = await api(m, 'POST', `/servers/${id}/actions/change_dns_ptr`, { ip: v6, dns_ptr: 'v6.example.com' });
    await waitActions(m, [b.body.action.id]);
    const s = (await api(m, 'GET', `/servers/${id}`)).body.server;
    expect(s.public_net.ipv4.dns_ptr).toBe('node.example.com');
    expect(s.public_net.ipv6.dns_ptr).toEqual([{ ip: v6, dns_ptr: 'v6.example.com' }]);
    const foreign = await api(m, 'POST', `/servers/${id}/actions/change_dns_ptr`, { ip: '8.8.8.8', dns_ptr: 'x' });
    expect(foreign.status).toBe(422);
  });
});

describe('private networks, volumes and placement groups', () => {
  it('attaches at creation from the first cloud subnet and keeps network.servers in sync', async () => {
    const m = await mock();
    const net = (await api(m, 'GET', '/networks?name=private')).body.networks[0];
    const c = await api(m, 'POST', '/servers', createServerBody('priv', { networks: [net.id] }));
    expect(c.body.server.private_net).toEqual([
      {
        network: net.id,
        ip: '10.0.1.3',
        alias_ips: [],
        mac_address: expect.stringMatching(/^86:00:00(:[0-9a-f]{2}){3}$/),
      },
    ]);
    expect(c.body.next_actions.map((a: { command: string }) => a.command)).toContain('attach_to_network');
    expect((await api(m, 'GET', `/networks/${net.id}`)).body.network.servers).toContain(c.body.server.id);
  });

  it('attach_to_network honours ip / ip_range, answers ip_not_available and invalid_input, and detaches', async () => {
    const m = await mock({ seedData: false });
    const net = (
      await api(m, 'POST', '/networks', {
        name: 'n',
        ip_range: '10.1.0.0/16',
        subnets: [
          { type: 'cloud', ip_range: '10.1.1.0/24', network_zone: 'eu-central' },
          { type: 'cloud', ip_range: '10.1.2.0/24', network_zone: 'eu-central' },
        ],
      })
    ).body.network;
    const mk = async (name: string) => {
      const c = await api(m, 'POST', '/servers', createServerBody(name));
      await waitActions(m, [c.body.action.id, c.body.next_actions[0].id]);
      return c.body.server.id as number;
    };
    const a = await mk('a');
    const b = await mk('b');
    const c = await mk('c');
    const r1 = await api(m, 'POST', `/servers/${a}/actions/attach_to_network`, { network: net.id, ip: '10.1.1.50' });
    expect(r1.status).toBe(201);
    expect(m.state.servers.get(a)!.privateNet[0]!.ip).toBe('10.1.1.50');
    const taken = await api(m, 'POST', `/servers/${b}/actions/attach_to_network`, { network: net.id, ip: '10.1.1.50' });
    expect(taken.status).toBe(422);
    expect(taken.body.error.code).toBe('ip_not_available');
    const outside = await api(m, 'POST', `/servers/${b}/actions/attach_to_network`, {
      network: net.id,
      ip: '10.9.0.5',
    });
    expect(outside.body.error.code).toBe('invalid_input');
    const ranged = await api(m, 'POST', `/servers/${b}/actions/attach_to_network`, {
      network: net.id,
      ip_range: '10.1.2.0/24',
    });
    expect(ranged.status).toBe(201);
    expect(m.state.servers.get(b)!.privateNet[0]!.ip).toMatch(/^10\.1\.2\./);
    await waitActions(m, [r1.body.action.id, ranged.body.action.id]);
    const twice = await api(m, 'POST', `/servers/${b}/actions/attach_to_network`, { network: net.id });
    expect(twice.body.error.code).toBe('server_already_attached');
    const auto = await api(m, 'POST', `/servers/${c}/actions/attach_to_network`, { network: net.id });
    expect(m.state.servers.get(c)!.privateNet[0]!.ip).toBe('10.1.1.2');
    await waitActions(m, [auto.body.action.id]);
    expect((await api(m, 'GET', `/networks/${net.id}`)).body.network.servers.sort()).toEqual([a, b, c].sort());
    const det = await api(m, 'POST', `/servers/${a}/actions/detach_from_network`, { network: net.id });
    await waitActions(m, [det.body.action.id]);
    expect(m.state.servers.get(a)!.privateNet).toEqual([]);
    expect((await api(m, 'GET', `/networks/${net.id}`)).body.network.servers).not.toContain(a);
  });

  it('attaches volumes given at creation and refuses attached or foreign-location ones', async () => {
    const m = await mock();
    const vols = (await api(m, 'GET', '/volumes')).body.volumes;
    const attached = vols.find((v: { name: string }) => v.name === 'data-1');
    const free = vols.find((v: { name: string }) => v.name === 'backup-1');
    expect((await api(m, 'POST', '/servers', createServerBody('v1', { volumes: [attached.id] }))).status).toBe(422);
    expect((await api(m, 'POST', '/servers', createServerBody('v2', { volumes: [free.id] }))).status).toBe(422);
    const ok = await api(m, 'POST', '/servers', createServerBody('v3', { location: 'nbg1', volumes: [free.id] }));
    expect(ok.body.server.volumes).toEqual([free.id]);
    expect((await api(m, 'GET', `/volumes/${free.id}`)).body.volume.server).toBe(ok.body.server.id);
  });

  it('a spread placement group takes at most 10 servers, then placement_error', async () => {
    const m = await mock({ seedData: false });
    const pg = (await api(m, 'POST', '/placement_groups', { name: 'pg', type: 'spread' })).body.placement_group;
    for (let i = 0; i < 10; i++) {
      const r = await api(m, 'POST', '/servers', createServerBody(`pg-${i}`, { placement_group: pg.id }));
      expect(r.body.server.placement_group.id).toBe(pg.id);
    }
    const full = await api(m, 'POST', '/servers', createServerBody('pg-10', { placement_group: pg.id }));
    expect(full.status).toBe(422);
    expect(full.body.error.code).toBe('placement_error');
    expect((await api(m, 'GET', `/placement_groups/${pg.id}`)).body.placement_group.servers).toHaveLength(10);
    expect((await api(m, 'DELETE', `/placement_groups/${pg.id}`)).body.error.code).toBe('resource_in_use');
  });
});

describe('ssh keys', () => {
  it('refuses a duplicate name or fingerprint with 409 uniqueness_error on the right field', async () => {
    const m = await mock();
    const existing = [...m.state.sshKeys.values()][0]!;
    const sameKey = await api(m, 'POST', '/ssh_keys', { name: 'other', public_key: existing.public_key });
    expect(sameKey.status).toBe(409);
    expect(sameKey.body.error).toMatchObject({
      code: 'uniqueness_error',
      details: { fields: [{ name: 'public_key' }] },
    });
    const bad = await api(m, 'POST', '/ssh_keys', { name: 'bad', public_key: 'not a key' });
    expect(bad.body.error.details.fields[0].name).toBe('public_key');
    await waitFor('nothing', () => true);
  });
});
