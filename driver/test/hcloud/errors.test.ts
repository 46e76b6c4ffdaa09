import { describe, expect, it } from 'vitest';
import { HcloudClient, HcloudError, HttpStatusError, isHcloudError } from '../../src/hcloud';
import { apiError, type Scripted, type Step, scriptedClients, TOKEN } from './scripted-server';

const start = scriptedClients({ random: () => 0.5 });
let api: Scripted | undefined;
async function setup(steps: Step[]) {
  const made = await start(steps);
  api = made.api;
  return made.client;
}

function expectNoSecrets(err: unknown) {
  const text = `${String(err)} ${(err as Error).stack ?? ''} ${JSON.stringify(err)}`;
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain('#cloud-config');
}

describe('errors', () => {
  it('turns the API envelope into an HcloudError with status, code, details and correlation id', async () => {
    const details = { fields: [{ name: 'name', messages: ['is too long', 'is invalid'] }] };
    const client = await setup([
      {
        method: 'POST',
        path: '/servers',
        ...apiError(422, 'invalid_input', "invalid input in field 'name'", details),
        headers: { 'X-Correlation-Id': 'corr-123' },
      },
    ]);
    const err = await client.servers
      .create({ name: 'x'.repeat(300), server_type: 'cx23', image: 'ubuntu-24.04', user_data: '#cloud-config\n' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HcloudError);
    const e = err as HcloudError;
    expect(e.status).toBe(422);
    expect(e.code).toBe('invalid_input');
    expect(e.details).toEqual(details);
    expect(e.correlationId).toBe('corr-123');
    expect(e.message).toBe(
      "Hetzner API error 422 invalid_input: invalid input in field 'name' [name: is too long, is invalid] (POST /servers, correlation id corr-123)",
    );
    expect(isHcloudError(e)).toBe(true);
    expect(isHcloudError(e, 'uniqueness_error', 'invalid_input')).toBe(true);
    expect(isHcloudError(e, 'conflict')).toBe(false);
    expect(isHcloudError(new Error('invalid_input'), 'invalid_input')).toBe(false);
    // The codes are a typed union: a misspelt code does not type-check (tsc fails on an unused expectation).
    // @ts-expect-error 'invalid_inptu' is not an API error code
    expect(isHcloudError(e, 'invalid_inptu')).toBe(false);
    expectNoSecrets(e);
  });

  it('reports answers without a JSON envelope as HttpStatusError, content-type decides', async () => {
    const client = await setup([
      { method: 'GET', path: '/servers/1', status: 500, text: '<html><body>oops</body></html>' },
      // JSON text but labelled text/html: like hcloud-go, not treated as an API error.
      {
        method: 'GET',
        path: '/servers/2',
        status: 500,
        text: '{"error":{"code":"x"}}',
        headers: { 'Content-Type': 'text/html' },
      },
    ]);
    const e1 = await client.servers.get(1).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(HttpStatusError);
    expect((e1 as HttpStatusError).status).toBe(500);
    expect((e1 as Error).message).toContain('HTTP 500');
    expect((e1 as Error).message).toContain('GET /servers/1');
    const e2 = await client.servers.get(2).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(HttpStatusError);
    expectNoSecrets(e1);
  });

  it('maps 404 not_found to null for get, but not other codes or other operations', async () => {
    const client = await setup([
      { method: 'GET', path: '/servers/1', ...apiError(404, 'not_found') },
      { method: 'GET', path: '/ssh_keys/2', ...apiError(404, 'not_found') },
      { method: 'GET', path: '/firewalls/3', ...apiError(403, 'forbidden') },
      { method: 'DELETE', path: '/servers/4', ...apiError(404, 'not_found') },
      { method: 'GET', path: '/actions/5', ...apiError(404, 'not_found') },
    ]);
    expect(await client.servers.get(1)).toBeNull();
    expect(await client.sshKeys.get(2)).toBeNull();
    await expect(client.firewalls.get(3)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(client.servers.delete(4)).rejects.toMatchObject({ code: 'not_found', status: 404 });
    expect(await client.actions.get(5)).toBeNull();
    api?.assertDone();
  });

  it('rejects a 2xx answer that is not JSON with a hint about the endpoint', async () => {
    const client = await setup([{ method: 'GET', path: '/servers/1', status: 200, text: '<html>login</html>' }]);
    await expect(client.servers.get(1)).rejects.toThrow(
      /not JSON.*is the endpoint http:\/\/127\.0\.0\.1:\d+\/v1 correct/,
    );
  });

  it('accepts an empty 204 answer', async () => {
    const client = await setup([{ method: 'DELETE', path: '/ssh_keys/9', status: 204 }]);
    await expect(client.sshKeys.delete(9)).resolves.toBeUndefined();
    api?.assertDone();
  });

  it('validates token and endpoint up front without echoing the token', () => {
    const bad = 'abc def-SECRET';
    const e = (() => {
      try {
        new HcloudClient({ token: bad });
      } catch (err) {
        return err as Error;
      }
    })();
    expect(e?.message).toMatch(/token contains spaces/);
    expect(e?.message).not.toContain('SECRET');
    expect(() => new HcloudClient({ token: '  ' })).toThrow(/token is empty/);
    expect(() => new HcloudClient({ token: 't', endpoint: 'ftp://x' })).toThrow(/must be an https URL/);
    expect(() => new HcloudClient({ token: 't', endpoint: 'not a url' })).toThrow(/not a valid URL/);
    // A pasted token with a trailing newline is accepted.
    expect(new HcloudClient({ token: `${TOKEN}\n` }).endpoint).toBe('https://api.hetzner.cloud/v1');
  });

  it('refuses ids that would build a different path', async () => {
    const client = await setup([]);
    await expect(client.servers.get(0)).rejects.toThrow(/invalid Hetzner resource id/);
    await expect(client.servers.get(1.5)).rejects.toThrow(/invalid Hetzner resource id/);
    await expect(client.servers.delete(Number.NaN)).rejects.toThrow(/invalid Hetzner resource id/);
    expect(api?.calls).toHaveLength(0);
  });
});
