// The protocol's real timing, end to end: a plugin process exits with code 1 ten seconds after the last
// .Heartbeat, or after its start when none ever comes (Rancher's flag introspection never heartbeats or closes).
// Two processes run side by side so the test costs one watchdog period.
import { describe, expect, it } from 'vitest';
import { PluginClient } from '../../src/plugin/client';
import { doublePluginCommand } from '../fixtures/plugin-command';

// 10 s is the contract; the upper margin absorbs a loaded 2-core machine (process exit and event delivery).
const MIN_MS = 9_900;
const MAX_MS = 12_500;

describe('heartbeat watchdog', () => {
  it('exits 1 10–11 s after the last heartbeat, or after start without any', { timeout: 40_000 }, async () => {
    const spawnedAt = Date.now();
    const silent = await PluginClient.spawn(doublePluginCommand());
    const addressAt = Date.now();
    // Rancher's introspection: one call, then silence, no Close.
    expect((await silent.getCreateFlags()).length).toBeGreaterThan(0);

    const beating = await PluginClient.spawn(doublePluginCommand());
    let lastBeat = 0;
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 1_500));
      await beating.heartbeat();
      lastBeat = Date.now();
    }

    const [silentExit, beatingExit] = await Promise.all([
      silent.exited.then((e) => ({ ...e, at: Date.now() })),
      beating.exited.then((e) => ({ ...e, at: Date.now() })),
    ]);
    expect(silentExit.code).toBe(1);
    expect(beatingExit.code).toBe(1);
    // The silent plugin's clock started when it began listening: after spawn, before we read the address.
    expect(silentExit.at - addressAt).toBeGreaterThanOrEqual(MIN_MS - (addressAt - spawnedAt));
    expect(silentExit.at - addressAt).toBeLessThanOrEqual(MAX_MS);
    expect(beatingExit.at - lastBeat).toBeGreaterThanOrEqual(MIN_MS);
    expect(beatingExit.at - lastBeat).toBeLessThanOrEqual(MAX_MS);
  });
});
