// Keeps the API token out of what the API says back. Hetzner's error messages may name the token they refer to by a
// fragment (its rate-limit answers echo a prefix and suffix, e.g. "token abcd…wxyz"); those messages become error
// texts and log lines, so every piece of the token is cut out of them before they leave the client.

/** What a cut-out piece is replaced with. */
export const REDACTED = '[redacted]';

/**
 * A run of token characters this long that occurs in the token is taken for a fragment of it. Hetzner tokens are
 * 64 random letters and digits, so an innocent word of four characters matches by chance about once in 10^5.
 */
const MIN_FRAGMENT = 4;
/** Beside an ellipsis or asterisks (the usual way of shortening a secret), three characters are a fragment too. */
const MIN_MASKED_FRAGMENT = 3;

const RUN = /[A-Za-z0-9_-]+/g;
const MASK = /^(?:…|\.\.\.|\*)/;
const MASK_BEFORE = /(?:…|\.\.\.|\*)$/;

/**
 * `text` with the token and every fragment of it removed: each run of letters, digits, `_` and `-` that is part of
 * the token (at least MIN_FRAGMENT long, or MIN_MASKED_FRAGMENT next to "…", "..." or "*"), or that contains an
 * 8-character piece of it, becomes REDACTED. Runs are whole words, so the rest of the message stays readable.
 */
export function redactToken(text: string, token: string): string {
  if (!token || !text) return text;
  let out = text.split(token).join(REDACTED);
  out = out.replace(RUN, (run, offset: number, whole: string) => {
    if (run === REDACTED.slice(1, -1)) return run;
    const masked = MASK.test(whole.slice(offset + run.length)) || MASK_BEFORE.test(whole.slice(0, offset));
    const min = masked ? MIN_MASKED_FRAGMENT : MIN_FRAGMENT;
    if (run.length >= min && token.includes(run)) return REDACTED;
    return containsPiece(run, token, 8) ? REDACTED : run;
  });
  return out;
}

/** Whether `run` holds a piece of `token` at least `len` characters long. */
function containsPiece(run: string, token: string, len: number): boolean {
  if (run.length < len) return false;
  for (let i = 0; i + len <= run.length; i++) {
    if (token.includes(run.slice(i, i + len))) return true;
  }
  return false;
}

/** Every string inside a JSON value (error `details`) redacted the same way; other values are kept. */
export function redactDeep(value: unknown, token: string): unknown {
  if (typeof value === 'string') return redactToken(value, token);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, token));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, token)]));
  }
  return value;
}
