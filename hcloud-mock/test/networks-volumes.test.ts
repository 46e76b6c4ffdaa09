// Network actions, volumes, server protection and the removed datacenter endpoints: shapes and error codes.
import { describe, expect, it } from 'vitest';
import type { MockServer } from '../src/index';
import { api, createServerBody, mock, settle, waitActions } from './helpers';

async function network(m: MockServer, body: Record<string, unknown> = {}) {
  const r = await api(m, 'POST', '/networks', {
    name: 'n',
    ip_range: '10.0.0.0/16',
    subnets: [{ type: 'cloud', ip_range: '10.0.1.0/24', network_zone: 'eu-central' }],
    ...body,
  });
  expect(r.status).toBe(201);
  return r.body.network.id as number;
}

/** Posts a network/volume/server action and, when it was accepted, waits for it. */
async function act(m: MockServer, path: string, body: unknown) {
  const r = await api(m, 'POST', path, body);
  if (r.status === 201) await waitActions(m, [r.body.action.id]);
  return r;
}

async function server(m: MockServer, name: string, extra: Record<string, unknown> = {}) {
  const c = await api(m, 'POST', '/servers', createServerBody(name, extra));
  expect(c.status).toBe(201);
  await waitActions(m, [c.body.action.id, ...c.body.next_actions.map((a: { id: number }) => a.id)]);
  return c.body.server.id as number;
}

function expectInvalid(r: { status: number; body: { error: { code: string; details: unknown } } }, field: string) {
  expect(r.status).toBe(422);
  expect(r.body.error.code).toBe('invalid_input');
  expect(r.body.error.details).toEqual({ fields: [{ name: field, messages: [expect.any(String)] }] });
}

describe('network actions', () => {
  it('add_subnet answers 201 {action} and the subnet appears when the action succeeds', async () => {
    const m = await mock({ seedData: false });
    const id = await network(m);
    const r = await act(m, `/networks/${id}/actions/add_subnet`, {
      type: 'cloud',
      ip_range: '10.0.2.0/24',
      network_zone: 'eu-central',
    });
    expect(r.status).toBe(201);
    expect(r.body.action).toMatchObject({ command: 'add_subnet', resources: [{ id, type: 'network' }] });
    const got = await api(m, 'GET', `/networks/${id}`);
    expect(got.body.network.subnets[1]).toEqual({
      type: 'cloud',
      ip_range: '10.0.2.0/24',
      network_zone: 'eu-central',
      gateway: '10.0.0.1',
      vswitch_id: null,
    });
    // Without ip_range the API picks the next free /24.
    await act(m, `/networks/${id}/actions/add_subnet`, { type: 'server', network_zone: 'eu-central' });
    expect((await api(m, 'GET', `/networks/${id}`)).body.network.subnets[2].ip_range).toBe('10.0.0.0/24');
    expect((await api(m, 'GET', `/networks/${id}/actions`)).body.actions).toHaveLength(2);
    expect((await api(m, 'GET', `/networks/actions/${r.body.action.id}`)).body.action.status).toBe('success');
  });

  it('add_subnet refuses overlapping, outside, too small and malformed subnets with invalid_input', async () => {
    const m = await mock({ seedData: false });
    const id = await network(m);
    const add = (body: Record<string, unknown>) =>
      api(m, 'POST', `/networks/${id}/actions/add_subnet`, { type: 'cloud', network_zone: 'eu-central', ...body });
    const overlap = await add({ ip_range: '10.0.1.128/25' });
    expectInvalid(overlap, 'ip_range');
    expect(overlap.body.error.message).toMatch(/overlaps with another subnet/);
    expectInvalid(await add({ ip_range: '10.0.0.0/8' }), 'ip_range');
    expectInvalid(await add({ ip_range: '10.1.0.0/24' }), 'ip_range');
    expectInvalid(await add({ ip_range: '10.0.9.0/31' }), 'ip_range');
    expectInvalid(await add({ ip_range: '10.0.9.1/24' }), 'ip_range');
    expectInvalid(await add({ network_zone: 'mars-1', ip_range: '10.0.9.0/24' }), 'network_zone');
    expectInvalid(await add({ type: 'lan', ip_range: '10.0.9.0/24' }), 'type');
    expectInvalid(await add({ type: 'vswitch', ip_range: '10.0.9.0/24' }), 'vswitch_id');
    // POST /networks checks its subnets the same way, against each other.
    const dup = await api(m, 'POST', '/networks', {
      name: 'dup',
      ip_range: '10.9.0.0/16',
      subnets: [
        { type: 'cloud', ip_range: '10.9.0.0/24', network_zone: 'eu-central' },
        { type: 'cloud', ip_range: '10.9.0.0/25', network_zone: 'eu-central' },
      ],
    });
    expectInvalid(dup, 'subnets[1].ip_range');
    expect((await api(m, 'GET', `/networks/${id}`)).body.network.subnets).toHaveLength(1);
    expect((await api(m, 'POST', '/networks/999/actions/add_subnet', {})).status).toBe(404);
  });

  it('a second change while one runs gets 409 conflict', async () => {
    const m = await mock({ seedData: false, manualActions: true });
    const id = await network(m);
    const first = await api(m, 'POST', `/networks/${id}/actions/change_protection`, { delete: true });
    expect(first.status).toBe(201);
    const second = await api(m, 'POST', `/networks/${id}/actions/add_subnet`, {
      type: 'cloud',
      ip_range: '10.0.2.0/24',
      network_zone: 'eu-central',
    });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('conflict');
    expect((await api(m, 'GET', `/networks/${id}`)).body.network.protection.delete).toBe(false);
    settle(m, [first.body.action.id]);
    expect((await api(m, 'GET', `/networks/${id}`)).body.network.protection.delete).toBe(true);
  });

  it('delete_subnet refuses a subnet with servers (resource_in_use) or an unknown one, then removes it', async () => {
    const m = await mock({ seedData: false });
    const id = await network(m);
    const s = await server(m, 'a', { networks: [id] });
    const del = (ip_range: string) => api(m, 'POST', `/networks/${id}/actions/delete_subnet`, { ip_range });
    const busy = await del('10.0.1.0/24');
    expect(busy.status).toBe(422);
    expect(busy.body.error.code).toBe('resource_in_use');
    expectInvalid(await del('10.0.7.0/24'), 'ip_range');
    await act(m, `/servers/${s}/actions/detach_from_network`, { network: id });
    const ok = await act(m, `/networks/${id}/actions/delete_subnet`, { ip_range: '10.0.1.0/24' });
    expect(ok.body.action.command).toBe('delete_subnet');
    expect((await api(m, 'GET', `/networks/${id}`)).body.network.subnets).toEqual([]);
  });

  it('add_route and delete_route check destination and gateway', async () => {
    const m = await mock({ seedData: false });
    const id = await network(m);
    const add = (destination: string, gateway: string) =>
      api(m, 'POST', `/networks/${id}/actions/add_route`, { destination, gateway });
    const overlap = await add('10.0.1.0/25', '10.0.1.5');
    expectInvalid(overlap, 'destination');
    expect(overlap.body.error.message).toMatch(/overlaps with another subnetwork or network route/);
    expectInvalid(await add('10.0.0.0/24', '10.0.1.5'), 'destination');
    expectInvalid(await add('10.7.0.0/24', '10.0.1.5'), 'destination');
    expectInvalid(await add('10.0.128.0/17', '10.0.9.5'), 'gateway');
    expectInvalid(await add('10.0.128.0/17', 'nope'), 'gateway');
    const r = await act(m, `/networks/${id}/actions/add_route`, { destination: '10.0.128.0/17', gateway: '10.0.1.5' });
    expect(r.body.action.command).toBe('add_route');
    expectInvalid(await add('10.0.192.0/18', '10.0.1.6'), 'destination');
    // The subnet holding a route's gateway cannot go while the route exists.
    const held = await api(m, 'POST', `/networks/${id}/actions/delete_subnet`, { ip_range: '10.0.1.0/24' });
    expect(held.body.error.code).toBe('resource_in_use');
    const missing = await api(m, 'POST', `/networks/${id}/actions/delete_route`, {
      destination: '10.0.128.0/17',
      gateway: '10.0.1.6',
    });
    expectInvalid(missing, 'destination');
    await act(m, `/networks/${id}/actions/delete_route`, { destination: '10.0.128.0/17', gateway: '10.0.1.5' });
    expect((await api(m, 'GET', `/networks/${id}`)).body.network.routes).toEqual([]);
  });

  it('change_ip_range only extends the range, keeping its first IP', async () => {
    const m = await mock({ seedData: false });
    const id = await network(m);
    const change = (ip_range: string) => api(m, 'POST', `/networks/${id}/actions/change_ip_range`, { ip_range });
    expectInvalid(await change('10.0.0.0/17'), 'ip_range');
    expectInvalid(await change('10.1.0.0/16'), 'ip_range');
    expectInvalid(await change('10.0.0.0/x'), 'ip_range');
    await act(m, `/networks/${id}/actions/change_ip_range`, { ip_range: '10.0.0.0/12' });
    expect((await api(m, 'GET', `/networks/${id}`)).body.network.ip_range).toBe('10.0.0.0/12');
  });

  it('change_protection guards DELETE with 423 protected until it is lifted', async () => {
    const m = await mock({ seedData: false });
    const id = await network(m);
    expectInvalid(await api(m, 'POST', `/networks/${id}/actions/change_protection`, { delete: 'yes' }), 'delete');
    await act(m, `/networks/${id}/actions/change_protection`, { delete: true });
    const refused = await api(m, 'DELETE', `/networks/${id}`);
    expect(refused.status).toBe(423);
    expect(refused.body.error.code).toBe('protected');
    await act(m, `/networks/${id}/actions/change_protection`, { delete: false });
    expect((await api(m, 'DELETE', `/networks/${id}`)).status).toBe(204);
  });
});

describe('volumes', () => {
  it('creates in a location: 201 {volume, action, next_actions}, creating until create_volume succeeds', async () => {
    const m = await mock({ seedData: false, manualActions: true });
    const r = await api(m, 'POST', '/volumes', { name: 'data', size: 10, location: 'fsn1', format: 'xfs' });
    expect(r.status).toBe(201);
    expect(r.body.volume).toEqual({
      id: expect.any(Number),
      name: 'data',
      size: 10,
      server: null,
      location: expect.objectContaining({ name: 'fsn1' }),
      linux_device: `/dev/disk/by-id/scsi-0HC_Volume_${r.body.volume.id}`,
      protection: { delete: false },
      labels: {},
      status: 'creating',
      format: 'xfs',
      created: expect.any(String),
    });
    expect(r.body.action).toMatchObject({ command: 'create_volume', status: 'running' });
    expect(r.body.next_actions).toEqual([]);
    // While it is being created no other action runs on it.
    const busy = await api(m, 'POST', `/volumes/${r.body.volume.id}/actions/resize`, { size: 20 });
    expect(busy.status).toBe(423);
    expect(busy.body.error.code).toBe('locked');
    settle(m, [r.body.action.id]);
    expect((await api(m, 'GET', `/volumes/${r.body.volume.id}`)).body.volume.status).toBe('available');
  });

  it('creates attached to a server: location from the server, attach_volume in next_actions', async () => {
    const m = await mock({ seedData: false });
    const s = await server(m, 'a');
    const r = await api(m, 'POST', '/volumes', { name: 'data', size: 10, server: s, automount: true });
    expect(r.status).toBe(201);
    expect(r.body.volume.location.name).toBe('fsn1');
    expect(r.body.next_actions).toEqual([expect.objectContaining({ command: 'attach_volume' })]);
    await waitActions(m, [r.body.action.id, r.body.next_actions[0].id]);
    expect((await api(m, 'GET', `/servers/${s}`)).body.server.volumes).toEqual([r.body.volume.id]);
    expect((await api(m, 'GET', `/volumes/${r.body.volume.id}`)).body.volume.server).toBe(s);
  });

  it('refuses bad creates: size, name, location, automount without server, duplicates', async () => {
    const m = await mock({ seedData: false });
    const create = (body: Record<string, unknown>) =>
      api(m, 'POST', '/volumes', { name: 'v', size: 10, location: 'fsn1', ...body });
    expectInvalid(await create({ size: 5 }), 'size');
    expectInvalid(await create({ size: 10241 }), 'size');
    expectInvalid(await create({ size: '10' }), 'size');
    expectInvalid(await create({ name: '-v' }), 'name');
    expectInvalid(await create({ location: undefined }), 'location');
    expectInvalid(await create({ automount: true }), 'automount');
    expectInvalid(await create({ format: 'ntfs' }), 'format');
    expect((await create({ location: 'mars' })).status).toBe(404);
    expect((await create({ location: undefined, server: 4242 })).status).toBe(404);
    expect((await create({})).status).toBe(201);
    const dup = await create({});
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('uniqueness_error');
  });

  it('attach refuses a server in another location, an attached volume and a locked server', async () => {
    // A reboot that lasts until settled keeps the server locked however loaded the machine is.
    const m = await mock({ seedData: false, actionDurations: { reboot_server: 60_000 } });
    const fsn = await server(m, 'fsn');
    const nbg = await server(m, 'nbg', { location: 'nbg1' });
    const v = (await api(m, 'POST', '/volumes', { name: 'v', size: 10, location: 'fsn1' })).body;
    await waitActions(m, [v.action.id]);
    const id = v.volume.id as number;
    const far = await api(m, 'POST', `/volumes/${id}/actions/attach`, { server: nbg });
    expectInvalid(far, 'server');
    expect(far.body.error.message).toMatch(/same location/);
    expectInvalid(await api(m, 'POST', `/volumes/${id}/actions/attach`, {}), 'server');
    expect((await api(m, 'POST', `/volumes/${id}/actions/attach`, { server: 4242 })).status).toBe(404);

    const reboot = await api(m, 'POST', `/servers/${fsn}/actions/reboot`);
    const locked = await api(m, 'POST', `/volumes/${id}/actions/attach`, { server: fsn });
    expect(locked.status).toBe(423);
    expect(locked.body.error.code).toBe('locked');
    settle(m, [reboot.body.action.id]);

    const ok = await act(m, `/volumes/${id}/actions/attach`, { server: fsn, automount: false });
    expect(ok.body.action).toMatchObject({
      command: 'attach_volume',
      resources: [
        { id, type: 'volume' },
        { id: fsn, type: 'server' },
      ],
    });
    const again = await api(m, 'POST', `/volumes/${id}/actions/attach`, { server: fsn });
    expect(again.status).toBe(422);
    expect(again.body.error.code).toBe('volume_already_attached');
  });

  it('delete refuses an attached volume (volume_already_attached) and a protected one (protected)', async () => {
    const m = await mock({ seedData: false });
    const s = await server(m, 'a');
    const v = (await api(m, 'POST', '/volumes', { name: 'v', size: 10, server: s })).body;
    await waitActions(m, [v.action.id, v.next_actions[0].id]);
    const id = v.volume.id as number;
    const attached = await api(m, 'DELETE', `/volumes/${id}`);
    expect(attached.status).toBe(422);
    expect(attached.body.error.code).toBe('volume_already_attached');

    const detach = await act(m, `/volumes/${id}/actions/detach`, {});
    expect(detach.body.action.command).toBe('detach_volume');
    expect((await api(m, 'GET', `/servers/${s}`)).body.server.volumes).toEqual([]);
    expectInvalid(await api(m, 'POST', `/volumes/${id}/actions/detach`, {}), 'server');

    await act(m, `/volumes/${id}/actions/change_protection`, { delete: true });
    const protectedDel = await api(m, 'DELETE', `/volumes/${id}`);
    expect(protectedDel.status).toBe(423);
    expect(protectedDel.body.error.code).toBe('protected');
    await act(m, `/volumes/${id}/actions/change_protection`, { delete: false });
    expect((await api(m, 'DELETE', `/volumes/${id}`)).status).toBe(204);
    expect((await api(m, 'GET', `/volumes/${id}`)).status).toBe(404);
  });

  it('resize only grows; PUT renames and relabels; deleting a server detaches its volumes', async () => {
    const m = await mock({ seedData: false });
    const s = await server(m, 'a');
    const v = (await api(m, 'POST', '/volumes', { name: 'v', size: 20, server: s })).body;
    await waitActions(m, [v.action.id, v.next_actions[0].id]);
    const id = v.volume.id as number;
    expectInvalid(await api(m, 'POST', `/volumes/${id}/actions/resize`, { size: 10 }), 'size');
    await act(m, `/volumes/${id}/actions/resize`, { size: 30 });
    const put = await api(m, 'PUT', `/volumes/${id}`, { name: 'renamed', labels: { a: 'b' } });
    expect(put.body.volume).toMatchObject({ name: 'renamed', labels: { a: 'b' }, size: 30 });
    const del = await api(m, 'DELETE', `/servers/${s}`);
    await waitActions(m, [del.body.action.id]);
    expect((await api(m, 'GET', `/volumes/${id}`)).body.volume.server).toBeNull();
    expect(m.state.checkInvariants()).toEqual([]);
  });
});

describe('server protection and datacenters', () => {
  it('change_protection keeps delete and rebuild equal; a protected server refuses DELETE', async () => {
    const m = await mock({ seedData: false });
    const s = await server(m, 'a');
    expectInvalid(await api(m, 'POST', `/servers/${s}/actions/change_protection`, { delete: true }), 'rebuild');
    const r = await act(m, `/servers/${s}/actions/change_protection`, { delete: true, rebuild: true });
    expect(r.body.action.command).toBe('change_protection');
    expect((await api(m, 'GET', `/servers/${s}`)).body.server.protection).toEqual({ delete: true, rebuild: true });
    const refused = await api(m, 'DELETE', `/servers/${s}`);
    expect(refused.status).toBe(423);
    expect(refused.body.error.code).toBe('protected');
  });

  it('answers the removed datacenter endpoints with 410 deprecated_api_endpoint', async () => {
    const m = await mock({ seedData: false });
    for (const path of ['/datacenters', '/datacenters/1']) {
      const r = await api(m, 'GET', path);
      expect(r.status).toBe(410);
      expect(r.body.error).toEqual({
        code: 'deprecated_api_endpoint',
        message: expect.any(String),
        details: { announcement: expect.stringMatching(/^https:\/\/docs\.hetzner\.cloud\/changelog#/) },
      });
    }
  });
});
