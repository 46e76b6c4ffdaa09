// The endpoint in a machine's stored JSON is never trusted: a later process (rm) sends the token only where its own
// environment says. Without HETZNER_API_ENDPOINT that is the Hetzner API, so fetch is replaced here: nothing leaves
// the machine, and every URL the driver asked for is recorded.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { configJson, newDriver, TOKEN, tempStore } from './helpers';

afterEach(() => {
  vi.unstubAllGlobals();
});

function recordingFetch(seen: string[]) {
  return async (url: string | URL | Request) => {
    seen.push(String(url));
    throw new TypeError('fetch failed', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) });
  };
}

describe('the stored endpoint', () => {
  it('does not redirect a later Remove: without HETZNER_API_ENDPOINT the token goes to the Hetzner API', async () => {
    const seen: string[] = [];
    vi.stubGlobal('fetch', recordingFetch(seen));
    const d = newDriver({ env: { HETZNER_API_TOKEN: TOKEN } });
    await d.setConfigRaw(
      configJson('stored-ep', tempStore(), { APIEndpoint: 'http://127.0.0.1:9/v1', ServerID: 5, AccessToken: '' }),
    );
    await expect(d.remove()).rejects.toThrow(/connection refused/);
    expect(seen.length).toBeGreaterThan(0);
    for (const url of seen) expect(url.startsWith('https://api.hetzner.cloud/v1/')).toBe(true);
    expect(JSON.parse(new TextDecoder().decode(await d.getConfigRaw())).APIEndpoint).toBe(
      'https://api.hetzner.cloud/v1',
    );
  });

  it('gives way to HETZNER_API_ENDPOINT', async () => {
    const seen: string[] = [];
    vi.stubGlobal('fetch', recordingFetch(seen));
    const d = newDriver({ env: { HETZNER_API_TOKEN: TOKEN, HETZNER_API_ENDPOINT: 'http://localhost:7/v1' } });
    await d.setConfigRaw(configJson('stored-ep2', tempStore(), { APIEndpoint: 'http://127.0.0.1:9/v1', ServerID: 5 }));
    await expect(d.getState()).rejects.toThrow(/connection refused/);
    for (const url of seen) expect(url.startsWith('http://localhost:7/v1/')).toBe(true);
  });
});
