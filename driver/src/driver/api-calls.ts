// The driver's calls to Hetzner that wait: retries while a server is busy, safe repeats of creates, power actions and
// polling a server's status. Create, Remove and the power methods share them.
import { type HcloudClient, type HcloudErrorCode, isHcloudError, type Server } from '../hcloud';
import type { Logger } from '../log';

export interface DriverTimeouts {
  /** Create action plus follow-up actions (start, network attach, firewall apply). */
  createMs: number;
  /** Power actions and deletion. */
  actionMs: number;
  /** How long Stop waits for an ACPI shutdown before it powers the server off. */
  shutdownMs: number;
  /** First and longest interval when polling a server's status. */
  pollInitialMs: number;
  pollMaxMs: number;
  /** Attempts for a delete or power action that meets `locked`/`conflict`. */
  busyAttempts: number;
  /** Wait between those attempts (grows linearly). */
  busyRetryMs: number;
}

export const DEFAULT_TIMEOUTS: DriverTimeouts = {
  createMs: 10 * 60_000,
  actionMs: 5 * 60_000,
  shutdownMs: 2 * 60_000,
  pollInitialMs: 500,
  pollMaxMs: 5_000,
  busyAttempts: 10,
  busyRetryMs: 2_000,
};

/** What every waiting call needs: the client, where to log, how long to wait and how (tests shorten the sleep). */
export interface ApiCalls {
  client: HcloudClient;
  logger: Logger;
  timeouts: DriverTimeouts;
  sleep: (ms: number) => Promise<void>;
}

/** Calls `fn` up to `attempts` times while it fails with one of `codes`, waiting linearly longer each time. */
async function retryOn<T>(
  calls: ApiCalls,
  codes: HcloudErrorCode[],
  attempts: number,
  what: string,
  verb: string,
  fn: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isHcloudError(err, ...codes) || attempt >= attempts) throw err;
      calls.logger.debug(`${what}: ${err.code}, ${verb} (attempt ${attempt + 1})`);
      await calls.sleep(calls.timeouts.busyRetryMs * attempt);
    }
  }
}

/**
 * A 500 on a create may or may not have been applied, so the client does not repeat it. The driver's creates (SSH
 * key, server) are safe to repeat: a repeat of an applied one meets uniqueness_error, which Create resolves by
 * adopting what it made. One 500 then no longer costs the whole machine.
 */
export function repeatOnServerError<T>(calls: ApiCalls, what: string, fn: () => Promise<T>): Promise<T> {
  return retryOn(calls, ['server_error'], 3, what, 'repeating', fn);
}

/**
 * Retries `locked` and `conflict`: a server is locked while any action runs on it (a create that is still
 * finishing, a firewall being applied), which ends by itself.
 */
export function retryBusy<T>(calls: ApiCalls, what: string, fn: () => Promise<T>): Promise<T> {
  return retryOn(calls, ['locked', 'conflict'], calls.timeouts.busyAttempts, what, 'retrying', fn);
}

/** A power action on the server, waited for. */
export async function power(
  calls: ApiCalls,
  id: number,
  op: 'poweron' | 'poweroff' | 'shutdown' | 'reboot',
  timeoutMs = calls.timeouts.actionMs,
): Promise<void> {
  const action = await retryBusy(calls, `${op} server ${id}`, () => calls.client.servers[op](id));
  await calls.client.actions.waitFor([action], { timeoutMs });
}

/** Polls the server (backing off) until its status is one of `wanted`; StatusTimeoutError after `timeoutMs`. */
export async function waitForStatus(
  calls: ApiCalls,
  id: number,
  wanted: readonly string[],
  timeoutMs: number,
): Promise<Server> {
  const deadline = Date.now() + timeoutMs;
  let delay = calls.timeouts.pollInitialMs;
  for (;;) {
    const srv = await calls.client.servers.get(id);
    if (!srv) throw new Error(`Hetzner server ${id} not found while waiting for it to be ${wanted.join(' or ')}`);
    if (wanted.includes(srv.status)) return srv;
    if (Date.now() >= deadline) throw new StatusTimeoutError(srv, wanted, timeoutMs);
    await calls.sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
    delay = Math.min(calls.timeouts.pollMaxMs, delay * 1.5);
  }
}

export class StatusTimeoutError extends Error {
  constructor(server: Server, wanted: readonly string[], timeoutMs: number) {
    super(
      `Timed out after ${Math.round(timeoutMs / 1000)} s waiting for server ${server.name} (id ${server.id}) to be ` +
        `${wanted.join(' or ')}; it is ${server.status}`,
    );
  }
}
