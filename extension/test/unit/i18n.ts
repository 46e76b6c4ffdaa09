// Translates with the extension's real en-us.yaml the way the Dashboard host does (shell/plugins/i18n.js
// `stringFor` over the i18n store's `t` getter): ICU message format for messages with arguments, and the result
// HTML-escaped unless the caller asks for it raw. A missing key renders as %key% (%key(args)%, unescaped, when
// arguments were given) and is collected, so a test can assert none were used.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IntlMessageFormat } from 'intl-messageformat';
import jsyaml from 'js-yaml';

// jsdom replaces the global URL, so resolve the path without it.
const file = join(dirname(fileURLToPath(import.meta.url)), '../../pkg/hetzner-node-driver/l10n/en-us.yaml');

function flatten(obj: Record<string, unknown>, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${ prefix }.${ k }` : k;

    if (v && typeof v === 'object') flatten(v as Record<string, unknown>, key, out);
    else out[key] = String(v);
  }

  return out;
}

export const messages = flatten(jsyaml.load(readFileSync(file, 'utf8')) as Record<string, unknown>);
export const missing = new Set<string>();

const ENTITIES: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'
};

/** shell/utils/string.js escapeHtml. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

const formatters = new Map<string, IntlMessageFormat>();

/** The i18n store's `t` getter: the message, ICU-formatted when it has arguments (the host adds a few of its own). */
function translate(key: string, args: Record<string, unknown>): string | undefined {
  const msg = messages[key];

  if (msg === undefined || !msg.includes('{')) return msg;
  let f = formatters.get(key);

  if (!f) {
    f = new IntlMessageFormat(msg, 'en-us');
    formatters.set(key, f);
  }

  return String(f.format({
    vendor: 'Rancher', appName: 'Rancher', docsBase: 'https://ranchermanager.docs.rancher.com', ...args
  } as Record<string, string>));
}

/** The host's global `t(key, args, raw)`: HTML-escaped unless `raw`. */
export function t(key: string, args: Record<string, unknown> = {}, raw = false): string {
  let out = translate(key, args);

  if (out === undefined) {
    if (key.startsWith('hetzner.')) missing.add(key);
    if (args && Object.keys(args).length) {
      out = `%${ key }(${ Object.entries(args).map(([k, v]) => `${ k }: ${ v }`).join(', ') })%`;
      raw = true;
    } else {
      out = `%${ key }%`;
    }
  }

  return raw ? out : escapeHtml(out);
}

/** What a user reads: text with an HTML entity in it means a string was escaped once too often. */
export const VISIBLE_ENTITY = /&(?:amp|lt|gt|quot|#39|#x27|#x2F);/;
