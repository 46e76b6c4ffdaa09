import { isoNow } from './util';

export interface ActionError {
  code: string;
  message: string;
}

export interface ActionResource {
  id: number;
  type: string;
}

export interface Action {
  id: number;
  command: string;
  status: 'running' | 'success' | 'error';
  progress: number;
  started: string;
  finished: string | null;
  error: ActionError | null;
  resources: ActionResource[];
}

interface ActionRecord {
  action: Action;
  durationMs: number;
  /** Epoch ms when the action's clock started; null while it waits for the action it follows. */
  clockStartedAt: number | null;
  locks: string[];
  failWith: ActionError | null;
  onSuccess: (() => void) | undefined;
  onError: ((err: ActionError) => void) | undefined;
  followers: ActionRecord[];
  timer: NodeJS.Timeout | undefined;
}

export interface StartActionOptions {
  /** Resource keys (`server:ID`) held while the action runs; requests for new actions on them get 423. */
  locks?: string[];
  /** Start this action's clock only when `after` finishes (a server's `start_server` follows `create_server`). */
  after?: Action;
  onSuccess?: () => void;
  onError?: (err: ActionError) => void;
}

/** Per-request overrides set by fault rules (`actionFail`, `actionDurationMs`), optionally for one command. */
export interface ActionOverride {
  command?: string;
  failWith?: ActionError;
  durationMs?: number;
}

export const DEFAULT_DURATIONS: Record<string, number> = {
  create_server: 2000,
  start_server: 1000,
  stop_server: 1000,
  shutdown_server: 1500,
  reboot_server: 1500,
  reset_server: 1000,
  delete_server: 1000,
  apply_firewall: 300,
  remove_firewall: 300,
  set_firewall_rules: 300,
  attach_to_network: 500,
  detach_from_network: 500,
  attach_volume: 500,
  detach_volume: 500,
  create_volume: 500,
  resize_volume: 500,
  add_subnet: 200,
  delete_subnet: 200,
  add_route: 200,
  delete_route: 200,
  change_ip_range: 200,
  change_protection: 100,
  change_dns_ptr: 200,
  add_to_placement_group: 300,
  remove_from_placement_group: 300,
  create_primary_ip: 0,
};

export interface ActionEngineOptions {
  actionDurations?: Partial<Record<string, number>>;
  defaultActionMs?: number;
  manualActions?: boolean;
  nextId: () => number;
}

/**
 * Runs actions on real timers (or leaves them running in manual mode), maintains resource locks and calls the
 * state mutation attached to each action when it succeeds.
 */
export class ActionEngine {
  private readonly records = new Map<number, ActionRecord>();
  private readonly lockCounts = new Map<string, number>();
  overrides: ActionOverride[] = [];

  constructor(private readonly opts: ActionEngineOptions) {}

  get(id: number): Action | undefined {
    const rec = this.records.get(id);
    return rec ? this.view(rec) : undefined;
  }

  all(): Action[] {
    return [...this.records.values()].map((r) => this.view(r));
  }

  isLocked(key: string): boolean {
    return (this.lockCounts.get(key) ?? 0) > 0;
  }

  runningFor(key: string, command?: string): Action[] {
    return [...this.records.values()]
      .filter(
        (r) =>
          r.action.status === 'running' &&
          r.locks.includes(key) &&
          (command === undefined || r.action.command === command),
      )
      .map((r) => r.action);
  }

  durationFor(command: string): number {
    return this.opts.actionDurations?.[command] ?? this.opts.defaultActionMs ?? DEFAULT_DURATIONS[command] ?? 500;
  }

  start(command: string, resources: ActionResource[], options: StartActionOptions = {}): Action {
    const id = this.opts.nextId();
    const action: Action = {
      id,
      command,
      status: 'running',
      progress: 0,
      started: isoNow(),
      finished: null,
      error: null,
      resources,
    };
    let durationMs = this.durationFor(command);
    let failWith: ActionError | null = null;
    for (const o of this.overrides) {
      if (o.command !== undefined && o.command !== command) continue;
      if (o.durationMs !== undefined) durationMs = o.durationMs;
      if (o.failWith) failWith = o.failWith;
    }
    const rec: ActionRecord = {
      action,
      durationMs,
      clockStartedAt: null,
      locks: options.locks ?? [],
      failWith,
      onSuccess: options.onSuccess,
      onError: options.onError,
      followers: [],
      timer: undefined,
    };
    this.records.set(id, rec);
    for (const key of rec.locks) this.lockCounts.set(key, (this.lockCounts.get(key) ?? 0) + 1);
    const leader = options.after ? this.records.get(options.after.id) : undefined;
    if (leader && leader.action.status === 'running') leader.followers.push(rec);
    else this.startClock(rec);
    return action;
  }

  /** Finishes a running action now; used by manual mode, the control API and the timers. */
  complete(id: number, result: { error?: ActionError | null } = {}): Action {
    const rec = this.records.get(id);
    if (!rec) throw new Error(`action ${id} does not exist`);
    if (rec.action.status !== 'running') return rec.action;
    clearTimeout(rec.timer);
    const error = result.error ?? null;
    rec.action.status = error ? 'error' : 'success';
    rec.action.progress = 100;
    rec.action.finished = isoNow();
    rec.action.error = error;
    for (const key of rec.locks) {
      const n = (this.lockCounts.get(key) ?? 1) - 1;
      if (n <= 0) this.lockCounts.delete(key);
      else this.lockCounts.set(key, n);
    }
    if (error) rec.onError?.(error);
    else rec.onSuccess?.();
    for (const f of rec.followers) {
      if (error) this.complete(f.action.id, { error });
      else this.startClock(f);
    }
    return rec.action;
  }

  stopTimers(): void {
    for (const rec of this.records.values()) clearTimeout(rec.timer);
  }

  clear(): void {
    this.stopTimers();
    this.records.clear();
    this.lockCounts.clear();
    this.overrides = [];
  }

  private startClock(rec: ActionRecord): void {
    rec.clockStartedAt = Date.now();
    if (this.opts.manualActions) return;
    rec.timer = setTimeout(() => this.complete(rec.action.id, { error: rec.failWith }), rec.durationMs);
  }

  private view(rec: ActionRecord): Action {
    const a = rec.action;
    if (a.status === 'running' && rec.clockStartedAt !== null && rec.durationMs > 0) {
      a.progress = Math.min(99, Math.floor(((Date.now() - rec.clockStartedAt) / rec.durationMs) * 100));
    }
    return { ...a, resources: a.resources.map((r) => ({ ...r })), error: a.error ? { ...a.error } : null };
  }
}
