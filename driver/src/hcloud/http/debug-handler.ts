// One debug line per attempt: method, path, status, duration. Deliberately never the headers (the token) nor
// bodies (server creation carries user data).
import { describeTarget, type Handler } from './types';

/**
 * Where the client's debug lines go: one complete line per call, no newline. The client takes this, not the
 * application's logger (as hcloud-go takes an io.Writer), so it depends on no layer above it.
 */
export type DebugSink = (line: string) => void;

export function debugHandler(next: Handler, debug: DebugSink, now: () => number): Handler {
  return async (req) => {
    const started = now();
    try {
      const res = await next(req);
      const corr = res.headers.get('x-correlation-id');
      debug(
        `hcloud: ${req.method} ${describeTarget(req)} ${res.status} ${now() - started} ms${corr ? ` (correlation id ${corr})` : ''}`,
      );
      return res;
    } catch (err) {
      const why = err instanceof Error ? err.name : 'error';
      debug(`hcloud: ${req.method} ${describeTarget(req)} failed (${why}) after ${now() - started} ms`);
      throw err;
    }
  };
}
