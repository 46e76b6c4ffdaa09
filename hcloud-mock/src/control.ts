// The mock's control API under /__mock/: faults (add, list, remove, clear), the request log, stats, a state
// snapshot, reset, and completing manual actions. Used by tests and tools in other languages; not part of Hetzner's
// API, so it needs no token.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type FaultRegistry, type FaultRule, ruleFromJson } from './faults';
import { errorReply, readBody, send } from './http';
import type { ConcurrentSetRulesMode } from './records';
import type { MockState } from './state';
import { ApiError, isPlainObject } from './util';

/** What the control API reaches of a running mock. */
export interface ControlContext {
  state: MockState;
  faults: FaultRegistry;
  /** The request log and the stats, answered as they are (server.ts defines their shapes). */
  requests: readonly object[];
  stats(): object;
  reset(): void;
}

export async function handleControl(
  ctx: ControlContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const { state, faults, requests } = ctx;
  const method = req.method ?? 'GET';
  const path = url.pathname.slice('/__mock'.length);
  const raw = await readBody(req);
  const json = (status: number, body?: unknown) => send(res, { status, body }, {});
  let body: unknown;
  try {
    body = raw.trim() === '' ? {} : JSON.parse(raw);
  } catch {
    return json(400, { error: { code: 'json_error', message: 'request body is not valid JSON' } });
  }
  const b = isPlainObject(body) ? body : {};
  try {
    if (method === 'POST' && path === '/faults') {
      if (typeof b.concurrentSetRules === 'string') {
        faults.setConcurrentSetRules(b.concurrentSetRules as ConcurrentSetRulesMode);
        return json(200, { concurrentSetRules: state.concurrentSetRules });
      }
      if (isPlainObject(b.chaos)) return json(201, { id: faults.chaos(b.chaos as never) });
      return json(201, { id: faults.add(ruleFromJson(b)) });
    }
    if (method === 'GET' && path === '/faults') {
      return json(200, {
        faults: faults.list().map((f) => ({ ...f, rule: serializableRule(f.rule) })),
        concurrentSetRules: state.concurrentSetRules,
      });
    }
    if (method === 'DELETE' && path === '/faults') {
      faults.clear();
      return json(204);
    }
    const fm = /^\/faults\/(\d+)$/.exec(path);
    if (method === 'DELETE' && fm) return json(faults.remove(Number(fm[1])) ? 204 : 404);
    if (method === 'GET' && path === '/requests') return json(200, { requests });
    if (method === 'GET' && path === '/stats') return json(200, ctx.stats());
    if (method === 'GET' && path === '/state') return json(200, state.snapshot());
    if (method === 'POST' && path === '/reset') {
      ctx.reset();
      return json(204);
    }
    const am = /^\/actions\/(\d+)\/complete$/.exec(path);
    if (method === 'POST' && am) {
      const error = isPlainObject(b.error) ? (b.error as { code: string; message: string }) : null;
      return json(200, { action: state.completeAction(Number(am[1]), { error }) });
    }
    return json(404, { error: { code: 'not_found', message: `no control endpoint ${method} ${url.pathname}` } });
  } catch (err) {
    if (err instanceof ApiError) return send(res, errorReply(err), {});
    return json(400, { error: { code: 'invalid_input', message: (err as Error).message } });
  }
}

function serializableRule(rule: FaultRule): unknown {
  const path = rule.match?.path;
  return {
    ...rule,
    match: rule.match
      ? {
          ...rule.match,
          // RegExp#source escapes slashes; show the pattern as it was written.
          path: path instanceof RegExp ? path.source.replaceAll('\\/', '/') : path,
          body: undefined,
        }
      : undefined,
  };
}
