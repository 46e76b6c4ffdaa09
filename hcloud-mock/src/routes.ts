import { matchSelector, parseSelector } from './labels';
import * as fw from './ops/firewalls';
import * as res from './ops/resources';
import * as srv from './ops/servers';
import type { MockState } from './state';
import { ApiError, invalidInput, notFound } from './util';

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

// ---- servers -------------------------------------------------------------------------------------------------------

route('GET', '/servers', (ctx) => {
  let items = [...ctx.state.servers.values()].map((s) => ctx.state.serverJson(s));
  items = filterCommon(items, ctx.query);
  const status = multi(ctx.query, 'status');
  if (status.length > 0) items = items.filter((s) => status.includes(s.status as string));
  return paginate(ctx, 'servers', items);
});
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
]) {
  route('POST', `/servers/{id}/actions/${name}`, (ctx) =>
    created(srv.serverAction(ctx.state, idParam(ctx), name, ctx.body)),
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

route('GET', '/ssh_keys', (ctx) => {
  let items = filterCommon(
    [...ctx.state.sshKeys.values()].map((k) => ctx.state.sshKeyJson(k)),
    ctx.query,
  );
  const fp = ctx.query.get('fingerprint');
  if (fp !== null) items = items.filter((k) => k.fingerprint === fp);
  return paginate(ctx, 'ssh_keys', items);
});
route('POST', '/ssh_keys', (ctx) => created(res.createSshKey(ctx.state, ctx.body)));
route('GET', '/ssh_keys/{id}', (ctx) => ok({ ssh_key: ctx.state.sshKeyJson(res.getSshKey(ctx.state, idParam(ctx))) }));
route('PUT', '/ssh_keys/{id}', (ctx) => ok(res.updateSshKey(ctx.state, idParam(ctx), ctx.body)));
route('DELETE', '/ssh_keys/{id}', (ctx) => {
  const id = idParam(ctx);
  res.getSshKey(ctx.state, id);
  ctx.state.sshKeys.delete(id);
  return noContent();
});

// ---- firewalls -----------------------------------------------------------------------------------------------------

route('GET', '/firewalls', (ctx) =>
  paginate(
    ctx,
    'firewalls',
    filterCommon(
      [...ctx.state.firewalls.values()].map((f) => ctx.state.firewallJson(f)),
      ctx.query,
    ),
  ),
);
route('POST', '/firewalls', (ctx) => created(fw.createFirewall(ctx.state, ctx.body)));
route('GET', '/firewalls/{id}', (ctx) =>
  ok({ firewall: ctx.state.firewallJson(fw.getFirewall(ctx.state, idParam(ctx))) }),
);
route('PUT', '/firewalls/{id}', (ctx) => ok(fw.updateFirewall(ctx.state, idParam(ctx), ctx.body)));
route('DELETE', '/firewalls/{id}', (ctx) => {
  fw.deleteFirewall(ctx.state, idParam(ctx));
  return noContent();
});
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

route('GET', '/networks', (ctx) =>
  paginate(
    ctx,
    'networks',
    filterCommon(
      [...ctx.state.networks.values()].map((n) => ctx.state.networkJson(n)),
      ctx.query,
    ),
  ),
);
route('POST', '/networks', (ctx) => created(res.createNetwork(ctx.state, ctx.body)));
route('GET', '/networks/{id}', (ctx) =>
  ok({ network: ctx.state.networkJson(res.getNetwork(ctx.state, idParam(ctx))) }),
);
route('PUT', '/networks/{id}', (ctx) => ok(res.updateNetwork(ctx.state, idParam(ctx), ctx.body)));
route('DELETE', '/networks/{id}', (ctx) => {
  res.deleteNetwork(ctx.state, idParam(ctx));
  return noContent();
});
route('GET', '/networks/{id}/actions', (ctx) => {
  const id = idParam(ctx);
  res.getNetwork(ctx.state, id);
  return actionsFor(ctx, 'network', id);
});

// ---- placement groups ----------------------------------------------------------------------------------------------

route('GET', '/placement_groups', (ctx) => {
  let items = filterCommon(
    [...ctx.state.placementGroups.values()].map((p) => ctx.state.placementGroupJson(p)),
    ctx.query,
  );
  const type = ctx.query.get('type');
  if (type !== null) items = items.filter((p) => p.type === type);
  return paginate(ctx, 'placement_groups', items);
});
route('POST', '/placement_groups', (ctx) => created(res.createPlacementGroup(ctx.state, ctx.body)));
route('GET', '/placement_groups/{id}', (ctx) =>
  ok({ placement_group: ctx.state.placementGroupJson(res.getPlacementGroup(ctx.state, idParam(ctx))) }),
);
route('PUT', '/placement_groups/{id}', (ctx) => ok(res.updatePlacementGroup(ctx.state, idParam(ctx), ctx.body)));
route('DELETE', '/placement_groups/{id}', (ctx) => {
  res.deletePlacementGroup(ctx.state, idParam(ctx));
  return noContent();
});

// ---- primary IPs ---------------------------------------------------------------------------------------------------

route('GET', '/primary_ips', (ctx) => {
  let items = filterCommon(
    [...ctx.state.primaryIps.values()].map((p) => ctx.state.primaryIpJson(p)),
    ctx.query,
  );
  const ip = ctx.query.get('ip');
  if (ip !== null) items = items.filter((p) => p.ip === ip);
  return paginate(ctx, 'primary_ips', items);
});
route('POST', '/primary_ips', (ctx) => created(res.createPrimaryIpFromRequest(ctx.state, ctx.body)));
route('GET', '/primary_ips/{id}', (ctx) =>
  ok({ primary_ip: ctx.state.primaryIpJson(res.getPrimaryIp(ctx.state, idParam(ctx))) }),
);
route('PUT', '/primary_ips/{id}', (ctx) => ok(res.updatePrimaryIp(ctx.state, idParam(ctx), ctx.body)));
route('DELETE', '/primary_ips/{id}', (ctx) => {
  res.deletePrimaryIp(ctx.state, idParam(ctx));
  return noContent();
});

// ---- volumes (read-only for now) -----------------------------------------------------------------------------------

route('GET', '/volumes', (ctx) => {
  let items = filterCommon(
    [...ctx.state.volumes.values()].map((v) => ctx.state.volumeJson(v)),
    ctx.query,
  );
  const status = multi(ctx.query, 'status');
  if (status.length > 0) items = items.filter((v) => status.includes(v.status as string));
  return paginate(ctx, 'volumes', items);
});
route('GET', '/volumes/{id}', (ctx) => {
  const id = idParam(ctx);
  const v = ctx.state.volumes.get(id);
  if (!v) throw notFound(`volume with ID ${id}`);
  return ok({ volume: ctx.state.volumeJson(v) });
});

// ---- catalogue -----------------------------------------------------------------------------------------------------

route('GET', '/images', (ctx) => {
  const q = ctx.query;
  let items = filterCommon([...ctx.state.images.values()] as unknown as Item[], q);
  const types = multi(q, 'type');
  if (types.length > 0) items = items.filter((i) => types.includes(i.type as string));
  const status = multi(q, 'status');
  if (status.length > 0) items = items.filter((i) => status.includes(i.status as string));
  const arch = multi(q, 'architecture');
  if (arch.length > 0) items = items.filter((i) => arch.includes(i.architecture as string));
  if (q.get('include_deprecated') !== 'true') items = items.filter((i) => i.deprecated === null);
  const boundTo = multi(q, 'bound_to');
  if (boundTo.length > 0) items = items.filter((i) => boundTo.includes(String(i.bound_to)));
  return paginate(ctx, 'images', structuredClone(items));
});
route('GET', '/images/{id}', (ctx) => {
  const id = idParam(ctx);
  const image = ctx.state.images.get(id);
  if (!image) throw notFound(`image with ID ${id}`);
  return ok({ image: structuredClone(image) });
});
route('GET', '/server_types', (ctx) =>
  paginate(
    ctx,
    'server_types',
    filterCommon(structuredClone([...ctx.state.serverTypes.values()]) as unknown as Item[], ctx.query),
  ),
);
route('GET', '/server_types/{id}', (ctx) => {
  const id = idParam(ctx);
  const t = ctx.state.serverTypes.get(id);
  if (!t) throw notFound(`server type with ID ${id}`);
  return ok({ server_type: structuredClone(t) });
});
route('GET', '/locations', (ctx) =>
  paginate(
    ctx,
    'locations',
    filterCommon(structuredClone([...ctx.state.locations.values()]) as unknown as Item[], ctx.query),
  ),
);
route('GET', '/locations/{id}', (ctx) => {
  const id = idParam(ctx);
  const l = ctx.state.locations.get(id);
  if (!l) throw notFound(`location with ID ${id}`);
  return ok({ location: { ...l } });
});

/** Every templated endpoint the mock serves, e.g. `POST /servers/{id}/actions/poweron`. */
export function listEndpoints(): string[] {
  return routes.map((r) => `${r.method} ${r.template}`);
}
