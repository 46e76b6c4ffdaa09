// Translates with the extension's real en-us.yaml, so tests see the strings users see. A missing key renders as
// %key% (as shell does for unknown keys) and is collected, so a test can assert none were used.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

export function t(key: string, args: Record<string, unknown> = {}): string {
  const msg = messages[key];

  if (msg === undefined) {
    if (key.startsWith('hetzner.')) missing.add(key);

    return `%${ key }%`;
  }

  return msg.replace(/\{(\w+)\}/g, (_, name: string) => (name in args ? String(args[name]) : `{${ name }}`));
}
