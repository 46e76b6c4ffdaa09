// Turns non-2xx answers into typed errors: the API's envelope becomes HcloudError, anything else HttpStatusError.
// What the answer says is cut free of the token first (see redact.ts): these texts end up in errors and logs.
import { HcloudError, HttpStatusError } from '../errors';
import { redactDeep, redactToken } from '../redact';
import { describeTarget, type Handler } from './types';

export function errorHandler(next: Handler, opts: { token?: string } = {}): Handler {
  const token = opts.token ?? '';
  return async (req) => {
    const res = await next(req);
    if (res.status < 400) return res;
    const correlationId = res.headers.get('x-correlation-id') ?? undefined;
    const envelope = (res.json as { error?: unknown } | undefined)?.error;
    if (envelope && typeof envelope === 'object' && typeof (envelope as { code?: unknown }).code === 'string') {
      const e = envelope as { code: string; message?: unknown; details?: unknown };
      throw new HcloudError({
        status: res.status,
        code: e.code,
        message: typeof e.message === 'string' ? redactToken(e.message, token) : '',
        details: redactDeep(e.details, token),
        correlationId,
        method: req.method,
        path: describeTarget(req),
      });
    }
    const isJson = res.json !== undefined;
    throw new HttpStatusError({
      status: res.status,
      method: req.method,
      path: describeTarget(req),
      correlationId,
      body: isJson ? undefined : redactToken(res.text, token),
    });
  };
}
