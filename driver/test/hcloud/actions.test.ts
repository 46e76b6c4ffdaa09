import { describe, expect, it } from 'vitest';
import { type Action, ActionError, ActionTimeoutError } from '../../src/hcloud';
import { action, type Step, scriptedClients } from './scripted-server';

const setup = scriptedClients({ poll: { initialMs: 500, maxMs: 2000, factor: 2 } });

const poll = (ids: number[], actions: object[]): Step => ({
  method: 'GET',
  path: `/actions?${ids.map((id) => `id=${id}`).join('&')}`,
  json: { actions, meta: { pagination: { page: 1, per_page: 25, next_page: null } } },
});

describe('actions.waitFor', () => {
  it('batches running actions, drops finished ones, backs off, and returns final states in input order', async () => {
    const { client, time, api } = await setup([
      poll([1, 2], [action(1, 'running', { progress: 40 }), action(2, 'running')]),
      poll([1, 2], [action(1, 'success'), action(2, 'running', { progress: 50 })]),
      poll([2], [action(2, 'running', { progress: 50 })]),
      poll([2], [action(2, 'success')]),
    ]);
    const seen: string[] = [];
    const done = await client.actions.waitFor(
      [action(1) as Action, 2, null, undefined, action(3, 'success') as Action],
      {
        onProgress: (a) => seen.push(`${a.id}:${a.status}:${a.progress}`),
      },
    );
    expect(done.map((a) => [a.id, a.status])).toEqual([
      [1, 'success'],
      [2, 'success'],
      [3, 'success'],
    ]);
    api.assertDone();
    expect(time.sleeps).toEqual([500, 1000, 2000, 2000]); // grows ×2 up to the 2 s ceiling
    expect(seen).toEqual([
      '3:success:100',
      '1:running:40',
      '2:running:0',
      '1:success:100',
      '2:running:50',
      '2:success:100',
    ]);
  });

  it('needs no request when every action has already finished', async () => {
    const { client, api } = await setup([]);
    const done = await client.actions.waitFor([action(5, 'success') as Action, null]);
    expect(done.map((a) => a.id)).toEqual([5]);
    expect(api.calls).toHaveLength(0);
  });

  it('splits more than 25 ids into several requests per poll', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => i + 1);
    const { client, api } = await setup([
      poll(
        ids.slice(0, 25),
        ids.slice(0, 25).map((id) => action(id, 'success')),
      ),
      poll(
        ids.slice(25),
        ids.slice(25).map((id) => action(id, 'success')),
      ),
    ]);
    const done = await client.actions.waitFor(ids);
    expect(done).toHaveLength(30);
    api.assertDone();
  });

  it('fails with ActionError on the first failed action', async () => {
    const { client, api } = await setup([
      poll(
        [7, 8],
        [
          action(7, 'running'),
          {
            ...action(8, 'error'),
            command: 'apply_firewall',
            error: { code: 'action_failed', message: 'firewall could not be applied' },
          },
        ],
      ),
    ]);
    const err = await client.actions.waitFor([7, 8]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActionError);
    const e = err as ActionError;
    expect(e.code).toBe('action_failed');
    expect(e.actionId).toBe(8);
    expect(e.command).toBe('apply_firewall');
    expect(e.message).toBe(
      'Hetzner action apply_firewall (id 8) failed with action_failed: firewall could not be applied',
    );
    api.assertDone();
  });

  it('fails with ActionError at once for an action passed in that already failed', async () => {
    const { client, api } = await setup([]);
    await expect(client.actions.waitFor([action(9, 'error') as Action])).rejects.toBeInstanceOf(ActionError);
    expect(api.calls).toHaveLength(0);
  });

  it('with keepErrors, waits for all and returns a failed action as it ended, for its owner to judge', async () => {
    const { client, api } = await setup([
      poll([1, 2], [action(1, 'error', { error: { code: 'boom', message: 'failed' } }), action(2, 'running')]),
      poll([2], [action(2, 'success')]),
    ]);
    const done = await client.actions.waitFor([action(1) as Action, action(2) as Action], { keepErrors: true });
    expect(done.map((a) => [a.id, a.status])).toEqual([
      [1, 'error'],
      [2, 'success'],
    ]);
    api.assertDone();
    // Judged afterwards without another request: the failure is still an ActionError.
    await expect(client.actions.waitFor(done)).rejects.toBeInstanceOf(ActionError);
  });

  it('times out with ActionTimeoutError at the deadline, naming what is still running', async () => {
    const running = poll([4], [action(4, 'running', { command: 'create_server', progress: 30 })]);
    const { client, time, api } = await setup([running, running, running]);
    const started = time.now;
    const err = await client.actions.waitFor([4], { timeoutMs: 3000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActionTimeoutError);
    expect((err as Error).message).toBe('Timed out after 3 s waiting for Hetzner actions: create_server 4 at 30%');
    expect((err as ActionTimeoutError).pending).toEqual([{ id: 4, command: 'create_server', progress: 30 }]);
    expect(time.now - started).toBe(3000);
    expect(time.sleeps).toEqual([500, 1000, 1500]); // the last sleep is cut short at the deadline
    api.assertDone();
  });

  it('reports actions the API does not know', async () => {
    const { client } = await setup([poll([1, 2], [action(1, 'running')])]);
    await expect(client.actions.waitFor([1, 2])).rejects.toThrow('Hetzner API returned no action for id(s) 2');
  });

  it('stops when the caller aborts', async () => {
    const { client, api } = await setup([]);
    const controller = new AbortController();
    controller.abort(new Error('stop waiting'));
    await expect(client.actions.waitFor([1], { signal: controller.signal })).rejects.toThrow('stop waiting');
    expect(api.calls).toHaveLength(0);
  });

  it('gets one action by id', async () => {
    const { client, api } = await setup([
      { method: 'GET', path: '/actions/12', json: { action: action(12, 'success') } },
    ]);
    expect((await client.actions.get(12))?.status).toBe('success');
    api.assertDone();
  });
});
