// One debug line per attempt: method, path, status, duration. Deliberately never the headers (the token) nor
// bodies (server creation carries user data).
import type { Logger } from '../../driver/interface';
import { describeTarget, type Handler } from './types';

export function debugHandler(next: Handler, logger: Logger, now: () => number): Handler {
  return async (req) => {
    const started = now();
    try {
      const res = await next(req);
      const corr = res.headers.get('x-correlation-id');
      logger.debug(
        `hcloud: ${req.method} ${describeTarget(req)} ${res.status} ${now() - started} ms${corr ? ` (correlation id ${corr})` : ''}`,
      );
      return res;
    } catch (err) {
      const why = err instanceof Error ? err.name : 'error';
      logger.debug(`hcloud: ${req.method} ${describeTarget(req)} failed (${why}) after ${now() - started} ms`);
      throw err;
    }
  };
}
