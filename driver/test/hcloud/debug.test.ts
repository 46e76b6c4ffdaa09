import { afterEach, describe, expect, it } from 'vitest';
import { HcloudClient } from '../../src/hcloud';
import { apiError, fakeTime, type Scripted, startScript, TOKEN } from './scripted-server';

let api: Scripted | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** The client's debug sink, recording each line as a logger's debug level would show it. */
function recordingSink() {
  const lines: string[] = [];
  const debug = (line: string) => {
    lines.push(`debug ${line}`);
  };
  return { lines, debug };
}

describe('debug logging', () => {
  it('logs method, path, status and duration per attempt, and never the token or bodies', async () => {
    const userData = '#cloud-config\nruncmd: [echo SECRET-BOOTSTRAP-TOKEN]\n';
    api = await startScript([
      {
        method: 'POST',
        path: '/servers',
        ...apiError(409, 'conflict'),
        headers: { 'X-Correlation-Id': 'c-1' },
      },
      { method: 'POST', path: '/servers', status: 201, json: { server: { id: 1 }, action: null, next_actions: [] } },
      { method: 'GET', path: '/servers/1', ...apiError(422, 'invalid_input', 'bad') },
    ]);
    const { lines, debug } = recordingSink();
    const time = fakeTime();
    const client = new HcloudClient({
      token: TOKEN,
      endpoint: api.url,
      debug,
      sleep: time.sleep,
      now: time.clock,
      random: () => 0.5,
    });
    await client.servers.create({ name: 'n', server_type: 'cx23', image: 'ubuntu-24.04', user_data: userData });
    await client.servers.get(1).catch(() => undefined);
    api.assertDone();

    expect(lines).toEqual([
      'debug hcloud: POST /servers 409 0 ms (correlation id c-1)',
      expect.stringMatching(/^debug hcloud: retry 1 of POST \/servers in 500 ms after: Hetzner API error 409 conflict/),
      'debug hcloud: POST /servers 201 0 ms',
      'debug hcloud: GET /servers/1 422 0 ms',
    ]);
    const all = lines.join('\n');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('SECRET-BOOTSTRAP-TOKEN');
    expect(all).not.toContain('cloud-config');
  });
});
