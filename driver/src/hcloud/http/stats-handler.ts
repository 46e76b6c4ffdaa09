// Counts every attempt that goes on the wire, per endpoint shape, so tests and benchmarks can measure API budget.
import type { Handler } from './types';

export interface ClientStats {
  requests: number;
  /** Keyed like `GET /servers/{id}`. */
  byEndpoint: Map<string, number>;
  retries: number;
  rateLimitWaits: number;
}

export function endpointKey(method: string, path: string): string {
  return `${method} ${path.replace(/\/\d+(?=\/|$)/g, '/{id}')}`;
}

export function statsHandler(next: Handler, stats: ClientStats): Handler {
  return (req) => {
    stats.requests++;
    const key = endpointKey(req.method, req.path);
    stats.byEndpoint.set(key, (stats.byEndpoint.get(key) ?? 0) + 1);
    return next(req);
  };
}
