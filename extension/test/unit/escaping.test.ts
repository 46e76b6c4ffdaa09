// The host's t() escapes HTML unless asked for the raw string (issue 14.2): what reaches a text sink ({{ }}, a label
// prop rendered as text, an attribute, a Banner label, which escapes again) must be raw, what reaches an HTML sink
// (v-clean-html sub-labels, radio labels, tooltips) escaped, and a translation is never an argument of another.
// The stub i18n (./i18n.ts) escapes like the host, so any visible entity here is one users would see.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { defineComponent, h, nextTick, reactive } from 'vue';
import { RadioGroup } from '@components/Form/Radio';
import CloudCredential from '../../pkg/hetzner-node-driver/cloud-credential/hetzner.vue';
import MachineConfig from '../../pkg/hetzner-node-driver/machine-config/hetzner.vue';
import type { HetznerConfig } from '../../pkg/hetzner-node-driver/lib/config';
import { t, VISIBLE_ENTITY } from './i18n';
import { makeStore } from './store-helper';

const CodeMirrorStub = defineComponent({
  name:  'CodeMirror',
  props: { value: { type: String, default: '' } },
  setup: (props) => () => h('textarea', { value: props.value }),
});

/** Everything a user reads: the text, and the attributes a browser shows (placeholder, title, aria-label). */
function visible(w: VueWrapper): string[] {
  const el = w.element as HTMLElement;
  const attrs = [...el.querySelectorAll('[placeholder],[title],[aria-label]')].flatMap((e) => ['placeholder', 'title', 'aria-label'].map((a) => e.getAttribute(a) ?? ''));

  return [w.text(), ...attrs];
}

function expectNoEntities(w: VueWrapper) {
  expect(visible(w).filter((s) => VISIBLE_ENTITY.test(s))).toEqual([]);
}

const HETZNER_MESSAGE = "the 'firewalls' list & more are <unavailable>";

async function mountMachineConfig(mode: string, value: HetznerConfig = {}) {
  const { store } = makeStore({ fail: { firewalls: { status: 503, body: { error: { code: 'unavailable', message: HETZNER_MESSAGE } } } } });
  const wrapper = mount(MachineConfig, {
    props: {
      value: reactive(value), mode, credentialId: 'cattle-global-data:cc-test', cluster: { metadata: { name: 'prod-eu' } }
    },
    global: {
      plugins: [store], mocks: { $store: store }, stubs: { CodeMirror: CodeMirrorStub }
    },
  });

  await (MachineConfig as unknown as { fetch(this: unknown): Promise<void> }).fetch.call(wrapper.vm);
  await flushPromises();

  return wrapper;
}

describe('the stub i18n escapes like the host', () => {
  it('escapes unless raw, and formats ICU arguments', () => {
    expect(t('hetzner.credential.apiToken.help')).toContain('Read &amp; Write');
    expect(t('hetzner.credential.apiToken.help', {}, true)).toContain('Read & Write');
    expect(t('hetzner.errors.http', { status: 502 }, true)).toBe('Unexpected HTTP 502 from the proxy.');
  });
});

describe('no HTML entity reaches the user (issue 14.2)', () => {
  it('machine pool form: labels, placeholders, options, validation and a load error with quotes and ampersands', async() => {
    const wrapper = await mountMachineConfig('create');

    wrapper.findComponent(RadioGroup).vm.$emit('update:value', 'managed');
    await nextTick();
    await nextTick();
    const text = wrapper.text();

    expect(text).toContain("Allow traffic between the cluster's nodes");
    expect(wrapper.find('[data-testid="hetzner-load-error"]').text()).toBe(
      `Could not load the firewalls. Hetzner Cloud is temporarily unavailable. ${ HETZNER_MESSAGE }`,
    );
    // Sub-labels and radio labels are HTML sinks (v-clean-html): escaped there, read as plain text.
    expect(text).toContain('Firewall managed by the driver');
    expect(text).toContain('Nodes with the same cluster ID share one firewall.');
    expectNoEntities(wrapper);
  });

  it('machine pool form: view mode', async() => {
    const wrapper = await mountMachineConfig('view', {
      serverLocation: 'fsn1', serverType: 'cx23', image: 'ubuntu-24.04', createFirewall: true, autoCreateFirewallRules: true
    });

    expect(wrapper.text()).toContain("Allow traffic between the cluster's nodes");
    expectNoEntities(wrapper);
  });

  it('cloud credential form: help, the advanced endpoint hint and every test() verdict', async() => {
    const mountWith = (token: string, opts: Parameters<typeof makeStore>[0] = {}) => {
      const { store } = makeStore(opts);

      return mount(CloudCredential, {
        props:  { value: { decodedData: { apiToken: token } }, mode: 'create' },
        global: { plugins: [store], mocks: { $store: store } },
      });
    };
    const help = mountWith('rw-token');

    expect(help.text()).toContain('with Read & Write permission');
    await help.find('a.hand').trigger('click');
    expect(help.text()).toContain("Rancher's proxy reaches api.hetzner.cloud only");
    expectNoEntities(help);

    const readOnly = mountWith('ro-token');

    await (readOnly.vm as unknown as { test(): Promise<boolean> }).test();
    await flushPromises();
    expect(readOnly.find('[data-testid="hetzner-credential-result"]').text()).toContain('a token with Read & Write permission');
    expectNoEntities(readOnly);

    const failed = mountWith('rw-token', { fail: { locations: { status: 500, body: { error: { code: 'server_error', message: HETZNER_MESSAGE } } } } });

    await (failed.vm as unknown as { test(): Promise<boolean> }).test();
    await flushPromises();
    expect(failed.find('[data-testid="hetzner-credential-result"]').text()).toBe(
      `The token could not be checked. Hetzner Cloud had an internal error. ${ HETZNER_MESSAGE }`,
    );
    expectNoEntities(failed);
  });
});

describe('a translation is never an argument of another (issue 14.2)', () => {
  it('no t() call in the sources takes a t() call among its arguments', () => {
    const pkg = join(dirname(fileURLToPath(import.meta.url)), '../../pkg/hetzner-node-driver');
    const files = ['machine-config/hetzner.vue', 'cloud-credential/hetzner.vue', ...['lib', 'components/machine-config'].flatMap((d) => readdirSync(join(pkg, d)).map((f) => `${ d }/${ f }`))];
    const nested: string[] = [];

    for (const f of files) {
      const src = readFileSync(join(pkg, f), 'utf8');

      for (const m of src.matchAll(/\bt\(/g)) {
        // The call's argument text, up to its closing parenthesis.
        let depth = 1;
        let i = m.index + 2;

        while (depth && i < src.length) {
          if (src[i] === '(') depth++;
          else if (src[i] === ')') depth--;
          i++;
        }
        const args = src.slice(m.index + 2, i - 1);

        if (/\bt\(/.test(args)) nested.push(`${ f }: t(${ args.slice(0, 80) }`);
      }
    }
    expect(nested).toEqual([]);
  });
});
