// What the Dashboard host installs globally and shell components expect: the i18n `t`, the fetch mixin's
// $fetchState, vue-select as `v-select`, and a few directives.
import { config } from '@vue/test-utils';
import { defineComponent, type DirectiveBinding, h } from 'vue';
import vSelect from 'vue-select';
import { t } from './i18n';

const noopDirective = { mounted() {}, updated() {} };
// The host's v-clean-html sanitises, then sets innerHTML (the extension only passes its own strings).
const setHtml = (el: HTMLElement, binding: { value: unknown }) => {
  el.innerHTML = binding.value === null || binding.value === undefined ? '' : String(binding.value);
};
const cleanHtml = { mounted: setHtml, updated: setHtml };

// The host's v-t directive sets innerHTML (or the attribute named by its argument) to the escaped translation.
type TBinding = DirectiveBinding<string>;
const applyT = (el: HTMLElement, b: TBinding) => {
  const str = t(b.value, {}, b.modifiers?.raw === true);

  if (b.arg) el.setAttribute(b.arg, str);
  else el.innerHTML = str;
};
const tDirective = { mounted: applyT, updated: applyT };

// The host's global <t k="…"> component: the escaped translation as text, or (raw) the translation as HTML.
const TComponent = defineComponent({
  // eslint-disable-next-line vue/multi-word-component-names -- the host registers it under this exact name
  name:         'T',
  inheritAttrs: false,
  props:        {
    k: { type: String, required: true }, raw: Boolean, tag: { type: String, default: 'span' }, escapehtml: { type: Boolean, default: true }
  },
  setup: (props, { attrs }) => () => {
    const msg = t(props.k, attrs, props.raw || !props.escapehtml);

    return props.raw ? h(props.tag, { innerHTML: msg }) : h(props.tag, [msg]);
  },
});

config.global.components = {
  ...(config.global.components ?? {}), 'v-select': vSelect, t: TComponent
};
// The host's `t` is a global property that reads `this.$store`: like it, this one fails when called detached.
function hostT(this: unknown, key: string, args?: Record<string, unknown>, raw?: boolean): string {
  if (this === undefined || this === null) throw new Error(`t('${ key }') called without its component (the host's t reads this.$store)`);

  return t(key, args, raw);
}

config.global.mocks = {
  ...(config.global.mocks ?? {}),
  t:           hostT,
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
