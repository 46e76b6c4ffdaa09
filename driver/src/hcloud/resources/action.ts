// Actions: the API's handle on asynchronous work. Waiting batches ids into `GET /actions?id=…` with a growing
// poll interval, rather than polling each action every 500 ms.
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
}

export interface WaitOptions {
  /** Overall deadline for all actions; default 10 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called with every observed state change (including already finished actions passed in). */
  onProgress?: (action: Action) => void;
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

    let delay = this.poll.initialMs;
    while (running.size > 0) {
      const left = deadline - this.now();
      if (left <= 0) throw this.timeout(running, latest, timeoutMs);
      await this.sleep(Math.min(delay, left), o.signal);
      delay = Math.min(this.poll.maxMs, delay * this.poll.factor);

      const ids = [...running];
      for (let i = 0; i < ids.length; i += CHUNK) {
        const chunk = ids.slice(i, i + CHUNK);
        const r = await this.api.request<{ actions: Action[] }>('GET', '/actions', {
          query: { id: chunk },
          signal: o.signal,
        });
        const seen = new Set(r.actions.map((a) => a.id));
        const missing = chunk.filter((id) => !seen.has(id));
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
    }
    return order.map((id) => latest.get(id)!);
  }

  private settle(a: Action, o: WaitOptions): void {
    o.onProgress?.(a);
    if (a.status === 'error') {
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
