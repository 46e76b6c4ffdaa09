// A real Vuex store with the extension's "hetzner" module and a `management/request` action backed by the fake
// proxy — the same dispatch path the Dashboard uses.
import { createStore, type Module } from 'vuex';
import hetznerStore, { type HetznerState } from '../../pkg/hetzner-node-driver/store/hetzner';
import { catalog, type FakeData } from '../fixtures/catalog';
import { createFakeProxy, type FakeProxyOptions } from '../fixtures/fake-proxy';
import { messages, t } from './i18n';

export function makeStore(opts: Partial<FakeProxyOptions> & { data?: FakeData } = {}) {
  const proxy = createFakeProxy({ data: opts.data ?? catalog(), ...opts });
  const store = createStore({
    modules: {
      hetzner:    hetznerStore as unknown as Module<HetznerState, unknown>,
      management: {
        namespaced: true,
        actions:    { request: (_ctx: unknown, opt: Parameters<typeof proxy.request>[0]) => proxy.request(opt) },
      },
    },
    getters: {
      // The host's getter formats without escaping; the global t() escapes on top of it unless asked raw.
      'i18n/t':      () => (key: string, args?: Record<string, unknown>) => (key in messages ? t(key, args, true) : undefined),
      'i18n/exists': () => (key: string) => key in messages,
      'prefs/get':   () => () => undefined,
    },
  });

  return { store, proxy };
}
