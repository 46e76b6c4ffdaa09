import { afterEach } from 'vitest';
import { type MockOptions, type MockServer, startMock } from '../src/index';

export interface ApiResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests poke into JSON freely
  body: any;
  headers: Headers;
  text: string;
}

const started: MockServer[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((m) => m.stop()));
});

/** Fast clocks by default so the suite stays quick on a loaded machine. */
export async function mock(options: MockOptions = {}): Promise<MockServer> {
  const m = await startMock({ defaultActionMs: 30, labelSelectorPropagationMs: 30, ...options });
  started.push(m);
  return m;
}

export async function api(
  m: MockServer | string,
  method: string,
  path: string,
  body?: unknown,
  token: string | null = 'test-token',
): Promise<ApiResponse> {
  const base = typeof m === 'string' ? m : m.url;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = null;
  if (text !== '' && res.headers.get('content-type')?.startsWith('application/json')) parsed = JSON.parse(text);
  return { status: res.status, body: parsed, headers: res.headers, text };
}

/** Polls until `check` returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function waitActions(m: MockServer, ids: number[], timeoutMs = 5000) {
  return waitFor(
    `actions ${ids.join(',')}`,
    () => {
      const actions = ids.map((id) => m.state.actions.get(id));
      return actions.every((a) => a && a.status !== 'running') ? actions : null;
    },
    timeoutMs,
  );
}

/**
 * Finishes the given actions now (successfully). Tests that assert on "still running" use long durations and
 * settle explicitly, so they do not depend on how loaded the machine is.
 */
export function settle(m: MockServer, ids: number[]): void {
  for (const id of ids) {
    if (m.state.actions.get(id)?.status === 'running') m.state.completeAction(id);
  }
}

export const SSH_KEY_A =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGdGJ8m3w0h1Q1l7b8y5pQ1v1o8m2gqv7l1kqk0wPp3x a@example.com';
export const SSH_KEY_B =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBcQe0m7o6J3m8m4D0c8W0f6W1w9b1z3g9lYj3pXk8rT b@example.com';

export function createServerBody(name: string, extra: Record<string, unknown> = {}) {
  return { name, server_type: 'cx23', image: 'ubuntu-24.04', location: 'fsn1', ...extra };
}
