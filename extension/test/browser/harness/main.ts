// A minimal Dashboard host for the two forms: the real shell fetch mixin, a Vuex store with the extension's
// "hetzner" module, and a `management/request` that calls the same-origin fake Rancher proxy with fetch() and
// resolves/rejects in the shape shell's request action does.
import {
  createApp, defineComponent, h, reactive, ref
} from 'vue';
import { createStore } from 'vuex';
import vSelect from 'vue-select';
import { InstallCodeMirror } from 'codemirror-editor-vue3';
import jsyaml from 'js-yaml';
import fetchMixin from '@shell/mixins/fetch.client.js';
// The host shares CodeMirror with extensions through window.__codeMirrorLoader (used by shell's YamlEditor).
import '@shell/plugins/codemirror-loader';
import '@shell/assets/styles/app.scss';
import enUs from '../../../pkg/hetzner-node-driver/l10n/en-us.yaml?raw';
import hetznerStore from '../../../pkg/hetzner-node-driver/store/hetzner';
import CloudCredential from '../../../pkg/hetzner-node-driver/cloud-credential/hetzner.vue';
import MachineConfig from '../../../pkg/hetzner-node-driver/machine-config/hetzner.vue';

const CREDENTIAL_ID = 'cattle-global-data:cc-harness';

function flatten(obj: Record<string, unknown>, prefix = '', out: Record<string, string> = {}) {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${ prefix }.${ k }` : k;

    if (v && typeof v === 'object') flatten(v as Record<string, unknown>, key, out);
    else out[key] = String(v);
  }

  return out;
}
const messages = flatten(jsyaml.load(enUs) as Record<string, unknown>);
const missing = new Set<string>();

const ENTITIES: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'
};

// As the host's t() (shell/plugins/i18n.js): HTML-escaped unless the caller asks for the raw string.
function t(key: string, args: Record<string, unknown> = {}, raw = false): string {
  const msg = messages[key];

  if (msg === undefined) {
    // Shell's own strings (generic.*, import.*) come from the host's translations, which the harness does not load.
    if (key.startsWith('hetzner.') || key.startsWith('cluster.provider')) missing.add(key);

    return key;
  }
  const out = msg.replace(/\{(\w+)\}/g, (_, n: string) => (n in args ? String(args[n]) : `{${ n }}`));

  return raw ? out : out.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

async function request(_ctx: unknown, opt: { url: string; method?: string; headers?: Record<string, string>; data?: unknown }) {
  const res = await fetch(opt.url, {
    method:  opt.method ?? 'GET',
    headers: opt.headers,
    body:    opt.data === undefined ? undefined : JSON.stringify(opt.data),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};

  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { data: text };
  }
  Object.defineProperty(body, '_status', { value: res.status, enumerable: false });
  if (!res.ok) throw body;

  return body;
}

const store = createStore({
  modules: {
    hetzner:    hetznerStore as never,
    management: { namespaced: true, actions: { request } },
  },
  getters: {
    'i18n/t':      () => t,
    'i18n/exists': () => (k: string) => k in messages,
    'prefs/get':   () => () => undefined,
  },
});

const credential = reactive({ decodedData: {} as Record<string, string> });
const config = reactive<Record<string, unknown>>({ userData: '/var/lib/rancher/bootstrap' });
const cluster = reactive({ metadata: { name: 'harness-cluster' } });
const state = reactive({
  credentialValid: null as boolean | null,
  testResult:      null as boolean | null,
  poolValid:       null as boolean | null,
  isIpv6:          null as boolean | null,
  isDualStack:     null as boolean | null,
});
// What MachinePool.vue passes as `machine-pools`: this form is pool 0, of two machines.
const machinePools = reactive([{ id: 'pool1', pool: { name: 'workers', quantity: 2 } }]);
const credentialForm = ref<{ test(): Promise<boolean> } | null>(null);

const Harness = defineComponent({
  setup() {
    return () => h('main', { class: 'harness', style: 'padding: 20px; max-width: 1200px' }, [
      h('section', { id: 'credential-section', style: 'padding: 10px 0 20px' }, [
        h('h2', 'Cloud credential'),
        h(CloudCredential, {
          ref:                 credentialForm,
          value:               credential,
          mode:                'create',
          driverName:          'hetzner',
          onValidationChanged: (v: boolean) => (state.credentialValid = v),
          onValueChanged:      (k: string, v: string) => (credential.decodedData[k] = v),
        }),
        h(
          'button',
          {
            id:      'test-credential',
            class:   'btn role-primary mt-10',
            onClick: async() => (state.testResult = (await credentialForm.value?.test()) ?? null),
          },
          'Test credential',
        ),
      ]),
      h('section', { id: 'machine-section' }, [
        h('h2', 'Machine pool'),
        h(MachineConfig, {
          value:                  config,
          mode:                   'create',
          credentialId:           CREDENTIAL_ID,
          cluster,
          uuid:                   'harness',
          poolIndex:              0,
          poolId:                 'pool1',
          machinePools,
          onValidationChanged:    (v: boolean) => (state.poolValid = v),
          'onUpdate:isIpv6':      (v: boolean) => (state.isIpv6 = v),
          'onUpdate:isDualStack': (v: boolean) => (state.isDualStack = v),
        }),
      ]),
    ]);
  },
});

const noop = { mounted() {}, updated() {} };
const html = (el: HTMLElement, b: { value: unknown }) => (el.innerHTML = b.value === null || b.value === undefined ? '' : String(b.value));
const app = createApp(Harness);

app.use(store);
// As shell's initialize/install-plugins.js does: YamlEditor renders a globally registered <codemirror>.
app.use(InstallCodeMirror);
app.mixin(fetchMixin);
app.config.globalProperties.t = t;
app.component('VSelect', vSelect);
app.component(
  // The host's global <t k="…"> component; Vue also resolves <t> to "T".
  // eslint-disable-next-line vue/multi-word-component-names
  'T',
  defineComponent({
    inheritAttrs: false,
    props:        {
      k: { type: String, required: true }, tag: { type: String, default: 'span' }, raw: Boolean
    },
    setup: (p, { attrs }) => () => (p.raw ? h(p.tag, { innerHTML: t(p.k, attrs, true) }) : h(p.tag, [t(p.k, attrs)])),
  }),
);
app.directive('clean-html', { mounted: html, updated: html });
app.directive('clean-tooltip', noop);
app.directive('stripped-aria-label', { mounted: (el: HTMLElement, b: { value: unknown }) => el.setAttribute('aria-label', String(b.value ?? '')) });
// The host's v-t sets innerHTML to the escaped translation.
const vT = (el: HTMLElement, b: { value: string }) => {
  el.innerHTML = t(b.value);
};

app.directive('t', { mounted: vT, updated: vT });
app.mount('#app');

Object.assign(window, {
  harness: {
    config:     () => JSON.parse(JSON.stringify(config)),
    credential: () => ({ ...credential.decodedData }),
    state:      () => ({ ...state }),
    missing:    () => [...missing],
  },
});
