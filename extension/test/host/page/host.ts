// The host side of the host test: what a Rancher Dashboard of one line provides to a UI extension, built once as an
// IIFE against window.Vue / window.Vuex (the line's own builds, loaded before this script) so the same host runs
// under every line's Vue. It is our code, modelled on rancher/dashboard at each line's tag:
//   - shell/core/plugins-loader.js: window.Vue, window.__jsyaml, … for externalised libraries
//   - shell/core/plugins.js loadAsync(): a script tag with id `<name>-<version>`, then window[id].default(plugin),
//     then applyPlugin() (types, l10n, stores) — and shell/core/plugin.ts register() for the per-plugin registry
//   - shell/store/type-map.js loadExtension(): defineAsyncComponent(getDynamic(kind, name))
//   - shell/store/i18n.js t / mergeLoad, shell/plugins/i18n.js (used as is: t() escapes unless raw)
//   - tabs/MachinePool.vue and rke2.vue (props, listeners, test(), handleMachinePoolError), edit/cloudcredential.vue
//   - rke2.vue on create: the provider's provisioner (getDynamic('provisioner', provider), constructed with the line's
//     context) and its registerSaveHooks, the CLUSTER_CREATE_RKE2 extension tabs (shell/core/plugin.ts addTab,
//     plugin-helpers.ts route binding) rendered with `resource`, and the save: before-hooks by priority with the page
//     as `this` (mixins/child-hook.js), the cluster object as POSTed, then the after-hooks
// The real shell modules used at run time (fetch mixin, i18n plugin, directives, CodeMirror loader) come from
// @rancher/shell in extension/node_modules.
import {
  createApp, defineAsyncComponent, defineComponent, h, KeepAlive, reactive, markRaw, type Component
} from 'vue';
import { createStore } from 'vuex';
import vSelect from 'vue-select';
import { InstallCodeMirror } from 'codemirror-editor-vue3';
import jsyaml from 'js-yaml';
import IntlMessageFormat from 'intl-messageformat';
import merge from 'lodash/merge';
import get from 'lodash/get';
import fetchMixin from '@shell/mixins/fetch.client.js';
import i18n from '@shell/plugins/i18n';
import cleanHtmlDirective from '@shell/directives/clean-html';
import cleanTooltipDirective from '@shell/directives/clean-tooltip';
import trimWhitespaceDirective from '@shell/directives/trim-whitespace';
import focusDirective from '@shell/directives/focus';
import htmlStrippedAriaLabelDirective from '@shell/directives/strip-html-aria-label';
import '@shell/plugins/codemirror-loader';
import '@shell/assets/styles/app.scss';
import shellEnUs from '@shell/assets/translations/en-us.yaml?raw';
import { LINES } from '../lines.mjs';

type Dict = Record<string, unknown>;
type Line = (typeof LINES)[number];
/** What the host gives every component (the store, and shell's i18n plugin's t()). */
interface HostVm {
  $store: { getters: Record<string, (...args: unknown[]) => Component | null> };
  t(key: string, args?: Dict, raw?: boolean): string;
}
const vm = (c: unknown) => c as HostVm;

const LOCALE = 'en-us';
const CREDENTIAL_ID = 'cattle-global-data:cc-harness';
/** The API token in the harness credential's Secret, which must never reach the cluster object. */
const CLUSTER_TOKEN = 'harness-cluster-token-Wq7Rb2xY9kLm4Np8Tz3Vc6Hd1Fg5Js0Ae2Ui7Oy4Kx9Bn3Mv8Ct6Lp1Qr5Sz0Dw';
/** The create page's route (pages/c/_cluster/_product/_resource/create.vue) for a Hetzner cluster. */
const CREATE_ROUTE = {
  name:   'c-cluster-product-resource-create',
  params: {
    cluster: '_', product: 'manager', resource: 'provisioning.cattle.io.cluster'
  },
  query: { type: 'hetzner' },
  hash:  '',
  path:  '/c/_/manager/provisioning.cattle.io.cluster/create',
};

/** Everything the runner reads back. */
const record = reactive({
  errors:       [] as string[],
  events:       [] as { from: string; name: string; args: unknown[] }[],
  hostErrors:   [] as string[],
  poolValid:    null as boolean | null,
  credValid:    null as boolean | null,
  credential:   {} as Record<string, string>,
  /** The cluster as the create page POSTed it, and the kube objects saved through the store (type ns/name). */
  savedCluster: null as Dict | null,
  kubeWrites:   [] as string[],
});

function recordError(where: string, e: unknown) {
  record.errors.push(`${ where }: ${ e instanceof Error ? `${ e.name }: ${ e.message }` : String(e) }`);
}

// ---------------------------------------------------------------------------------------------------------------
// The extension registry (shell/core/plugin.ts Plugin + shell/core/plugins.js dynamic map)

const dynamic: Record<string, Record<string, unknown>> = {};

function registerDynamic(type: string, name: string, fn: unknown) {
  dynamic[type] ??= {};
  if (type === 'l10n') {
    ((dynamic[type][name] ??= []) as unknown[]).push(fn);
  } else {
    dynamic[type][name] = fn;
  }
}

class Plugin {
  id: string;
  name: string;
  types: Record<string, Record<string, unknown>> = {};
  l10n: Record<string, unknown[]> = {};
  stores: { storeName: string; register: () => (store: unknown) => void; unregister: (store: unknown) => void }[] = [];
  uiConfig: Record<string, Record<string, Dict[]>> = {};
  _metadata: Dict = {};

  constructor(id: string) {
    this.id = id;
    this.name = id;
  }

  get metadata() {
    return this._metadata;
  }

  set metadata(value: Dict) {
    this._metadata = value;
    this.name = (value.name as string) || this.id;
  }

  addStore(storeName: string, register: Plugin['stores'][number]['register'], unregister: Plugin['stores'][number]['unregister']) {
    this.stores.push({
      storeName, register, unregister
    });
  }

  /** shell/core/plugin.ts addTab → _addUIConfig: a string `when` is a resource; the component becomes async. */
  addTab(where: string, when: Dict | string, tab: Dict) {
    const locationConfig = typeof when === 'string' ? { resource: when } : when;
    const component = tab.component ? markRaw(defineAsyncComponent(tab.component as () => Promise<Component>)) : undefined;

    ((this.uiConfig.tab ??= {})[where] ??= []).push({
      ...tab, component, locationConfig
    });
  }

  addL10n(locale: string, fn: unknown) {
    this.register('l10n', locale, fn);
  }

  register(type: string, name: string, fn: unknown) {
    const parts = name.split('/');

    if (parts.length === 2 && !['models', 'image'].includes(type)) {
      if (parts[1] !== 'index') return;
      name = parts[0];
    }
    if (type === 'l10n') {
      (this.l10n[name] ??= []).push(fn);
    } else {
      (this.types[type] ??= {})[name] = fn;
    }
  }
}

/** Extension tabs by location, from every loaded plugin (shell/core/plugins.js uiConfig). */
const uiTabs: Record<string, Dict[]> = {};

/** shell/core/plugin-helpers.ts checkExtensionRouteBinding, for the params the create page has. */
function routeMatches(route: typeof CREATE_ROUTE, config: Dict): boolean {
  for (const [param, wanted] of Object.entries(config)) {
    const options = (Array.isArray(wanted) ? wanted : [wanted]) as unknown[];
    const ok = options.some((w) => {
      if (param === 'mode') return w === 'create' && route.name.endsWith('-create');
      if (param === 'resource') return w === '*' || w === route.params.resource;
      if (param === 'queryParam') return JSON.stringify(w) === JSON.stringify(route.query);
      if (param === 'context') return false;

      return (route.params as Record<string, string>)[param] === w;
    });

    if (!ok) return false;
  }

  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// The store

const intlCache: Record<string, IntlMessageFormat | string> = {};

function createHostStore(line: Line) {
  const i18nModule = {
    namespaced: true,
    state:      () => ({
      selected: LOCALE, default: LOCALE, translations: { [LOCALE]: jsyaml.load(shellEnUs) as Dict } as Record<string, Dict>
    }),
    getters: {
      // As shell/store/i18n.js: IntlMessageFormat for messages with `{`, plain strings otherwise, undefined if absent.
      t: (state: { translations: Record<string, Dict> }) => (key: string, args?: Dict) => {
        const cacheKey = `${ LOCALE }/${ key }`;
        let formatter = intlCache[cacheKey];

        if (!formatter) {
          // shell's get() reads quoted path segments (cluster.provider."hetzner").
          const msg = get(state.translations[LOCALE], key.replace(/"/g, ''));

          if (msg === undefined) return undefined;
          if (typeof msg === 'object') return undefined;
          formatter = String(msg).includes('{') ? new IntlMessageFormat(String(msg), LOCALE) : String(msg);
          intlCache[cacheKey] = formatter;
        }
        if (typeof formatter === 'string') return formatter;

        return formatter.format({
          vendor: 'Rancher', appName: 'Rancher', docsBase: 'https://ranchermanager.docs.rancher.com', ...args
        });
      },
      exists:       (state: { translations: Record<string, Dict> }) => (key: string) => get(state.translations[LOCALE], key.replace(/"/g, '')) !== undefined,
      withFallback: (_s: unknown, getters: { exists: (k: string) => boolean; t: (k: string, a?: Dict) => string }) => (key: string, args: Dict | null, fallback: string) => (getters.exists(key) ? getters.t(key, args ?? {}) : fallback),
    },
    mutations: {
      mergeLoadTranslations(state: { translations: Record<string, Dict> }, { locale, translations }: { locale: string; translations: Dict }) {
        merge(state.translations[locale], translations);
        for (const k of Object.keys(intlCache)) delete intlCache[k];
      },
    },
    actions: {
      async mergeLoad({ commit }: { commit: (t: string, p: unknown) => void }, { locale, module }: { locale: string; module: unknown }) {
        const loaded = (await (typeof module === 'function' ? module() : module)) as Dict;

        commit('mergeLoadTranslations', { locale, translations: (loaded.default ?? loaded) as Dict });
      },
    },
  };

  // shell's management/request resolves with the parsed body and rejects with it (plus _status) on HTTP errors.
  async function request(_ctx: unknown, opt: { url: string; method?: string; headers?: Record<string, string>; data?: unknown }) {
    const res = await fetch(opt.url, {
      method: opt.method ?? 'GET', headers: opt.headers, body: opt.data === undefined ? undefined : JSON.stringify(opt.data),
    });
    const text = await res.text();
    let body: Dict;

    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { data: text };
    }
    Object.defineProperty(body, '_status', { value: res.status, enumerable: false });
    if (!res.ok) throw body;

    return body;
  }

  // Kube objects behind management/find and management/create (steve models with save()): the credential's Secret as
  // Rancher stores it, plus whatever the extension saves.
  const kube: Record<string, Dict> = {
    [`secret/${ CREDENTIAL_ID.replace(':', '/') }`]: {
      metadata: { name: 'cc-harness', namespace: 'cattle-global-data' },
      _type:    'Opaque',
      data:     { 'hetznercredentialConfig-apiToken': btoa(CLUSTER_TOKEN), 'hetznercredentialConfig-apiEndpoint': '' },
    },
  };
  const model = (type: string, obj: Dict) => ({
    ...JSON.parse(JSON.stringify(obj)),
    type,
    async save(this: Dict) {
      const { save: _save, ...plain } = this;
      const meta = plain.metadata as { name: string; namespace: string; uid?: string };

      meta.uid ??= `uid-${ meta.name }`;
      kube[`${ type }/${ meta.namespace }/${ meta.name }`] = JSON.parse(JSON.stringify(plain));
      record.kubeWrites.push(`${ type } ${ meta.namespace }/${ meta.name }`);

      return this;
    },
  });
  const notFound = () => Object.defineProperty({ message: 'Not Found' }, '_status', { value: 404 });

  (window as unknown as Dict).__kube = kube;

  const loadExtension = (kind: string, key: string) => {
    const ext = dynamic[kind]?.[key];

    return typeof ext === 'function' ? markRaw(defineAsyncComponent(ext as () => Promise<Component>)) : null;
  };

  return createStore({
    modules: {
      i18n:       i18nModule as never,
      management: {
        namespaced: true,
        actions:    {
          request,
          find: (_ctx: unknown, { type, id }: { type: string; id: string }) => {
            const obj = kube[`${ type }/${ id }`];

            if (!obj) throw notFound();

            return model(type, obj);
          },
          create: (_ctx: unknown, data: Dict) => model(String(data.type), data),
        },
      },
      // shell/store/features.js get(): lines from 2.13 know cluster-autoscaling (on here, as an admin would turn it
      // on to use Rancher's autoscaler); every line throws for a feature it does not know.
      features: {
        namespaced: true,
        getters:    {
          get: () => (name: string) => {
            if (name !== 'cluster-autoscaling' || !line.autoscaling) throw new Error(`Unknown feature: ${ name }`);

            return true;
          },
        },
      },
      // shell/store/prefs.js defaults for the preferences shell's components read (CodeMirror: keymap).
      prefs:      { namespaced: true, getters: { get: () => (key: string) => ({ keymap: 'sublime', theme: 'light' } as Dict)[key] } },
      'type-map': {
        namespaced: true,
        getters:    {
          importMachineConfig:   () => (provider: string) => loadExtension('machine-config', provider),
          importCloudCredential: () => (driver: string) => loadExtension('cloud-credential', driver),
        },
      },
    },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The pages

/** rke2.vue handleMachinePoolError: lodash-merges `{ pool: [field names] }` and replaces the page's error list. */
function handleMachinePoolError(this: { machinePoolErrors: Dict }, error: Dict, t: (k: string, a: Dict, raw: boolean) => string) {
  this.machinePoolErrors = merge(this.machinePoolErrors, error);
  const errors = Object.entries(this.machinePoolErrors).map(([pool, fields]) => {
    const f = fields as string[];

    if (!f.length) return undefined;
    const formatted = f.length === 1 ? f[0] : f.length === 2 ? `${ f[0] } and ${ f[1] }` : `${ f.slice(1).join(', ') }, and ${ f[0] }`;

    return t('cluster.banner.machinePoolError', {
      count: f.length, pool_name: pool, fields: formatted
    }, true);
  }).filter((x): x is string => !!x);

  record.hostErrors = errors;
}

function machinePoolPage(line: Line) {
  return defineComponent({
    name: 'HostMachinePool',
    data() {
      // rke2.vue addMachinePool(): the pool entry the page keeps, with the per-line IP-family fields.
      const pool: Dict = {
        id:     'pool1',
        create: true,
        update: true,
        pool:   { name: 'workers', quantity: 2 },
        config: {
          type: 'rke-machine-config.cattle.io.hetznerconfig', metadata: { namespace: 'fleet-default' }, userData: '/var/lib/rancher/bootstrap'
        },
      };

      if (line.ipFamily === 'hasIpv6') pool.hasIpv6 = false;
      if (line.ipFamily === 'isIpv6/isDualStack') Object.assign(pool, { isIpv6: false, isDualStack: false });

      return { pools: [pool], machinePoolErrors: {} as Dict };
    },
    computed: {
      configComponent(): Component | null {
        return vm(this).$store.getters['type-map/importMachineConfig']('hetzner');
      },
    },
    methods: {
      // MachinePool.vue test(): errors from the config component's test(), [] when it passes.
      async test() {
        const comp = this.$refs.configComponent as { test?: () => unknown } | undefined;

        if (typeof comp?.test !== 'function') return { reachable: false, errors: [] };
        let errors: unknown[] = [];

        try {
          const res = (await comp.test()) as { errors?: unknown[] } | boolean;

          if (!res || (res as { errors?: unknown[] }).errors) errors = (res as { errors?: unknown[] })?.errors ?? [];
        } catch (e) {
          errors = [String(e)];
        }

        return { reachable: true, errors };
      },
    },
    render() {
      const pool = this.pools[0] as Dict;
      const all: Dict = {
        cluster:               { metadata: { name: 'harness-cluster' }, id: 'fleet-default/harness-cluster' },
        uuid:                  'harness-uuid',
        provider:              'hetzner',
        credentialId:          CREDENTIAL_ID,
        poolIndex:             0,
        poolId:                'pool1',
        poolCreateMode:        true,
        machinePools:          this.pools,
        busy:                  false,
        projectId:             'fleet-default',
        infrastructureCluster: null,
      };
      const props: Dict = { value: pool.config, mode: 'create' };

      for (const p of line.poolProps) props[p] = all[p];
      const on = (name: string) => (...args: unknown[]) => record.events.push({
        from: 'pool', name, args: JSON.parse(JSON.stringify(args))
      });
      const listeners: Dict = {
        onError: (e: Dict) => {
          on('error')(e);
          handleMachinePoolError.call(this, e, (k, a, raw) => vm(this).t(k, a, raw));
        },
        onUpdateMachineCount: on('updateMachineCount'),
        onExpandAdvanced:     on('expandAdvanced'),
        onValidationChanged:  (v: boolean) => {
          on('validationChanged')(v);
          record.poolValid = v;
        },
      };

      if (line.ipFamily === 'hasIpv6') {
        props.hasIpv6 = pool.hasIpv6;
        listeners['onUpdate:hasIpv6'] = (v: boolean) => {
          on('update:hasIpv6')(v);
          pool.hasIpv6 = v;
        };
      }
      if (line.ipFamily === 'isIpv6/isDualStack') {
        props.isIpv6 = pool.isIpv6;
        props['is-dualStack'] = pool.isDualStack;
        listeners['onUpdate:isIpv6'] = (v: boolean) => {
          on('update:isIpv6')(v);
          pool.isIpv6 = v;
        };
        listeners['onUpdate:isDualStack'] = (v: boolean) => {
          on('update:isDualStack')(v);
          pool.isDualStack = v;
        };
      }

      return h('section', { id: 'machine-section' }, [
        h('h2', 'Machine pool'),
        record.hostErrors.length ? h('div', { class: 'banner error', id: 'host-errors' }, record.hostErrors.map((e) => h('p', e))) : null,
        this.configComponent ? h(this.configComponent, {
          ref: 'configComponent', ...props, ...listeners
        }) : h('p', 'no machine-config component'),
      ]);
    },
  });
}

type Hook = { name: string; priority: number; fn: (...args: unknown[]) => unknown; fnContext?: unknown };

/**
 * rke2.vue creating a Hetzner cluster: its machine pools are the pool page's, its provisioner is the extension's
 * `hetzner` one (constructed with the line's context), and it renders the CLUSTER_CREATE_RKE2 tabs.
 */
function clusterCreatePage(line: Line, pools: () => Dict[]) {
  return defineComponent({
    name: 'HostClusterCreate',
    data() {
      return {
        value: {
          type:     'provisioning.cattle.io.cluster',
          metadata: { name: 'harness-cluster', namespace: 'fleet-default' },
          spec:     {
            kubernetesVersion:         'v1.33.5+rke2r1',
            cloudCredentialSecretName: CREDENTIAL_ID,
            rkeConfig:                 {
              machineGlobalConfig: { cni: 'canal', 'disable-kube-proxy': false }, machineSelectorConfig: [{ config: { 'cloud-provider-name': '' } }], machinePools: [],
            },
          },
        } as Dict,
        errors: [] as string[],
        hooks:  { before: [] as Hook[], after: [] as Hook[] },
      };
    },
    computed: {
      machinePools(): Dict[] {
        return pools();
      },
      extensionTabs(): Dict[] {
        return (uiTabs['cluster-create-rke2'] ?? []).filter((tab) => routeMatches(CREATE_ROUTE, tab.locationConfig as Dict));
      },
    },
    created() {
      this.registerBeforeHook(this.saveMachinePools, 'save-machine-pools', line.provisioner.savePoolsPriority);
      // rke2.vue extensionProvider: new (getDynamic('provisioner', provider))(context) — context differs per line.
      const cls = dynamic.provisioner?.hetzner as (new (ctx: Dict) => { registerSaveHooks?: (...a: unknown[]) => void }) | undefined;

      if (cls) {
        const host = this as unknown as { $store: { dispatch: unknown; getters: unknown }; t: (...a: unknown[]) => string };
        const ctx: Dict = {
          dispatch: host.$store.dispatch, getters: host.$store.getters, axios: {}, isCreate: true
        };

        ctx[line.provisioner.registry] = { getDynamic: (t: string, n: string) => dynamic[t]?.[n] };
        ctx[line.provisioner.t] = (...args: unknown[]) => host.t(...args);
        new cls(ctx).registerSaveHooks?.(this.registerBeforeHook, this.registerAfterHook, this.value);
      }
    },
    methods: {
      registerBeforeHook(fn: Hook['fn'], name: string, priority = 99, fnContext?: unknown) {
        this.hooks.before = [...this.hooks.before.filter((h) => h.name !== name), {
          name, priority: priority || 99, fn, fnContext
        }];
      },
      registerAfterHook(fn: Hook['fn'], name: string, priority = 99, fnContext?: unknown) {
        this.hooks.after = [...this.hooks.after.filter((h) => h.name !== name), {
          name, priority: priority || 99, fn, fnContext
        }];
      },
      async applyHooks(hooks: Hook[], ...args: unknown[]) {
        const sorted = [...hooks].sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name));

        for (const h of sorted) await h.fn.apply(h.fnContext || this, args);
      },
      /** rke2.vue saveMachinePools: names and saves each machine config, then lists the pools in the spec. */
      saveMachinePools() {
        const spec = (this.value.spec as Dict).rkeConfig as Dict;

        spec.machinePools = this.machinePools.map((p) => {
          const config = p.config as Dict & { metadata: Dict };

          config.metadata.name ??= `nc-harness-cluster-${ (p.pool as Dict).name }-x7k2p`;

          return { ...(p.pool as Dict), machineConfigRef: { kind: 'HetznerConfig', name: config.metadata.name } };
        });
      },
      /** CreateEditView save(): before-hooks, the POST, after-hooks; an error lands in the page's banner. */
      async save() {
        this.errors = [];
        try {
          await this.applyHooks(this.hooks.before, this.value);
          record.savedCluster = JSON.parse(JSON.stringify(this.value));
          (this.value.metadata as Dict).uid = 'uid-harness-cluster';
          await this.applyHooks(this.hooks.after, this.value);

          return { ok: true };
        } catch (e) {
          this.errors = [e instanceof Error ? e.message : String(e)];

          return { ok: false, error: this.errors[0] };
        }
      },
    },
    render() {
      const t = (k: string) => vm(this).t(k);

      return h('section', { id: 'cluster-section' }, [
        h('h2', 'Cluster (create)'),
        this.errors.length ? h('div', { class: 'banner error', id: 'cluster-errors' }, this.errors.map((e) => h('p', e))) : null,
        ...this.extensionTabs.map((tab) => h('div', { class: 'host-tab', 'data-tab': tab.name }, [
          h('h3', tab.labelKey ? t(String(tab.labelKey)) : String(tab.label ?? tab.name)),
          h(tab.component as Component, { resource: this.value }),
        ])),
      ]);
    },
  });
}

/** edit/cloudcredential.vue: the component in <keep-alive>, a Norman cloudcredential model with decodedData. */
const CloudCredentialPage = defineComponent({
  name: 'HostCloudCredential',
  data() {
    return {
      value: {
        decodedData: {} as Record<string, string>,
        setData(key: string, v: string) {
          this.decodedData[key] = v;
        }
      },
      errors: [] as string[]
    };
  },
  computed: {
    cloudComponent(): Component | null {
      return vm(this).$store.getters['type-map/importCloudCredential']('hetzner');
    },
  },
  methods: {
    // saveCredential(): test() through the ref; a falsy result or {errors} blocks the save.
    async saveCredential() {
      const comp = this.$refs.cloudComponent as { test?: () => unknown } | undefined;

      if (typeof comp?.test !== 'function') return { reachable: false, ok: false };
      try {
        const res = (await comp.test()) as { errors?: string[] } | boolean;

        if (!res || (res as { errors?: string[] }).errors) {
          this.errors = (res as { errors?: string[] })?.errors ?? ['Authentication test failed, please check your credentials'];

          return { reachable: true, ok: false };
        }
      } catch (e) {
        this.errors = [String(e)];

        return { reachable: true, ok: false };
      }
      this.errors = [];

      return { reachable: true, ok: true };
    },
  },
  render() {
    const on = (name: string) => (...args: unknown[]) => record.events.push({
      from: 'credential', name, args: JSON.parse(JSON.stringify(args))
    });

    return h('section', { id: 'credential-section' }, [
      h('h2', 'Cloud credential'),
      this.errors.length ? h('div', { class: 'banner error', id: 'credential-errors' }, this.errors.map((e) => h('p', e))) : null,
      h(KeepAlive, null, {
        default: () => (this.cloudComponent ? h(this.cloudComponent, {
          ref:                 'cloudComponent',
          driverName:          'hetzner',
          value:               this.value,
          mode:                'create',
          hideSensitiveData:   false,
          onValidationChanged: (v: boolean) => {
            on('validationChanged')(v);
            record.credValid = v;
          },
          onValueChanged: (key: string, v: string) => {
            on('valueChanged')(key, v);
            this.value.setData(key, v);
            record.credential = { ...this.value.decodedData };
          },
        }) : h('p', 'no cloud-credential component'))
      }),
    ]);
  },
});

// ---------------------------------------------------------------------------------------------------------------
// Boot

function boot(lineName: string) {
  const line = LINES.find((l) => l.line === lineName);

  if (!line) throw new Error(`unknown line ${ lineName }`);
  const w = window as unknown as Dict;

  // shell/core/plugins-loader.js: globals the extension build leaves external.
  w.__jsyaml = jsyaml;

  const store = createHostStore(line);
  const ui = reactive({ loaded: false });
  let credentialPage: { saveCredential(): Promise<unknown> } | null = null;
  let poolPage: { test(): Promise<unknown> } | null = null;
  let clusterPage: { save(): Promise<unknown> } | null = null;
  const Pool = machinePoolPage(line);
  const poolEntries = () => ((poolPage as unknown as { pools: Dict[] } | null)?.pools ?? []);
  const ClusterCreate = clusterCreatePage(line, poolEntries);
  const Root = defineComponent({
    render: () => h('main', { style: 'padding: 20px; max-width: 1200px' }, [
      h('h1', `Rancher ${ line.line } host (Vue ${ (window as unknown as { Vue: { version: string } }).Vue.version })`),
      ui.loaded ? h(CloudCredentialPage, { ref: (r: unknown) => (credentialPage = r as typeof credentialPage) }) : null,
      ui.loaded ? h(Pool, { ref: (r: unknown) => (poolPage = r as typeof poolPage) }) : null,
      ui.loaded ? h(ClusterCreate, { ref: (r: unknown) => (clusterPage = r as typeof clusterPage) }) : null,
    ]),
  });
  const app = createApp(Root);

  app.config.errorHandler = (err, _vm, info) => {
    recordError(`vue (${ info })`, err);
    console.error(err); // eslint-disable-line no-console
  };
  app.use(store);
  // shell/initialize/install-plugins.js and install-directives.js: what the forms can rely on.
  app.use(InstallCodeMirror);
  app.component('VSelect', vSelect);
  app.use(i18n, { store });
  app.mixin(fetchMixin);
  app.directive('trim-whitespace', trimWhitespaceDirective);
  app.directive('clean-html', cleanHtmlDirective);
  app.directive('clean-tooltip', cleanTooltipDirective);
  app.directive('focus', focusDirective);
  app.directive('stripped-aria-label', htmlStrippedAriaLabelDirective);
  app.config.globalProperties.$plugin = { getDynamic: (t: string, n: string) => dynamic[t]?.[n] };
  app.config.globalProperties.$route = CREATE_ROUTE;
  app.mount('#app');

  /** shell/core/plugins.js loadPluginAsync() + loadAsync() + applyPlugin(), then the i18n reload of l10n. */
  async function loadPlugin(name: string, version: string) {
    const id = `${ name }-${ version }`;

    await new Promise<void>((resolve, reject) => {
      const el = document.createElement('script');

      el.src = `/v1/uiplugins/${ name }/${ version }/plugin/${ id }.umd.min.js`;
      el.type = 'text/javascript';
      el.async = true;
      el.id = id;
      el.dataset.purpose = 'extension';
      el.onload = () => {
        const mod = w[id] as { default?: unknown } | undefined;

        if (!mod || typeof mod.default !== 'function') return reject(new Error('Could not load plugin code'));
        const plugin = new Plugin(id);

        try {
          (mod.default as (p: Plugin, internal: unknown) => void)(plugin, { store });
        } catch (e) {
          return reject(new Error(`Could not initialize plugin: ${ e }`));
        }
        for (const type of Object.keys(plugin.types)) {
          for (const n of Object.keys(plugin.types[type])) registerDynamic(type, n, plugin.types[type][n]);
        }
        for (const locale of Object.keys(plugin.l10n)) plugin.l10n[locale].forEach((fn) => registerDynamic('l10n', locale, fn));
        plugin.stores.forEach((s) => s.register()(store));
        for (const [where, tabs] of Object.entries(plugin.uiConfig.tab ?? {})) (uiTabs[where] ??= []).push(...tabs);
        (w.__plugin as unknown) = plugin;
        resolve();
      };
      el.onerror = () => reject(new Error(`Failed to load script from '${ el.src }'`));
      document.head.appendChild(el);
    });
    for (const fn of (dynamic.l10n?.[LOCALE] as unknown[]) ?? []) await store.dispatch('i18n/mergeLoad', { locale: LOCALE, module: fn });
    const plugin = w.__plugin as Plugin;

    return {
      id,
      metadataName: plugin.metadata.name,
      stores:       plugin.stores.map((s) => s.storeName),
      dynamic:      Object.fromEntries(Object.entries(dynamic).map(([t, m]) => [t, Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Array.isArray(v) ? `${ v.length } loader(s)` : typeof v]))])),
      icon:         dynamic.image?.['providers/hetzner.svg'] as string | undefined,
      providerName: store.getters['i18n/withFallback']('cluster.provider."hetzner"', null, 'hetzner'),
      hasStore:     !!(store as unknown as { hasModule(n: string): boolean }).hasModule('hetzner'),
      tabs:         Object.fromEntries(Object.entries(uiTabs).map(([where, tabs]) => [where, tabs.map((tab) => tab.name)])),
    };
  }

  return {
    loadPlugin,
    mount: () => {
      ui.loaded = true;
    },
    record:           () => JSON.parse(JSON.stringify(record)),
    poolTest:         () => poolPage?.test(),
    saveCredential:   () => credentialPage?.saveCredential(),
    config:           () => JSON.parse(JSON.stringify((poolPage as unknown as { pools: { config: unknown }[] })?.pools[0].config ?? null)),
    pool:             () => JSON.parse(JSON.stringify((poolPage as unknown as { pools: unknown[] })?.pools[0] ?? null)),
    /** Sets (or clears, with 0) the pool's hostnameLengthLimit, as the pool's advanced section does. */
    setHostnameLimit: (limit: number) => {
      const pool = poolEntries()[0]?.pool as Dict | undefined;

      if (pool) pool.hostnameLengthLimit = limit || undefined;
    },
    createCluster: () => clusterPage?.save(),
    clusterToken:  CLUSTER_TOKEN,
    kube:          () => JSON.parse(JSON.stringify((window as unknown as Dict).__kube)),
  };
}

window.addEventListener('error', (e) => recordError('window', e.error ?? e.message));
window.addEventListener('unhandledrejection', (e) => recordError('unhandled rejection', e.reason));
(window as unknown as Dict).rancherHost = { boot };
