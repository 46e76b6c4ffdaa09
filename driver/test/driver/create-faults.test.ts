// Create must never leak: whatever step fails, the mock ends up holding no server and no key of the machine.
import type { MockServer } from 'hcloud-mock';
import { describe, expect, it } from 'vitest';
import { CREATE_FAULTS, serverError } from './create-fault-table';
import { captureLogger, configuredDriver, fastMockPerFile, resourcesOf, TOKEN } from './helpers';

let mock: MockServer;
fastMockPerFile(
  { tokens: [TOKEN] },
  (m) => {
    mock = m;
  },
  { clearFaults: true },
);

describe('Create rolls back on every failure', () => {
  it.each(CREATE_FAULTS)('%s', async (_name, fault, pattern) => {
    const name = `fault-${Math.random().toString(36).slice(2, 8)}`;
    const logger = captureLogger();
    const d = await configuredDriver(mock, name, {}, { logger, timeouts: { createMs: 400, busyRetryMs: 40 } });
    await d.preCreateCheck();
    mock.faults.add(fault);
    const err = await d.create().then(
      () => null,
      (e: Error) => e,
    );
    expect(err).not.toBeNull();
    expect(err!.message).toMatch(pattern);
    expect(err!.message).toMatch(/Everything it created has been removed/);
    expect(err!.message).not.toContain(TOKEN);
    mock.faults.clear();
    expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
    const cfg = JSON.parse(new TextDecoder().decode(await d.getConfigRaw()));
    expect(cfg.ServerID).toBe(0);
    expect(logger.text()).toMatch(/removing what was created/);
  });

  it('sends the DELETE again when a delete_server action fails, so one failed action leaves no server', async () => {
    // The soak's leak (issue 15): a keeper's Create failed, the rollback's delete action failed once, and the server
    // lived on until Rancher's next rm.
    const d = await configuredDriver(mock, 'fault-delete-once', {}, { timeouts: { busyRetryMs: 20 } });
    mock.faults.add({
      match: { method: 'POST', path: '/servers' },
      effect: { actionFail: { code: 'action_failed', message: 'boom' }, command: 'create_server' },
    });
    mock.faults.add({
      match: { method: 'DELETE', path: '/servers/{id}' },
      when: { times: 1 },
      effect: { actionFail: { code: 'action_failed', message: 'deletion failed' }, command: 'delete_server' },
    });
    await expect(d.create()).rejects.toThrow(/Everything it created has been removed/);
    mock.faults.clear();
    expect(resourcesOf(mock, 'fault-delete-once')).toEqual({ servers: [], keys: [] });
  });

  it('still deletes the server it knows when looking up leftovers fails during the rollback', async () => {
    const d = await configuredDriver(mock, 'fault-list-fails', {}, { timeouts: { busyRetryMs: 20 } });
    await d.preCreateCheck();
    mock.faults.add({
      match: { method: 'POST', path: '/servers' },
      effect: { actionFail: { code: 'action_failed', message: 'boom' }, command: 'create_server' },
    });
    mock.faults.add({
      match: { method: 'GET', path: '/servers' },
      effect: { status: 403, code: 'forbidden', message: 'listing is forbidden' },
    });
    await expect(d.create()).rejects.toThrow(/Cleanup also failed \(finding servers of fault-list-fails: .*forbidden/);
    mock.faults.clear();
    expect(resourcesOf(mock, 'fault-list-fails').servers).toEqual([]);
  });

  it('gives up after three failed delete_server actions and says what to delete by hand', async () => {
    const d = await configuredDriver(mock, 'fault-delete-always', {}, { timeouts: { busyRetryMs: 20 } });
    mock.faults.add({
      match: { method: 'POST', path: '/servers' },
      effect: { actionFail: { code: 'action_failed', message: 'boom' }, command: 'create_server' },
    });
    mock.faults.add({
      match: { method: 'DELETE', path: '/servers/{id}' },
      effect: { actionFail: { code: 'action_failed', message: 'deletion failed' }, command: 'delete_server' },
    });
    const before = mock.requests.length;
    await expect(d.create()).rejects.toThrow(/Cleanup also failed .*deletion failed/);
    const deletes = mock.requests.slice(before).filter((r) => r.method === 'DELETE' && /^\/servers\/\d+$/.test(r.path));
    expect(deletes).toHaveLength(3);
    mock.faults.clear();
    await d.remove();
    expect(resourcesOf(mock, 'fault-delete-always')).toEqual({ servers: [], keys: [] });
  });

  it('says what to delete by hand when the cleanup fails too, and Remove finishes the job later', async () => {
    const d = await configuredDriver(mock, 'fault-cleanup', {}, { timeouts: { busyAttempts: 2 } });
    mock.faults.add({
      match: { method: 'POST', path: '/servers' },
      effect: { actionFail: { code: 'action_failed', message: 'boom' }, command: 'create_server' },
    });
    mock.faults.add({ match: { method: 'DELETE', path: '/servers/{id}' }, effect: serverError });
    await expect(d.create()).rejects.toThrow(
      /Cleanup also failed .*delete the resources labelled managed-by=rancher-machine,machine=fault-cleanup/,
    );
    mock.faults.clear();
    expect(resourcesOf(mock, 'fault-cleanup').servers).toHaveLength(1);
    await d.remove();
    expect(resourcesOf(mock, 'fault-cleanup')).toEqual({ servers: [], keys: [] });
  });
});
