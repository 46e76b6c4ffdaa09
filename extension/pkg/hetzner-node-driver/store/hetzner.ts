// Vuex module "hetzner": every Hetzner Cloud API call the forms make, through Rancher's /meta/proxy. Lists follow
// meta.pagination.next_page to the end at the API's maximum page size and are cached per credential, so switching
// pools or re-opening the form does not spend the project's hourly request budget again.
import { DEFAULT_API_PROXY_PREFIX } from '../lib/endpoint';
import { describeProxyError, type ProxyError } from '../lib/errors';
import type { Pagination, ResourceName, ResourceTypes } from '../lib/hcloud';

export const PROXY_PREFIX = DEFAULT_API_PROXY_PREFIX;
export const PAGE_SIZE = 50;
/** 200 pages × 50 items is far beyond any project's catalogue; the bound only stops a proxy that loops. */
export const MAX_PAGES = 200;

/** A failed call, already translated to an l10n key (hetzner.errors.*) the form can show. */
export class HetznerRequestError extends Error {
  readonly detail: ProxyError;

  constructor(detail: ProxyError) {
    super(`Hetzner Cloud request failed: ${ detail.code ?? detail.status ?? detail.key }`);
    this.name = 'HetznerRequestError';
    this.detail = detail;
  }
}

/** Which secret to sign with: a saved cloud credential (by ID), or a raw token while the credential is being made. */
export type Auth = { credentialId: string; token?: undefined } | { token: string; credentialId?: undefined };

export interface RequestArgs {
  auth: Auth;
  path: string;
  query?: Record<string, string | number | boolean | (string | number)[]>;
  method?: 'GET' | 'POST';
  data?: unknown;
}

export interface ListArgs<R extends ResourceName> {
  credentialId: string;
  resource: R;
  query?: Record<string, string | number | boolean>;
  /** Skip the cache (the "refresh" button). */
  force?: boolean;
}

export interface TokenCheck {
  valid: boolean;
  readOnly: boolean;
  error?: ProxyError;
}

export interface HetznerState {
  cache: Record<string, Record<string, unknown[]>>;
}

interface Ctx {
  state: HetznerState;
  getters: { fromCache: (credentialId: string, key: string) => unknown[] | undefined };
  commit: (type: string, payload?: unknown) => void;
  dispatch: (type: string, payload?: unknown, options?: { root: boolean }) => Promise<unknown>;
}

export function authHeaders(auth: Auth): Record<string, string> {
  if (auth.credentialId) {
    // Rancher's proxy strips the "<driver>credentialConfig-" prefix from the secret's keys.
    return { 'x-api-cattleauth-header': `Bearer credID=${ auth.credentialId } passwordField=apiToken` };
  }

  return { 'x-api-auth-header': `Bearer ${ auth.token ?? '' }` };
}

export function buildUrl(path: string, query: RequestArgs['query'] = {}): string {
  const params = new URLSearchParams();

  for (const [k, v] of Object.entries(query)) {
    for (const item of Array.isArray(v) ? v : [v]) params.append(k, String(item));
  }
  const qs = params.toString();

  return `${ PROXY_PREFIX }/${ path.replace(/^\/+/, '') }${ qs ? `?${ qs }` : '' }`;
}

export function cacheKey(resource: string, query: Record<string, unknown> = {}): string {
  const keys = Object.keys(query).sort();

  return keys.length ? `${ resource }?${ keys.map((k) => `${ k }=${ String(query[k]) }`).join('&') }` : resource;
}

/** Loads under way, per store (keyed by its module state) so that separate stores never share one. */
const pendingLoads = new WeakMap<object, Map<string, Promise<unknown[]>>>();

function pendingOf(state: HetznerState): Map<string, Promise<unknown[]>> {
  let map = pendingLoads.get(state);

  if (!map) pendingLoads.set(state, (map = new Map()));

  return map;
}

async function fetchAll(
  dispatch: Ctx['dispatch'],
  credentialId: string,
  resource: ResourceName,
  query: Record<string, string | number | boolean>,
): Promise<unknown[]> {
  const items: unknown[] = [];
  let page: number | null = 1;

  for (let n = 0; page && n < MAX_PAGES; n++) {
    const body = (await dispatch('request', {
      auth:  { credentialId },
      path:  resource,
      query: {
        ...query, page, per_page: PAGE_SIZE
      },
    })) as Record<string, unknown> & { meta?: { pagination?: Pagination } };
    const chunk = body[resource];

    if (!Array.isArray(chunk)) {
      throw new HetznerRequestError({ key: 'shape', args: { resource } });
    }
    items.push(...chunk);
    const next: number | null | undefined = body.meta?.pagination?.next_page;

    // A next page that does not move forward would loop; treat it as the end.
    page = next && next > page ? next : null;
  }

  return items;
}

const hetznerStore = {
  namespaced: true,

  state: (): HetznerState => ({ cache: {} }),

  getters: { fromCache: (state: HetznerState) => (credentialId: string, key: string) => state.cache[credentialId]?.[key] },

  mutations: {
    setCache(state: HetznerState, { credentialId, key, items }: { credentialId: string; key: string; items: unknown[] }) {
      state.cache = { ...state.cache, [credentialId]: { ...state.cache[credentialId], [key]: items } };
    },
    clearCache(state: HetznerState, credentialId?: string) {
      if (credentialId === undefined) {
        state.cache = {};
      } else {
        const { [credentialId]: _dropped, ...rest } = state.cache;

        state.cache = rest;
      }
    },
  },

  actions: {
    /** One proxied call. Rejects with HetznerRequestError; never logs (headers carry the secret). */
    async request({ dispatch }: Ctx, {
      auth, path, query, method = 'GET', data
    }: RequestArgs): Promise<unknown> {
      const headers: Record<string, string> = { Accept: 'application/json', ...authHeaders(auth) };

      if (data !== undefined) headers['Content-Type'] = 'application/json';
      try {
        return await dispatch(
          'management/request',
          {
            url: buildUrl(path, query), method, headers, data, redirectUnauthorized: false
          },
          { root: true },
        );
      } catch (e) {
        throw new HetznerRequestError(describeProxyError(e));
      }
    },

    /**
     * Every item of a list endpoint, page by page (50 per page) until `next_page` is null. Callers asking for the
     * same list while it loads (the pools of a cluster mount together) share that load.
     */
    async list<R extends ResourceName>(
      {
        state, dispatch, getters, commit
      }: Ctx,
      {
        credentialId, resource, query = {}, force = false
      }: ListArgs<R>,
    ): Promise<ResourceTypes[R][]> {
      const key = cacheKey(resource, query);
      const pending = pendingOf(state);
      const pendingKey = JSON.stringify([credentialId, key]);

      if (!force) {
        const cached = getters.fromCache(credentialId, key) ?? pending.get(pendingKey);

        if (cached) return cached as ResourceTypes[R][] | Promise<ResourceTypes[R][]>;
      }
      const load = fetchAll(dispatch, credentialId, resource, query);

      pending.set(pendingKey, load);
      try {
        const items = await load;

        commit('setCache', {
          credentialId, key, items
        });

        return items as ResourceTypes[R][];
      } finally {
        // A later (forced) load may have taken the slot; leave that one in place.
        if (pending.get(pendingKey) === load) pending.delete(pendingKey);
      }
    },

    /**
     * Checks a raw token before the credential exists: a cheap read proves it is valid, then a create with an
     * empty body (refused by validation for a read-write token, by `token_readonly` for a read-only one, and never
     * creating anything) tells whether the driver will be able to create servers with it.
     */
    async testToken({ dispatch }: Ctx, { token }: { token: string }): Promise<TokenCheck> {
      const auth: Auth = { token };

      try {
        await dispatch('request', {
          auth, path: 'locations', query: { per_page: 1 }
        });
      } catch (e) {
        return {
          valid: false, readOnly: false, error: (e as HetznerRequestError).detail
        };
      }
      try {
        await dispatch('request', {
          auth, path: 'ssh_keys', method: 'POST', data: {}
        });
      } catch (e) {
        const detail = (e as HetznerRequestError).detail;

        if (detail?.code === 'token_readonly') {
          return {
            valid: true, readOnly: true, error: detail
          };
        }
      }

      return { valid: true, readOnly: false };
    },

    onLogout({ commit }: Ctx) {
      commit('clearCache');
    },
  },
};

export default hetznerStore;
