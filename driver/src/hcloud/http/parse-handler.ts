// Decodes JSON answers. Like hcloud-go, a body only counts as JSON when the Content-Type says so; anything else
// (a proxy's HTML error page) stays text and is reported by status alone.
import type { Handler } from './types';

export function parseHandler(next: Handler): Handler {
  return async (req) => {
    const res = await next(req);
    const type = res.headers.get('content-type') ?? '';
    if (res.text !== '' && type.toLowerCase().startsWith('application/json')) {
      try {
        res.json = JSON.parse(res.text);
      } catch {
        // Malformed JSON is treated like a bare answer; the error handler reports the status.
        res.json = undefined;
      }
    }
    return res;
  };
}
