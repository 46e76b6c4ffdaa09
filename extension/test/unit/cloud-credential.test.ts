import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import CloudCredential from '../../pkg/hetzner-node-driver/cloud-credential/hetzner.vue';
import { missing } from './i18n';
import { makeStore } from './store-helper';

/** The method the Dashboard calls before saving a credential. */
function testOf(wrapper: { vm: unknown }): Promise<boolean> {
  return (wrapper.vm as { test(): Promise<boolean> }).test();
}

function mountCredential(
  token: string | undefined,
  opts: Parameters<typeof makeStore>[0] & { apiEndpoint?: string; mode?: string } = {},
) {
  const { store, proxy } = makeStore(opts);
  const value: { decodedData: { apiToken?: string; apiEndpoint?: string } } = { decodedData: token === undefined ? {} : { apiToken: token } };

  if (opts.apiEndpoint !== undefined) value.decodedData.apiEndpoint = opts.apiEndpoint;
  const wrapper = mount(CloudCredential, {
    props: {
      value, mode: opts.mode ?? 'create', driverName: 'hetzner'
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

  it('offers the API endpoint under a collapsed advanced section and writes decodedData.apiEndpoint', async() => {
    const { wrapper } = mountCredential('rw-token');

    expect(wrapper.find('[data-testid="hetzner-api-endpoint"]').exists()).toBe(false);
    await wrapper.find('a.hand').trigger('click');
    const input = wrapper.find('input[data-testid="hetzner-api-endpoint"]');

    expect(input.attributes('placeholder')).toBe('https://api.hetzner.cloud/v1');
    await input.setValue(' https://hetzner-proxy.example.com/v1 ');
    expect(wrapper.emitted('valueChanged')!.at(-1)).toEqual(['apiEndpoint', 'https://hetzner-proxy.example.com/v1']);
    // A credential that already names an endpoint shows it without a click.
    const { wrapper: saved } = mountCredential('rw-token', { apiEndpoint: 'http://127.0.0.1:4000/v1', mode: 'edit' });

    expect((saved.find('input[data-testid="hetzner-api-endpoint"]').element as HTMLInputElement).value).toBe('http://127.0.0.1:4000/v1');
  });

  it('accepts https, or http to a loopback address only, and blocks saving otherwise', async() => {
    const { wrapper, value } = mountCredential('rw-token', { apiEndpoint: '' });

    await wrapper.find('a.hand').trigger('click');
    const check = async(endpoint: string) => {
      value.decodedData.apiEndpoint = endpoint;
      await wrapper.setProps({ value: { decodedData: { ...value.decodedData } } });

      return {
        valid:   wrapper.emitted('validationChanged')!.at(-1)![0],
        problem: wrapper.find('[data-testid="hetzner-api-endpoint-problem"]').exists() ? wrapper.find('[data-testid="hetzner-api-endpoint-problem"]').text() : '',
      };
    };

    expect(await check('https://hetzner-proxy.example.com/v1')).toEqual({ valid: true, problem: '' });
    expect(await check('http://127.0.0.1:4000/v1')).toEqual({ valid: true, problem: '' });
    expect(await check('http://[::1]:4000/v1')).toEqual({ valid: true, problem: '' });
    expect((await check('http://api.example.com/v1')).problem).toContain('Plain http is accepted only for a loopback address');
    expect((await check('http://localhost:4000/v1')).valid).toBe(false);
    expect((await check('ftp://api.example.com')).problem).toContain('must be an http(s) URL');
    expect((await check('https://user:pw@api.example.com/v1')).valid).toBe(false);
    expect((await check('not a url')).valid).toBe(false);
    await expect(testOf(wrapper)).resolves.toBe(false);
    expect(await check('')).toEqual({ valid: true, problem: '' });
    expect([...missing]).toEqual([]);
  });

  it('test() checks the token through the proxy only for the Hetzner API, and saves a token for another endpoint unchecked', async() => {
    const { wrapper, proxy } = mountCredential('unknown-to-the-proxy', { apiEndpoint: 'https://hetzner-proxy.example.com/v1' });

    await expect(testOf(wrapper)).resolves.toBe(true);
    await flushPromises();
    expect(proxy.calls).toHaveLength(0);
    expect(wrapper.find('[data-testid="hetzner-credential-result"]').text()).toBe(
      "The token was not checked: Rancher's proxy reaches only api.hetzner.cloud, not https://hetzner-proxy.example.com/v1. " +
        'The driver uses this endpoint when it creates machines.',
    );

    const explicit = mountCredential('rw-token', { apiEndpoint: 'https://api.hetzner.cloud/v1/' });

    await expect(testOf(explicit.wrapper)).resolves.toBe(true);
    expect(explicit.proxy.calls.length).toBeGreaterThan(0);
  });
});
