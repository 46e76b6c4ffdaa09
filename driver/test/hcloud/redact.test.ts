// Hetzner's rate-limit answers name the token they count against by a fragment of it. Those texts become error
// messages and log lines, so the client cuts every fragment out.
import { describe, expect, it } from 'vitest';
import { HcloudError, HttpStatusError } from '../../src/hcloud';
import { REDACTED, redactDeep, redactToken } from '../../src/hcloud/redact';
import { scriptedClients } from './scripted-server';

/** Shaped like a Hetzner Cloud API token: 64 letters and digits. */
const TOKEN = 'u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8dKLzdocJ2isAjIhKtJ0RlgLKOmxgJ';
const HEAD = TOKEN.slice(0, 4);
const TAIL = TOKEN.slice(-4);

describe('redactToken', () => {
  it.each([
    [`limit of 3600 requests per hour reached for token ${HEAD}…${TAIL}`, `for token ${REDACTED}…${REDACTED}`],
    [`rate limit exceeded for token ${HEAD}...${TAIL}, retry after 30 seconds`, `${REDACTED}...${REDACTED}, retry`],
    [
      `rate limit exceeded for API token "${TOKEN.slice(0, 8)}..." (project 1234567)`,
      `"${REDACTED}..." (project 1234567)`,
    ],
    [`token ${'*'.repeat(60)}${TAIL} has exceeded its rate limit`, `${'*'.repeat(60)}${REDACTED} has exceeded`],
    [`token ${TOKEN.slice(0, 3)}…${TOKEN.slice(-3)} has exceeded its rate limit`, `token ${REDACTED}…${REDACTED} has`],
    [`Authorization: Bearer ${TOKEN}`, `Authorization: Bearer ${REDACTED}`],
    // A piece of the token glued to other characters.
    [`token=xx${TOKEN.slice(10, 22)}yy`, `token=${REDACTED}`],
  ])('%s', (message, kept) => {
    const out = redactToken(message, TOKEN);
    expect(out).toContain(kept);
    for (let i = 0; i + 3 <= TOKEN.length; i++) {
      const piece = TOKEN.slice(i, i + 4);
      expect(out.includes(piece), `fragment ${piece} left in ${out}`).toBe(false);
    }
  });

  it('leaves a message without any of the token as it is', () => {
    const text = 'limit of 3600 requests per hour reached; retry after 30 seconds (project 1234567)';
    expect(redactToken(text, TOKEN)).toBe(text);
    expect(redactToken(text, '')).toBe(text);
    // Three characters alone are no fragment (too likely by chance), only beside an ellipsis or asterisks.
    expect(redactToken(`code ${TOKEN.slice(5, 8)} here`, TOKEN)).toBe(`code ${TOKEN.slice(5, 8)} here`);
  });

  it('reaches strings inside error details', () => {
    const details = { fields: [{ name: 'token', messages: [`${HEAD}…${TAIL} is rate limited`] }], limit: 3600 };
    expect(redactDeep(details, TOKEN)).toEqual({
      fields: [{ name: 'token', messages: [`${REDACTED}…${REDACTED} is rate limited`] }],
      limit: 3600,
    });
  });
});

describe('the client', () => {
  const setup = scriptedClients({ token: TOKEN, random: () => 0, maxRetries: 0, rateLimitRetries: 0 });

  function expectClean(text: string) {
    expect(text).not.toContain(HEAD);
    expect(text).not.toContain(TAIL);
    expect(text).not.toContain(TOKEN);
  }

  it('a 429 whose message echoes the token: neither the error nor the debug log holds a fragment', async () => {
    const lines: string[] = [];
    const { client } = await setup(
      [
        {
          method: 'GET',
          path: '/servers/1',
          status: 429,
          json: {
            error: {
              code: 'rate_limit_exceeded',
              message: `limit of 3600 requests per hour reached for token ${HEAD}…${TAIL}`,
              details: { token: `${HEAD}…${TAIL}` },
            },
          },
        },
      ],
      { debug: (m) => lines.push(m) },
    );
    const err = await client.servers.get(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HcloudError);
    const e = err as HcloudError;
    expect(e.code).toBe('rate_limit_exceeded');
    expect(e.apiMessage).toBe(`limit of 3600 requests per hour reached for token ${REDACTED}…${REDACTED}`);
    expectClean(`${e.message} ${e.apiMessage} ${JSON.stringify(e.details)} ${e.stack} ${lines.join('\n')}`);
  });

  it('the same in an answer without a JSON envelope', async () => {
    const { client } = await setup([
      {
        method: 'GET',
        path: '/servers/1',
        status: 502,
        text: `Too many requests for token ${HEAD}…${TAIL}`,
        headers: { 'Content-Type': 'text/plain' },
      },
    ]);
    const err = await client.servers.get(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpStatusError);
    expect((err as Error).message).toContain(`Too many requests for token ${REDACTED}…${REDACTED}`);
    expectClean(`${(err as Error).message} ${(err as Error).stack}`);
  });
});
