// What the Dashboard host installs globally and shell components expect: the i18n `t`, the fetch mixin's
// $fetchState, vue-select as `v-select`, and a few directives.
import { config } from '@vue/test-utils';
import { defineComponent, h } from 'vue';
import vSelect from 'vue-select';
import { t } from './i18n';

const noopDirective = { mounted() {}, updated() {} };
// The host's v-clean-html sanitises, then sets innerHTML (the extension only passes its own strings).
const setText = (el: HTMLElement, binding: { value: unknown }) => {
  el.textContent = binding.value === null || binding.value === undefined ? '' : String(binding.value);
};
const setHtml = (el: HTMLElement, binding: { value: unknown }) => {
  el.innerHTML = binding.value === null || binding.value === undefined ? '' : String(binding.value);
};
const cleanHtml = { mounted: setHtml, updated: setHtml };
const tDirective = {
  mounted: (el: HTMLElement, b: { value: string }) => setText(el, { value: t(b.value) }),
  updated: (el: HTMLElement, b: { value: string }) => setText(el, { value: t(b.value) }),
};

// The host's global <t k="…"> component.
const TComponent = defineComponent({
  // eslint-disable-next-line vue/multi-word-component-names -- the host registers it under this exact name
  name:  'T',
  props: {
    k: { type: String, required: true }, raw: Boolean, tag: { type: String, default: 'span' }
  },
  setup: (props, { attrs }) => () => h(props.tag, t(props.k, attrs)),
});

config.global.components = {
  ...(config.global.components ?? {}), 'v-select': vSelect, t: TComponent
};
config.global.mocks = {
  ...(config.global.mocks ?? {}),
  t,
  $fetchState: {
    pending: false, error: null, timestamp: 0
  }
};
config.global.directives = {
  ...(config.global.directives ?? {}),
  'clean-html':          cleanHtml,
  'clean-tooltip':       noopDirective,
  'stripped-aria-label': noopDirective,
  t:                     tDirective,
};

if (!window.matchMedia) {
  window.matchMedia = (query: string) => ({
    matches:       false,
    media:         query,
    onchange:      null,
    addListener() {},
    removeListener() {},
    addEventListener() {},
    removeEventListener() {},
    dispatchEvent: () => false,
  }) as MediaQueryList;
}

// Shell's LabeledSelect returns `_options` from setup(), which Vue warns about on every mount; it is harmless and
// would drown real warnings.
config.global.config.warnHandler = (msg, _vm, trace) => {
  if (msg.includes('setup() return property "_options"')) return;
  console.warn(`[Vue warn]: ${ msg }${ trace }`); // eslint-disable-line no-console
};
