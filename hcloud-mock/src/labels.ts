import { invalidInput, isPlainObject } from './util';

export type Labels = Record<string, string>;

// The mock keeps its own label patterns and selector parser on purpose, apart from the driver's
// (driver/src/labels.ts, driver/src/firewall/labels.ts): it plays the API, so a bug in the client's rules must not
// be mirrored by the server it is tested against. The patterns the official SDK and spec use (reference §1.5).
const KEY_RE =
  /^([a-z0-9A-Z]((?:[-_.]|[a-z0-9A-Z]){0,253}[a-z0-9A-Z])?\/)?[a-z0-9A-Z]((?:[-_.]|[a-z0-9A-Z]|){0,61}[a-z0-9A-Z])?$/;
const VALUE_RE = /^(()|[a-z0-9A-Z]|([a-z0-9A-Z][a-z0-9A-Z._-]{0,61}[a-z0-9A-Z]))$/;

/** Validates a `labels` request field and returns it as a fresh map. */
export function validateLabels(value: unknown, field = 'labels'): Labels {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw invalidInput(field, 'must be an object of string values');
  const out: Labels = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw invalidInput(field, `label value for '${k}' must be a string`);
    if (!KEY_RE.test(k)) throw invalidInput(field, `label key '${k}' is invalid`);
    if (k.startsWith('hetzner.cloud/')) throw invalidInput(field, `label key '${k}' uses the reserved prefix`);
    if (!VALUE_RE.test(v)) throw invalidInput(field, `label value '${v}' of key '${k}' is invalid`);
    out[k] = v;
  }
  return out;
}

export type SelectorTerm =
  | { op: 'eq' | 'ne'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

/** Splits on commas that are not inside `( … )`, so `a in (x,y),b` gives two terms. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  terms.push(current);
  return terms.map((t) => t.trim());
}

const KEY_TOKEN = '[A-Za-z0-9][A-Za-z0-9._/-]*';

/** Parses the official selector grammar; throws `invalid_input` on `label_selector` for anything else. */
export function parseSelector(selector: string, field = 'label_selector'): SelectorTerm[] {
  const bad = () => invalidInput(field, `invalid label selector '${selector}'`);
  if (selector.trim() === '') throw bad();
  return splitTerms(selector).map((term): SelectorTerm => {
    let m = new RegExp(`^(${KEY_TOKEN})\\s*(==|!=|=)\\s*([A-Za-z0-9._-]*)$`).exec(term);
    if (m) return { op: m[2] === '!=' ? 'ne' : 'eq', key: m[1]!, value: m[3]! };
    m = new RegExp(`^(${KEY_TOKEN})\\s+(in|notin)\\s*\\(([^()]*)\\)$`).exec(term);
    if (m) {
      const values = m[3]!.split(',').map((v) => v.trim());
      if (values.some((v) => !VALUE_RE.test(v))) throw bad();
      return { op: m[2] === 'in' ? 'in' : 'notin', key: m[1]!, values };
    }
    m = new RegExp(`^(!?)\\s*(${KEY_TOKEN})$`).exec(term);
    if (m) return { op: m[1] ? 'notexists' : 'exists', key: m[2]! };
    throw bad();
  });
}

/**
 * `!=` and `notin` match resources that lack the key (Kubernetes semantics); the public docs do not say otherwise.
 */
export function matchSelector(terms: SelectorTerm[], labels: Labels): boolean {
  return terms.every((t) => {
    const has = Object.hasOwn(labels, t.key);
    const v = labels[t.key];
    switch (t.op) {
      case 'eq':
        return has && v === t.value;
      case 'ne':
        return !has || v !== t.value;
      case 'in':
        return has && t.values.includes(v!);
      case 'notin':
        return !has || !t.values.includes(v!);
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
    return false;
  });
}
