// Response and request shapes checked against the reference notes (hetzner-cloud-api.md §1), endpoint by endpoint.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listEndpoints } from '../src/index';
import { api, createServerBody, mock, SSH_KEY_A, settle, waitActions } from './helpers';

const INT32_MAX = 2 ** 31 - 1;

const actionShape = {
  id: expect.any(Number),
  command: expect.any(String),
  status: expect.stringMatching(/^(running|success|error)$/),
  progress: expect.any(Number),
  started: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/),
  finished: null,
  error: null,
  resources: expect.arrayContaining([{ id: expect.any(Number), type: expect.any(String) }]),
};

function expectPagination(body: { meta: { pagination: Record<string, unknown> } }, total: number) {
  expect(body.meta.pagination).toEqual({
    page: 1,
    per_page: 25,
    previous_page: null,
    next_page: total > 25 ? 2 : null,
    last_page: Math.max(1, Math.ceil(total / 25)),
    total_entries: total,
  });
}

describe('contract: envelopes and headers', () => {
  it('wraps errors as {error:{code,message,details}} with JSON content type and a correlation id', async () => {
    const m = await mock();
    const r = await api(m, 'GET', '/servers/123');
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.headers.get('x-correlation-id')).toMatch(/^[0-9a-f]{16}$/);
    expect(r.body).toEqual({ error: { code: 'not_found', message: expect.any(String), details: null } });
  });

  it('answers invalid JSON with 400 json_error and invalid input with 422 details.fields', async () => {
    const m = await mock();
    const bad = await api(m, 'POST', '/servers', '{"name":');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('json_error');
    const r = await api(m, 'POST', '/servers', { server_type: 'cx23', image: 'ubuntu-24.04' });
    expect(r.status).toBe(422);
    expect(r.body.error).toEqual({
      code: 'invalid_input',
      message: "invalid input in field 'name': is required",
      details: { fields: [{ name: 'name', messages: ['is required'] }] },
    });
  });

  it('answers a request whose Host header is not a valid authority with 400, and keeps serving', async () => {
    const m = await mock();
    const { port } = new URL(m.url);
    const statusLine = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write('GET /v1/servers HTTP/1.1\r\nHost: [\r\nAuthorization: Bearer test-token\r\n\r\n'),
      );
      socket.once('data', (d) => {
        resolve(d.toString('latin1').split('\r\n')[0] ?? '');
        socket.destroy();
      });
      socket.once('error', reject);
    });
    expect(statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect((await api(m, 'GET', '/servers')).status).toBe(200);
  });

  it('answers an unknown method on a known path with 405 method_not_allowed', async () => {
    const m = await mock();
    const r = await api(m, 'PATCH', '/servers');
    expect(r.status).toBe(405);
    expect(r.body.error.code).toBe('method_not_allowed');
  });

  it('serves every endpoint the driver and the extension use', () => {
    const endpoints = listEndpoints();
    for (const e of [
      'GET /servers',
      'POST /servers',
      'GET /servers/{id}',
      'PUT /servers/{id}',
      'DELETE /servers/{id}',
      'GET /servers/{id}/actions',
      'POST /servers/{id}/actions/poweron',
      'POST /servers/{id}/actions/poweroff',
      'POST /servers/{id}/actions/shutdown',
      'POST /servers/{id}/actions/reboot',
      'POST /servers/{id}/actions/reset',
      'POST /servers/{id}/actions/attach_to_network',
      'POST /servers/{id}/actions/detach_from_network',
      'POST /servers/{id}/actions/change_dns_ptr',
      'GET /actions',
      'GET /actions/{id}',
      'GET /ssh_keys',
      'POST /ssh_keys',
      'DELETE /ssh_keys/{id}',
      'POST /firewalls',
      'POST /firewalls/{id}/actions/set_rules',
      'POST /firewalls/{id}/actions/apply_to_resources',
      'POST /firewalls/{id}/actions/remove_from_resources',
      'GET /networks',
      'GET /placement_groups',
      'POST /placement_groups',
      'GET /images',
      'GET /server_types',
      'GET /locations',
      'GET /primary_ips',
      'POST /primary_ips',
      'GET /volumes',
      'GET /volumes/{id}',
    ]) {
      expect(endpoints).toContain(e);
    }
  });

  it('lists exactly the endpoints it serves in the README\'s section "The mock\'s endpoints"', () => {
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    const start = readme.indexOf("### The mock's endpoints");
    expect(start, 'README section missing').toBeGreaterThan(-1);
    const end = readme.indexOf('\n#', start + 4);
    const section = readme.slice(start, end === -1 ? undefined : end);
    // `POST /x/{id}/actions/{a,b}` stands for one endpoint per name in the braces.
    const listed = [...section.matchAll(/`((?:GET|POST|PUT|DELETE) \/[^`]*)`/g)].flatMap(([, e]) => {
      const m = /^(.*)\{([^}]*,[^}]*)\}$/.exec(e!);
      return m ? m[2]!.split(',').map((name) => `${m[1]}${name}`) : [e!];
    });
    expect([...listed].sort()).toEqual([...listEndpoints()].sort());
  });
});

describe('contract: servers', () => {
  it('POST /servers returns 201 {server, action, next_actions, root_password}', async () => {
    const m = await mock();
    const r = await api(m, 'POST', '/servers', createServerBody('web-1', { labels: { role: 'web' } }));
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual(['action', 'next_actions', 'root_password', 'server']);
    expect(r.body.action).toMatchObject({ ...actionShape, command: 'create_server', status: 'running' });
    expect(r.body.next_actions.map((a: { command: string }) => a.command)).toEqual(['start_server']);
    expect(r.body.root_password).toMatch(/^[A-Za-z0-9]{20}$/);
    const s = r.body.server;
    expect(s.id).toBeGreaterThan(INT32_MAX);
    expect(s).toMatchObject({
      name: 'web-1',
      status: 'initializing',
      created: expect.any(String),
      public_net: {
        ipv4: {
          id: expect.any(Number),
          ip: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/),
          blocked: false,
          dns_ptr: expect.any(String),
        },
        ipv6: {
          id: expect.any(Number),
          ip: expect.stringMatching(/^2001:db8:[0-9a-f]+::\/64$/),
          blocked: false,
          dns_ptr: [],
        },
        floating_ips: [],
        firewalls: [],
      },
      private_net: [],
      server_type: { name: 'cx23', architecture: 'x86', locations: expect.any(Array), prices: expect.any(Array) },
      location: { name: 'fsn1', network_zone: 'eu-central', country: 'DE' },
      image: { name: 'ubuntu-24.04', architecture: 'x86', type: 'system' },
      locked: true,
      protection: { delete: false, rebuild: false },
      labels: { role: 'web' },
      volumes: [],
      load_balancers: [],
      primary_disk_size: 40,
      placement_group: null,
      rescue_enabled: false,
    });
    expect(s).not.toHaveProperty('datacenter');
    expect(s).not.toHaveProperty('user_data');
  });

  it('without ssh_keys a root_password is returned, with them it is null', async () => {
    const m = await mock();
    const key = await api(m, 'POST', '/ssh_keys', { name: 'k', public_key: SSH_KEY_A });
    const r = await api(m, 'POST', '/servers', createServerBody('with-key', { ssh_keys: [key.body.ssh_key.id] }));
    expect(r.body.root_password).toBeNull();
    const byName = await api(m, 'POST', '/servers', createServerBody('with-key-name', { ssh_keys: ['k'] }));
    expect(byName.status).toBe(201);
  });

  it('GET /servers lists with meta.pagination and filters by name, label_selector and status', async () => {
    const m = await mock();
    const all = await api(m, 'GET', '/servers');
    expect(all.status).toBe(200);
    expectPagination(all.body, 1);
    expect(all.body.servers[0].name).toBe('existing-web-1');
    await api(m, 'POST', '/servers', createServerBody('a-1', { labels: { cluster: 'c1' }, start_after_create: false }));
    expect((await api(m, 'GET', '/servers?name=a-1')).body.servers).toHaveLength(1);
    expect((await api(m, 'GET', '/servers?label_selector=cluster%3Dc1')).body.servers[0].name).toBe('a-1');
    expect((await api(m, 'GET', '/servers?status=running')).body.servers.map((s: { name: string }) => s.name)).toEqual([
      'existing-web-1',
    ]);
  });

  it('DELETE /servers/{id} returns 200 {action: delete_server}', async () => {
    const m = await mock();
    const c = await api(m, 'POST', '/servers', createServerBody('gone'));
    await waitActions(m, [c.body.action.id, c.body.next_actions[0].id]);
    const d = await api(m, 'DELETE', `/servers/${c.body.server.id}`);
    expect(d.status).toBe(200);
    expect(d.body.action).toMatchObject({
      command: 'delete_server',
      resources: [{ id: c.body.server.id, type: 'server' }],
    });
  });

  it('server power actions return 201 {action} with the documented commands', async () => {
    const m = await mock();
    const id = [...m.state.servers.values()][0]!.id;
    const commands: Record<string, string> = {
      poweroff: 'stop_server',
      poweron: 'start_server',
      shutdown: 'shutdown_server',
      reboot: 'reboot_server',
      reset: 'reset_server',
    };
    for (const [name, command] of Object.entries(commands)) {
      const r = await api(m, 'POST', `/servers/${id}/actions/${name}`);
      expect(r.status).toBe(201);
      expect(r.body.action).toMatchObject({ ...actionShape, command });
      await waitActions(m, [r.body.action.id]);
    }
  });
});

describe('contract: actions', () => {
  it('GET /actions needs id= (410 deprecated_api_endpoint otherwise) and GET /actions/{id} returns one', async () => {
    const m = await mock({ manualActions: true });
    const gone = await api(m, 'GET', '/actions');
    expect(gone.status).toBe(410);
    expect(gone.body.error.code).toBe('deprecated_api_endpoint');
    expect(gone.body.error.details.announcement).toMatch(/^https:\/\//);
    const c = await api(m, 'POST', '/servers', createServerBody('x'));
    const ids = [c.body.action.id, c.body.next_actions[0].id];
    const list = await api(m, 'GET', `/actions?id=${ids[0]}&id=${ids[1]}&sort=status&sort=id`);
    expect(list.body.actions.map((a: { id: number }) => a.id).sort()).toEqual([...ids].sort());
    expect(list.body.meta.pagination.total_entries).toBe(2);
    const one = await api(m, 'GET', `/actions/${ids[0]}`);
    expect(one.body.action).toMatchObject({ ...actionShape, id: ids[0] });
    settle(m, ids);
    const done = await api(m, 'GET', `/actions/${ids[0]}`);
    expect(done.body.action).toMatchObject({
      status: 'success',
      progress: 100,
      finished: expect.any(String),
      error: null,
    });
  });
});

describe('contract: ssh keys, firewalls, networks, placement groups', () => {
  it('POST /ssh_keys returns 201 {ssh_key} with the MD5 fingerprint; DELETE gives 204', async () => {
    const m = await mock();
    const r = await api(m, 'POST', '/ssh_keys', { name: 'deploy', public_key: SSH_KEY_A, labels: { a: 'b' } });
    expect(r.status).toBe(201);
    expect(r.body.ssh_key).toEqual({
      id: expect.any(Number),
      name: 'deploy',
      fingerprint: expect.stringMatching(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/),
      public_key: SSH_KEY_A,
      labels: { a: 'b' },
      created: expect.any(String),
    });
    const byFp = await api(m, 'GET', `/ssh_keys?fingerprint=${encodeURIComponent(r.body.ssh_key.fingerprint)}`);
    expect(byFp.body.ssh_keys).toHaveLength(1);
    const del = await api(m, 'DELETE', `/ssh_keys/${r.body.ssh_key.id}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
  });

  it('POST /firewalls returns 201 {firewall, actions} with rules and applied_to in API shape', async () => {
    const m = await mock();
    const r = await api(m, 'POST', '/firewalls', {
      name: 'fw',
      rules: [{ direction: 'in', protocol: 'tcp', port: '22', source_ips: ['0.0.0.0/0'] }],
      apply_to: [{ type: 'label_selector', label_selector: { selector: 'env=demo' } }],
    });
    expect(r.status).toBe(201);
    expect(r.body.firewall).toMatchObject({
      name: 'fw',
      labels: {},
      rules: [
        {
          direction: 'in',
          protocol: 'tcp',
          port: '22',
          source_ips: ['0.0.0.0/0'],
          destination_ips: [],
          description: null,
        },
      ],
      applied_to: [
        {
          type: 'label_selector',
          label_selector: { selector: 'env=demo' },
          applied_to_resources: [{ type: 'server', server: { id: expect.any(Number) } }],
        },
      ],
    });
    expect(r.body.actions.map((a: { command: string }) => a.command)).toEqual(['apply_firewall']);
  });

  it('networks carry subnets with gateway and the attached servers', async () => {
    const m = await mock();
    const r = await api(m, 'GET', '/networks');
    expect(r.body.networks[0]).toMatchObject({
      name: 'private',
      ip_range: '10.0.0.0/16',
      subnets: [{ type: 'cloud', ip_range: '10.0.1.0/24', network_zone: 'eu-central', gateway: '10.0.0.1' }],
      routes: [],
      servers: [expect.any(Number)],
      protection: { delete: false },
      expose_routes_to_vswitch: false,
    });
  });

  it('POST /placement_groups returns 201 {placement_group, action:null}', async () => {
    const m = await mock();
    const r = await api(m, 'POST', '/placement_groups', { name: 'pg', type: 'spread' });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      placement_group: {
        id: expect.any(Number),
        name: 'pg',
        type: 'spread',
        servers: [],
        labels: {},
        created: expect.any(String),
      },
      action: null,
    });
  });
});

describe('contract: catalogue', () => {
  it('images: same name for x86 and arm, architecture filter, deprecated hidden by default, snapshots without name', async () => {
    const m = await mock();
    const both = await api(m, 'GET', '/images?name=ubuntu-24.04');
    expect(both.body.images.map((i: { architecture: string }) => i.architecture).sort()).toEqual(['arm', 'x86']);
    const arm = await api(m, 'GET', '/images?name=ubuntu-24.04&architecture=arm');
    expect(arm.body.images).toHaveLength(1);
    expect(arm.body.images[0]).toMatchObject({
      type: 'system',
      status: 'available',
      os_flavor: 'ubuntu',
      deprecated: null,
    });
    expect((await api(m, 'GET', '/images?name=ubuntu-20.04')).body.images).toHaveLength(0);
    expect((await api(m, 'GET', '/images?name=ubuntu-20.04&include_deprecated=true')).body.images).toHaveLength(2);
    const snaps = await api(m, 'GET', '/images?type=snapshot&label_selector=role%3Dnode-base');
    expect(snaps.body.images.length).toBe(2);
    expect(snaps.body.images[0].name).toBeNull();
  });

  it('server types carry architecture, prices and per-location availability and deprecation', async () => {
    const m = await mock();
    const r = await api(m, 'GET', '/server_types');
    const byName = Object.fromEntries(r.body.server_types.map((t: { name: string }) => [t.name, t]));
    expect(byName.cax11).toMatchObject({ architecture: 'arm', cpu_type: 'shared', storage_type: 'local' });
    expect(byName.cx23.locations[0]).toEqual({
      id: 1,
      name: 'fsn1',
      deprecation: null,
      available: true,
      recommended: true,
    });
    expect(byName.cx23.prices[0]).toMatchObject({
      location: 'fsn1',
      price_hourly: { net: expect.any(String), gross: expect.any(String) },
      price_monthly: { net: '3.4900', gross: expect.any(String) },
    });
    // Each location has its own price: the US and Singapore cost more than the EU.
    const monthlyNet = (type: string, loc: string) =>
      byName[type].prices.find((p: { location: string }) => p.location === loc).price_monthly.net;
    expect(['fsn1', 'ash', 'sin'].map((l) => monthlyNet('cpx22', l))).toEqual(['6.4900', '7.7900', '8.7600']);
    expect(byName.ccx13.locations.find((l: { name: string }) => l.name === 'sin').available).toBe(false);
    expect(byName.cx22.locations[0].deprecation).toEqual({
      announced: expect.any(String),
      unavailable_after: expect.any(String),
    });
    expect(byName.cx22.id).toBeGreaterThan(INT32_MAX);
  });

  it('locations list the six sites with network zones', async () => {
    const m = await mock();
    const r = await api(m, 'GET', '/locations');
    expect(r.body.locations.map((l: { name: string }) => l.name)).toEqual([
      'fsn1',
      'nbg1',
      'hel1',
      'ash',
      'hil',
      'sin',
    ]);
    expect(r.body.locations[3]).toMatchObject({ network_zone: 'us-east', country: 'US', latitude: expect.any(Number) });
    expect((await api(m, 'GET', '/locations?name=hel1')).body.locations).toHaveLength(1);
  });

  it('volumes and primary IPs have location objects, not datacenters', async () => {
    const m = await mock();
    const v = await api(m, 'GET', '/volumes');
    expect(v.body.volumes).toHaveLength(2);
    expect(v.body.volumes[0]).toMatchObject({
      name: 'data-1',
      size: 10,
      server: expect.any(Number),
      location: { name: 'fsn1' },
      linux_device: expect.stringMatching(/^\/dev\/disk\/by-id\/scsi-0HC_Volume_\d+$/),
      status: 'available',
    });
    expect((await api(m, 'GET', `/volumes/${v.body.volumes[1].id}`)).body.volume.name).toBe('backup-1');
    const p = await api(m, 'GET', '/primary_ips?name=reserved-ipv4');
    expect(p.body.primary_ips[0]).toMatchObject({
      type: 'ipv4',
      assignee_id: null,
      assignee_type: 'unassigned',
      auto_delete: false,
      dns_ptr: [{ ip: expect.any(String), dns_ptr: expect.any(String) }],
      location: { name: 'fsn1' },
    });
    expect(p.body.primary_ips[0]).not.toHaveProperty('datacenter');
  });
});

describe('contract: every list endpoint', () => {
  it('wraps items under the resource key with meta.pagination, and GET by ID under the singular key', async () => {
    const m = await mock();
    const lists: [string, string][] = [
      ['/servers', 'server'],
      ['/ssh_keys', 'ssh_key'],
      ['/firewalls', 'firewall'],
      ['/networks', 'network'],
      ['/placement_groups', 'placement_group'],
      ['/primary_ips', 'primary_ip'],
      ['/volumes', 'volume'],
      ['/images', 'image'],
      ['/server_types', 'server_type'],
      ['/locations', 'location'],
    ];
    for (const [path, singular] of lists) {
      const r = await api(m, 'GET', path);
      const key = path.slice(1);
      expect(r.status, path).toBe(200);
      expect(Object.keys(r.body).sort(), path).toEqual(['meta', key].sort());
      expect(r.body.meta.pagination.total_entries, path).toBe(r.body[key].length);
      expect(r.body[key].length, path).toBeGreaterThan(0);
      const first = r.body[key][0];
      const one = await api(m, 'GET', `${path}/${first.id}`);
      expect(one.body, path).toEqual({ [singular]: first });
    }
  });

  it('a server object has exactly the documented top-level fields', async () => {
    const m = await mock();
    const s = (await api(m, 'GET', '/servers')).body.servers[0];
    expect(Object.keys(s).sort()).toEqual(
      [
        'id',
        'name',
        'status',
        'created',
        'public_net',
        'private_net',
        'server_type',
        'location',
        'image',
        'iso',
        'rescue_enabled',
        'locked',
        'backup_window',
        'outgoing_traffic',
        'ingoing_traffic',
        'included_traffic',
        'protection',
        'labels',
        'volumes',
        'load_balancers',
        'primary_disk_size',
        'placement_group',
      ].sort(),
    );
  });
});

describe('contract: pagination and sorting', () => {
  it('pages with per_page ≤ 50, next/previous/last, a Link header, and rejects per_page over 50', async () => {
    const m = await mock({ seedData: false });
    for (let i = 0; i < 7; i++) await api(m, 'POST', '/placement_groups', { name: `pg-${i}`, type: 'spread' });
    const p2 = await api(m, 'GET', '/placement_groups?per_page=3&page=2&sort=name:desc');
    expect(p2.body.meta.pagination).toEqual({
      page: 2,
      per_page: 3,
      previous_page: 1,
      next_page: 3,
      last_page: 3,
      total_entries: 7,
    });
    expect(p2.body.placement_groups.map((p: { name: string }) => p.name)).toEqual(['pg-3', 'pg-2', 'pg-1']);
    expect(p2.headers.get('link')).toContain('rel="next"');
    expect(p2.headers.get('link')).toContain('rel="prev"');
    const last = await api(m, 'GET', '/placement_groups?per_page=3&page=3');
    expect(last.body.meta.pagination.next_page).toBeNull();
    const big = await api(m, 'GET', '/placement_groups?per_page=51');
    expect(big.status).toBe(422);
    expect(big.body.error.details.fields[0].name).toBe('per_page');
    expect((await api(m, 'GET', '/placement_groups?sort=bogus')).status).toBe(422);
  });
});
