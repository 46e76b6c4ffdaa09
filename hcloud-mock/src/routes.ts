import { matchSelector, parseSelector } from './labels';
import * as fw from './ops/firewalls';
import * as nets from './ops/networks';
import * as res from './ops/resources';
import { serverAction } from './ops/server-actions';
import * as srv from './ops/servers';
import * as vol from './ops/volumes';
import type { MockState } from './state';
import { ApiError, byIdOr404, invalidInput, notFound } from './util';

export interface HandlerContext {
  state: MockState;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  /** For `Link` headers: the request URL's origin and path. */
  baseUrl: string;
}

export interface HandlerResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Handler = (ctx: HandlerContext) => HandlerResult;

interface Route {
  method: string;
  template: string;
  segments: string[];
  handler: Handler;
}

export interface RouteMatch {
  endpoint: string;
  handler: Handler | null;
  params: Record<string, string>;
  /** The path exists but not with this method. */
  methodNotAllowed: boolean;
}

const routes: Route[] = [];

function route(method: string, template: string, handler: Handler): void {
  routes.push({ method, template, segments: template.split('/').filter(Boolean), handler });
}

/** Literal segments beat `{param}` segments, so `/servers/actions/{id}` wins over `/servers/{id}/actions`. */
export function matchRoute(method: string, path: string): RouteMatch {
  const parts = path.split('/').filter(Boolean);
  let best: { route: Route; params: Record<string, string>; score: number } | undefined;
  let pathKnown = false;
  for (const r of routes) {
    if (r.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let score = 0;
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      const seg = r.segments[i]!;
      if (seg.startsWith('{')) params[seg.slice(1, -1)] = decodeURIComponent(parts[i]!);
      else if (seg === parts[i]) score++;
      else {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    pathKnown = true;
    if (r.method !== method) continue;
    if (!best || score > best.score) best = { route: r, params, score };
  }
  if (best)
    return {
      endpoint: `${method} ${best.route.template}`,
      handler: best.route.handler,
      params: best.params,
      methodNotAllowed: false,
    };
  return { endpoint: `${method} (unmatched)`, handler: null, params: {}, methodNotAllowed: pathKnown };
}

function idParam(ctx: HandlerContext, name = 'id'): number {
  const raw = ctx.params[name] ?? '';
  if (!/^\d+$/.test(raw)) throw notFound(`resource with ID ${raw}`);
  return Number(raw);
}

// ---- listing -------------------------------------------------------------------------------------------------------

type Item = Record<string, unknown>;

function intParam(q: URLSearchParams, name: string, dflt: number): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return dflt;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw invalidInput(name, 'must be a positive integer');
  return Number(raw);
}

function sortItems(items: Item[], q: URLSearchParams, sortable: string[]): Item[] {
  const keys = q.getAll('sort');
  if (keys.length === 0) return items;
  const specs = keys.map((k) => {
    const [field = '', dir = 'asc'] = k.split(':');
    if (!sortable.includes(field) || (dir !== 'asc' && dir !== 'desc')) {
      throw invalidInput('sort', `cannot sort by '${k}'; use one of ${sortable.join(', ')} with :asc or :desc`);
    }
    return { field, sign: dir === 'desc' ? -1 : 1 };
  });
  return [...items].sort((a, b) => {
    for (const { field, sign } of specs) {
      const x = a[field] as string | number | null;
      const y = b[field] as string | number | null;
      if (x === y) continue;
      if (x === null) return sign;
      if (y === null) return -sign;
      return (x < y ? -1 : 1) * sign;
    }
    return 0;
  });
}

function filterCommon(items: Item[], q: URLSearchParams): Item[] {
  let out = items;
  const name = q.get('name');
  if (name !== null) out = out.filter((i) => i.name === name);
  const selector = q.get('label_selector');
  if (selector !== null) {
    const terms = parseSelector(selector);
    out = out.filter((i) => matchSelector(terms, (i.labels as Record<string, string>) ?? {}));
  }
  return out;
}

function multi(q: URLSearchParams, name: string): string[] {
  return q
    .getAll(name)
    .flatMap((v) => v.split(','))
    .filter(Boolean);
}

/** Pagination as documented: page from 1, per_page default 25, max 50, meta.pagination plus a Link header. */
function paginate(
  ctx: HandlerContext,
  key: string,
  items: Item[],
  sortable: string[] = ['id', 'name', 'created'],
): HandlerResult {
  const page = intParam(ctx.query, 'page', 1);
  const perPage = intParam(ctx.query, 'per_page', 25);
  if (perPage > 50) throw invalidInput('per_page', 'must be at most 50');
  const sorted = sortItems(items, ctx.query, sortable);
  const total = sorted.length;
  const lastPage = Math.max(1, Math.ceil(total / perPage));
  const slice = sorted.slice((page - 1) * perPage, page * perPage);
  const links: string[] = [];
  const link = (p: number, rel: string) => {
    const q = new URLSearchParams(ctx.query);
    q.set('page', String(p));
    links.push(`<${ctx.baseUrl}?${q.toString()}>; rel="${rel}"`);
  };
  if (page > 1) link(page - 1, 'prev');
  if (page < lastPage) link(page + 1, 'next');
  link(lastPage, 'last');
  return {
    status: 200,
    body: {
      [key]: slice,
      meta: {
        pagination: {
          page,
          per_page: perPage,
          previous_page: page > 1 ? page - 1 : null,
          next_page: page < lastPage ? page + 1 : null,
          last_page: lastPage,
          total_entries: total,
        },
      },
    },
    headers: { Link: links.join(', ') },
  };
}

function actionsFor(ctx: HandlerContext, type: string, id: number): HandlerResult {
  let actions = ctx.state.actions.all().filter((a) => a.resources.some((r) => r.type === type && r.id === id));
  const status = multi(ctx.query, 'status');
  if (status.length > 0) actions = actions.filter((a) => status.includes(a.status));
  return paginate(ctx, 'actions', actions as unknown as Item[], [
    'id',
    'command',
    'status',
    'started',
    'finished',
    'progress',
  ]);
}

function actionById(ctx: HandlerContext, type?: string): HandlerResult {
  const id = idParam(ctx);
  const action = ctx.state.actions.get(id);
  if (!action || (type && !action.resources.some((r) => r.type === type))) throw notFound(`action with ID ${id}`);
  return { status: 200, body: { action } };
}

const ok = (body: unknown): HandlerResult => ({ status: 200, body });
const created = (body: unknown): HandlerResult => ({ status: 201, body });
const noContent = (): HandlerResult => ({ status: 204 });

type Narrow = (items: Item[], q: URLSearchParams) => Item[];

/** A collection's list endpoint: the name and label_selector filters, then the endpoint's own, then pagination. */
function listRoute(path: string, key: string, all: (state: MockState) => Item[], narrow: Narrow = (items) => items) {
  route('GET', path, (ctx) => paginate(ctx, key, narrow(filterCommon(all(ctx.state), ctx.query), ctx.query)));
}

/** The filter `?<param>=v`: items whose field of that name equals v. */
const whereEquals =
  (param: string): Narrow =>
  (items, q) => {
    const v = q.get(param);
    return v === null ? items : items.filter((i) => i[param] === v);
  };

/** The filter `?<param>=a,b` (or repeated): items whose field of that name is one of them. */
const whereIn =
  (param: string): Narrow =>
  (items, q) => {
    const wanted = multi(q, param);
    return wanted.length === 0 ? items : items.filter((i) => wanted.includes(i[param] as string));
  };

/** A DELETE answered with 204 once `remove` (which makes its own checks) has removed the resource. */
function deleteRoute(path: string, remove: (state: MockState, id: number) => void) {
  route('DELETE', path, (ctx) => {
    remove(ctx.state, idParam(ctx));
    return noContent();
  });
}

// ---- servers -------------------------------------------------------------------------------------------------------

listRoute(
  '/servers',
  'servers',
  (state) => [...state.servers.values()].map((s) => state.serverJson(s)),
  whereIn('status'),
);
route('POST', '/servers', (ctx) => created(srv.createServer(ctx.state, ctx.body)));
route('GET', '/servers/{id}', (ctx) => ok({ server: ctx.state.serverJson(ctx.state.server(idParam(ctx))) }));
route('PUT', '/servers/{id}', (ctx) => ok(srv.updateServer(ctx.state, idParam(ctx), ctx.body)));
route('DELETE', '/servers/{id}', (ctx) => ok(srv.deleteServer(ctx.state, idParam(ctx))));
route('GET', '/servers/{id}/actions', (ctx) => {
  const id = idParam(ctx);
  ctx.state.server(id);
  return actionsFor(ctx, 'server', id);
});
route('GET', '/servers/actions/{id}', (ctx) => actionById(ctx, 'server'));
for (const name of [
  'poweron',
  'poweroff',
  'shutdown',
  'reboot',
  'reset',
  'attach_to_network',
  'detach_from_network',
  'change_dns_ptr',
  'add_to_placement_group',
  'remove_from_placement_group',
  'change_protection',
]) {
  route('POST', `/servers/{id}/actions/${name}`, (ctx) =>
    created(serverAction(ctx.state, idParam(ctx), name, ctx.body)),
  );
}

// ---- actions -------------------------------------------------------------------------------------------------------

route('GET', '/actions', (ctx) => {
  const ids = multi(ctx.query, 'id');
  if (ids.length === 0) {
    throw new ApiError(410, 'deprecated_api_endpoint', 'listing all actions is no longer supported, pass id=…', {
      announcement:
        'https://docs.hetzner.cloud/changelog#2025-01-30-listing-arbitrary-actions-in-the-actions-list-endpoint-is-removed',
    });
  }
  let actions = ids.map((i) => ctx.state.actions.get(Number(i))).filter((a) => a !== undefined);
  const status = multi(ctx.query, 'status');
  if (status.length > 0) actions = actions.filter((a) => status.includes(a.status));
  return paginate(ctx, 'actions', actions as unknown as Item[], [
    'id',
    'command',
    'status',
    'started',
    'finished',
    'progress',
  ]);
});
route('GET', '/actions/{id}', (ctx) => actionById(ctx));

// ---- ssh keys ------------------------------------------------------------------------------------------------------

listRoute(
  '/ssh_keys',
  'ssh_keys',
  (state) => [...state.sshKeys.values()].map((k) => state.sshKeyJson(k)),
  whereEquals('fingerprint'),
);
route('POST', '/ssh_keys', (ctx) => created(res.createSshKey(ctx.state, ctx.body)));
route('GET', '/ssh_keys/{id}', (ctx) => ok({ ssh_key: ctx.state.sshKeyJson(res.getSshKey(ctx.state, idParam(ctx))) }));
route('PUT', '/ssh_keys/{id}', (ctx) => ok(res.updateSshKey(ctx.state, idParam(ctx), ctx.body)));
deleteRoute('/ssh_keys/{id}', (state, id) => {
  res.getSshKey(state, id);
  state.sshKeys.delete(id);
});

// ---- firewalls -----------------------------------------------------------------------------------------------------

listRoute('/firewalls', 'firewalls', (state) => [...state.firewalls.values()].map((f) => state.firewallJson(f)));
route('POST', '/firewalls', (ctx) => created(fw.createFirewall(ctx.state, ctx.body)));
route('GET', '/firewalls/{id}', (ctx) =>
  ok({ firewall: ctx.state.firewallJson(fw.getFirewall(ctx.state, idParam(ctx))) }),
);
route('PUT', '/firewalls/{id}', (ctx) => ok(fw.updateFirewall(ctx.state, idParam(ctx), ctx.body)));
deleteRoute('/firewalls/{id}', fw.deleteFirewall);
route('POST', '/firewalls/{id}/actions/set_rules', (ctx) => created(fw.setRules(ctx.state, idParam(ctx), ctx.body)));
route('POST', '/firewalls/{id}/actions/apply_to_resources', (ctx) =>
  created(fw.applyToResources(ctx.state, idParam(ctx), ctx.body)),
);
route('POST', '/firewalls/{id}/actions/remove_from_resources', (ctx) =>
  created(fw.removeFromResources(ctx.state, idParam(ctx), ctx.body)),
);
route('GET', '/firewalls/{id}/actions', (ctx) => {
  const id = idParam(ctx);
  fw.getFirewall(ctx.state, id);
  return actionsFor(ctx, 'firewall', id);
});
route('GET', '/firewalls/actions/{id}', (ctx) => actionById(ctx, 'firewall'));

// ---- networks ------------------------------------------------------------------------------------------------------

listRoute('/networks', 'networks', (state) => [...state.networks.values()].map((n) => state.networkJson(n)));
route('POST', '/networks', (ctx) => created(res.createNetwork(ctx.state, ctx.body)));
route('GET', '/networks/{id}', (ctx) =>
  ok({ network: ctx.state.networkJson(res.getNetwork(ctx.state, idParam(ctx))) }),
);
route('PUT', '/networks/{id}', (ctx) => ok(res.updateNetwork(ctx.state, idParam(ctx), ctx.body)));
deleteRoute('/networks/{id}', res.deleteNetwork);
route('GET', '/networks/{id}/actions', (ctx) => {
  const id = idParam(ctx);
  res.getNetwork(ctx.state, id);
  return actionsFor(ctx, 'network', id);
});
route('GET', '/networks/actions/{id}', (ctx) => actionById(ctx, 'network'));
for (const name of nets.NETWORK_ACTIONS) {
  route('POST', `/networks/{id}/actions/${name}`, (ctx) =>
    created(nets.networkAction(ctx.state, idParam(ctx), name, ctx.body)),
  );
}

// ---- placement groups ----------------------------------------------------------------------------------------------

listRoute(
  '/placement_groups',
  'placement_groups',
  (state) => [...state.placementGroups.values()].map((p) => state.placementGroupJson(p)),
  whereEquals('type'),
);
route('POST', '/placement_groups', (ctx) => created(res.createPlacementGroup(ctx.state, ctx.body)));
route('GET', '/placement_groups/{id}', (ctx) =>
  ok({ placement_group: ctx.state.placementGroupJson(res.getPlacementGroup(ctx.state, idParam(ctx))) }),
);
route('PUT', '/placement_groups/{id}', (ctx) => ok(res.updatePlacementGroup(ctx.state, idParam(ctx), ctx.body)));
deleteRoute('/placement_groups/{id}', res.deletePlacementGroup);

// ---- primary IPs ---------------------------------------------------------------------------------------------------

listRoute(
  '/primary_ips',
  'primary_ips',
  (state) => [...state.primaryIps.values()].map((p) => state.primaryIpJson(p)),
  whereEquals('ip'),
);
route('POST', '/primary_ips', (ctx) => created(res.createPrimaryIpFromRequest(ctx.state, ctx.body)));
route('GET', '/primary_ips/{id}', (ctx) =>
  ok({ primary_ip: ctx.state.primaryIpJson(res.getPrimaryIp(ctx.state, idParam(ctx))) }),
);
route('PUT', '/primary_ips/{id}', (ctx) => ok(res.updatePrimaryIp(ctx.state, idParam(ctx), ctx.body)));
deleteRoute('/primary_ips/{id}', res.deletePrimaryIp);

// ---- volumes -------------------------------------------------------------------------------------------------------

listRoute(
  '/volumes',
  'volumes',
  (state) => [...state.volumes.values()].map((v) => state.volumeJson(v)),
  whereIn('status'),
);
route('POST', '/volumes', (ctx) => created(vol.createVolume(ctx.state, ctx.body)));
route('GET', '/volumes/{id}', (ctx) => ok({ volume: ctx.state.volumeJson(vol.getVolume(ctx.state, idParam(ctx))) }));
route('PUT', '/volumes/{id}', (ctx) => ok(vol.updateVolume(ctx.state, idParam(ctx), ctx.body)));
deleteRoute('/volumes/{id}', vol.deleteVolume);
route('GET', '/volumes/{id}/actions', (ctx) => {
  const id = idParam(ctx);
  vol.getVolume(ctx.state, id);
  return actionsFor(ctx, 'volume', id);
});
route('GET', '/volumes/actions/{id}', (ctx) => actionById(ctx, 'volume'));
for (const name of vol.VOLUME_ACTIONS) {
  route('POST', `/volumes/{id}/actions/${name}`, (ctx) =>
    created(vol.volumeAction(ctx.state, idParam(ctx), name, ctx.body)),
  );
}

// ---- datacenters ---------------------------------------------------------------------------------------------------

// Datacenters were phased out (reference: "Date caveat"); the endpoints answer 410 like other removed API features.
const datacentersGone = (): HandlerResult => {
  throw new ApiError(410, 'deprecated_api_endpoint', 'datacenters were removed from the API, use locations instead', {
    announcement: 'https://docs.hetzner.cloud/changelog#2025-12-16-phasing-out-datacenters',
  });
};
route('GET', '/datacenters', datacentersGone);
route('GET', '/datacenters/{id}', datacentersGone);

// ---- catalogue -----------------------------------------------------------------------------------------------------

listRoute(
  '/images',
  'images',
  (state) => structuredClone([...state.images.values()]) as unknown as Item[],
  (all, q) => {
    let items = whereIn('architecture')(whereIn('status')(whereIn('type')(all, q), q), q);
    if (q.get('include_deprecated') !== 'true') items = items.filter((i) => i.deprecated === null);
    const boundTo = multi(q, 'bound_to');
    if (boundTo.length > 0) items = items.filter((i) => boundTo.includes(String(i.bound_to)));
    return items;
  },
);
route('GET', '/images/{id}', (ctx) =>
  ok({ image: structuredClone(byIdOr404(ctx.state.images, idParam(ctx), 'image')) }),
);
listRoute(
  '/server_types',
  'server_types',
  (state) => structuredClone([...state.serverTypes.values()]) as unknown as Item[],
);
route('GET', '/server_types/{id}', (ctx) =>
  ok({ server_type: structuredClone(byIdOr404(ctx.state.serverTypes, idParam(ctx), 'server type')) }),
);
listRoute('/locations', 'locations', (state) => structuredClone([...state.locations.values()]) as unknown as Item[]);
route('GET', '/locations/{id}', (ctx) =>
  ok({ location: { ...byIdOr404(ctx.state.locations, idParam(ctx), 'location') } }),
);

/** Every templated endpoint the mock serves, e.g. `POST /servers/{id}/actions/poweron`. */
export function listEndpoints(): string[] {
  return routes.map((r) => `${r.method} ${r.template}`);
}
