import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import CloudCredential from '../../pkg/hetzner-node-driver/cloud-credential/hetzner.vue';
import { missing } from './i18n';
import { makeStore } from './store-helper';

/** The method the Dashboard calls before saving a credential. */
function testOf(wrapper: { vm: unknown }): Promise<boolean> {
  return (wrapper.vm as { test(): Promise<boolean> }).test();
}

function mountCredential(token: string | undefined, opts: Parameters<typeof makeStore>[0] = {}) {
  const { store, proxy } = makeStore(opts);
  const value = { decodedData: token === undefined ? {} : { apiToken: token } };
  const wrapper = mount(CloudCredential, {
    props: {
      value, mode: 'create', driverName: 'hetzner'
    },
    global: { plugins: [store], mocks: { $store: store } },
  });

  return {
    wrapper, proxy, value
  };
}

describe('cloud-credential/hetzner.vue', () => {
  it('renders a password field for apiToken and reports invalid until a token is entered', async() => {
    const { wrapper } = mountCredential(undefined);
    const input = wrapper.find('input[type="password"]');

    expect(input.exists()).toBe(true);
    expect(wrapper.text()).toContain('API Token');
    expect(wrapper.emitted('validationChanged')).toEqual([[false]]);
    await input.setValue('abc');
    expect(wrapper.emitted('valueChanged')!.at(-1)).toEqual(['apiToken', 'abc']);
  });

  it('emits valid once the model holds a token, and flags pasted whitespace', async() => {
    const { wrapper, value } = mountCredential('rw-token');

    expect(wrapper.emitted('validationChanged')).toEqual([[true]]);
    value.decodedData.apiToken = 'rw token';
    await wrapper.setProps({ value: { ...value } });
    expect(wrapper.emitted('validationChanged')!.at(-1)).toEqual([false]);
    expect(wrapper.find('[data-testid="hetzner-api-token-problem"]').text()).toBe(
      'The token contains spaces or line breaks; paste it again without them.',
    );
  });

  it('test() passes a read-write token through the proxy with the raw-token header', async() => {
    const { wrapper, proxy } = mountCredential('rw-token');

    await expect(testOf(wrapper)).resolves.toBe(true);
    await flushPromises();
    expect(proxy.calls.length).toBeGreaterThan(0);
    expect(proxy.calls.every((c) => c.headers['x-api-auth-header'] === 'Bearer rw-token')).toBe(true);
    expect(wrapper.find('[data-testid="hetzner-credential-result"]').text()).toContain(
      'The token is valid and can create servers.',
    );
  });

  it('test() fails an unknown token with a clear message', async() => {
    const { wrapper } = mountCredential('wrong');

    await expect(testOf(wrapper)).resolves.toBe(false);
    await flushPromises();
    const text = wrapper.find('[data-testid="hetzner-credential-result"]').text();

    expect(text).toContain('Hetzner Cloud rejected this token: it is unknown, revoked or mistyped.');
    expect(text).not.toContain('wrong');
  });

  it('test() fails a read-only token and says why', async() => {
    const { wrapper } = mountCredential('ro-token');

    await expect(testOf(wrapper)).resolves.toBe(false);
    await flushPromises();
    expect(wrapper.find('[data-testid="hetzner-credential-result"]').text()).toContain(
      'This token is read-only. The driver creates servers, keys and firewalls, so it needs a token with Read & Write permission.',
    );
  });

  it('test() explains a proxy that does not allow api.hetzner.cloud', async() => {
    const { wrapper } = mountCredential('rw-token', { fail: { locations: { status: 503 } } });

    await expect(testOf(wrapper)).resolves.toBe(false);
    await flushPromises();
    expect(wrapper.find('[data-testid="hetzner-credential-result"]').text()).toContain(
      'Check that the Hetzner NodeDriver lists api.hetzner.cloud in its whitelist domains.',
    );
    expect([...missing]).toEqual([]);
  });

  it('test() does not call the API for an empty token', async() => {
    const { wrapper, proxy } = mountCredential('');

    await expect(testOf(wrapper)).resolves.toBe(false);
    expect(proxy.calls).toHaveLength(0);
  });
});
