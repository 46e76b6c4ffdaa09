// Actions: the API's handle on asynchronous work. Waiting batches ids into `GET /actions?id=…` with a growing
// poll interval, rather than polling each action every 500 ms. With typical durations configured, the first poll
// waits for the action's usual run time and later ones for the end its progress predicts, so a short action costs
// one request instead of one per half second.
import { ActionError, ActionTimeoutError } from '../errors';
import type { Sleep } from '../http/types';
import { idPath, orNull, type Requester } from './common';

export type ActionStatus = 'running' | 'success' | 'error';

export interface Action {
  id: number;
  command: string;
  status: ActionStatus;
  progress: number;
  started: string;
  finished: string | null;
  error: { code: string; message: string } | null;
  resources: Array<{ id: number; type: string }>;
}

export interface PollOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /**
   * Typical run time per command. When set, the first poll waits for the slowest (or, for chained actions, the sum)
   * of the running actions' typical times, and each later poll for the end their progress rate predicts, within
   * [initialMs, maxMs]. Unset: plain exponential backoff from initialMs.
   */
  expectedMs?: Readonly<Record<string, number>>;
}

/**
 * Run times of Hetzner Cloud actions as usually observed (a new server takes several seconds to be created, then
 * about a second to boot). Polling earlier than this can only find the action still running.
 */
export const TYPICAL_ACTION_MS: Readonly<Record<string, number>> = {
  create_server: 5000,
  start_server: 1000,
  stop_server: 1000,
  shutdown_server: 1500,
  reboot_server: 1500,
  reset_server: 1000,
  delete_server: 2000,
  attach_to_network: 1000,
  detach_from_network: 1000,
  apply_firewall: 500,
  remove_firewall: 500,
  set_firewall_rules: 500,
  add_to_placement_group: 500,
  remove_from_placement_group: 500,
};

/** The client's default: backoff from 500 ms to 5 s, first poll after the typical run time. */
export const DEFAULT_POLL: PollOptions = { initialMs: 500, maxMs: 5000, factor: 1.5, expectedMs: TYPICAL_ACTION_MS };

export interface WaitOptions {
  /** Overall deadline for all actions; default 10 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called with every observed state change (including already finished actions passed in). */
  onProgress?: (action: Action) => void;
  /**
   * The actions run one after the other (a server's `next_actions` start when its `create_server` ends), so the
   * expected wait is the sum of their typical times rather than the longest.
   */
  chained?: boolean;
  /**
   * Resolve with the final states even when an action failed, instead of rejecting with ActionError (timeouts
   * still reject): for one poll that serves several callers, each of which then judges its own actions.
   */
  keepErrors?: boolean;
}

/** hcloud-go polls `GET /actions` in chunks of 25 ids. */
const CHUNK = 25;
const DEFAULT_TIMEOUT_MS = 10 * 60_000;

export class ActionClient {
  constructor(
    private readonly api: Requester,
    private readonly poll: PollOptions,
    private readonly sleep: Sleep,
    private readonly now: () => number,
  ) {}

  async get(id: number): Promise<Action | null> {
    const r = await orNull(this.api.request<{ action: Action }>('GET', idPath('/actions', id)));
    return r?.action ?? null;
  }

  /**
   * Waits until every given action has finished and returns their final states in input order (nulls and
   * undefineds, which some endpoints return instead of an action, are skipped). Rejects with ActionError on the
   * first failed action and with ActionTimeoutError at the deadline.
   */
  async waitFor(actions: ReadonlyArray<Action | number | null | undefined>, o: WaitOptions = {}): Promise<Action[]> {
    const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const deadline = this.now() + timeoutMs;
    const order: number[] = [];
    const latest = new Map<number, Action>();
    const running = new Set<number>();

    for (const a of actions) {
      if (a === null || a === undefined) continue;
      const id = typeof a === 'number' ? a : a.id;
      if (latest.has(id) || running.has(id)) continue;
      order.push(id);
      if (typeof a === 'number' || a.status === 'running') {
        running.add(id);
        if (typeof a !== 'number') latest.set(id, a);
      } else {
        latest.set(id, a);
        this.settle(a, o);
      }
    }

    // Progress as first seen, per action, to turn later readings into a rate.
    const seen = new Map<number, { t: number; progress: number }>();
    const started = this.now();
    for (const id of running) seen.set(id, { t: started, progress: latest.get(id)?.progress ?? 0 });
    let backoff = this.poll.initialMs;
    let delay = this.firstDelay(running, latest, o.chained === true);
    while (running.size > 0) {
      const left = deadline - this.now();
      if (left <= 0) throw this.timeout(running, latest, timeoutMs);
      await this.sleep(Math.min(delay, left), o.signal);

      const ids = [...running];
      for (let i = 0; i < ids.length; i += CHUNK) {
        const chunk = ids.slice(i, i + CHUNK);
        const r = await this.api.request<{ actions: Action[] }>('GET', '/actions', {
          query: { id: chunk },
          signal: o.signal,
        });
        const got = new Set(r.actions.map((a) => a.id));
        const missing = chunk.filter((id) => !got.has(id));
        if (missing.length > 0) {
          throw new Error(`Hetzner API returned no action for id(s) ${missing.join(', ')}; they may have expired`);
        }
        for (const a of r.actions) {
          if (!running.has(a.id)) continue;
          const before = latest.get(a.id);
          latest.set(a.id, a);
          if (a.status === 'running') {
            if (!before || before.progress !== a.progress) o.onProgress?.(a);
            continue;
          }
          running.delete(a.id);
          this.settle(a, o);
        }
      }
      if (running.size > 0 && this.now() >= deadline) throw this.timeout(running, latest, timeoutMs);
      backoff = Math.min(this.poll.maxMs, backoff * this.poll.factor);
      delay = this.nextDelay(running, latest, seen, o.chained === true) ?? backoff;
    }
    return order.map((id) => latest.get(id)!);
  }

  /** Before any reading: the typical run time when known, else the initial interval. */
  private firstDelay(running: Set<number>, latest: Map<number, Action>, chained: boolean): number {
    const expected = this.poll.expectedMs;
    if (!expected || running.size === 0) return this.poll.initialMs;
    const times = [...running].map((id) => expected[latest.get(id)?.command ?? ''] ?? this.poll.initialMs);
    const total = chained ? times.reduce((a, b) => a + b, 0) : Math.max(...times);
    return this.clamp(total);
  }

  /**
   * After a reading: when the slowest running action is predicted to end, from its progress rate since it was first
   * seen (an action still at 0 % is assumed to need its typical time after the ones it may follow). Null when no
   * estimate is possible, so the caller falls back to backoff.
   */
  private nextDelay(
    running: Set<number>,
    latest: Map<number, Action>,
    seen: Map<number, { t: number; progress: number }>,
    chained: boolean,
  ): number | null {
    const expected = this.poll.expectedMs;
    if (!expected || running.size === 0) return null;
    const now = this.now();
    let moving = 0;
    let queued = 0;
    let unknown = false;
    for (const id of running) {
      const a = latest.get(id);
      const first = seen.get(id);
      if (!a || !first) {
        unknown = true;
        continue;
      }
      const elapsed = now - first.t;
      if (a.progress > first.progress && elapsed > 0) {
        const rate = (a.progress - first.progress) / elapsed;
        moving = Math.max(moving, (100 - a.progress) / rate);
      } else if (a.progress === 0 && expected[a.command] !== undefined) {
        const typical = expected[a.command]!;
        queued = chained ? queued + typical : Math.max(queued, typical);
      } else {
        unknown = true;
      }
    }
    if (unknown && moving === 0 && queued === 0) return null;
    const estimate = chained ? moving + queued : Math.max(moving, queued);
    // Progress is reported in whole percent, so the prediction runs early; a margin saves the extra poll.
    return this.clamp(estimate * 1.1 + this.poll.initialMs * 0.2);
  }

  private clamp(ms: number): number {
    return Math.min(this.poll.maxMs, Math.max(this.poll.initialMs, Math.ceil(ms)));
  }

  private settle(a: Action, o: WaitOptions): void {
    o.onProgress?.(a);
    if (a.status === 'error' && !o.keepErrors) {
      throw new ActionError({
        code: a.error?.code ?? 'unknown_error',
        message: a.error?.message ?? 'no error message',
        actionId: a.id,
        command: a.command,
      });
    }
  }

  private timeout(running: Set<number>, latest: Map<number, Action>, timeoutMs: number): ActionTimeoutError {
    const pending = [...running].map((id) => {
      const a = latest.get(id);
      return { id, command: a?.command ?? '', progress: a?.progress ?? 0 };
    });
    return new ActionTimeoutError(pending, timeoutMs);
  }
}
