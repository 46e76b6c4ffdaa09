// Each flag is declared once (driver/src/driver/flags.ts); this file fails when a flag lacks one of the pieces derived
// from it: its field in the extension's generated module, its README row, or a stored-config key that round-trips.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  emptyConfig,
  parseConfig,
  SECRET_CONFIG_KEYS,
  serializeConfig,
  settingsOfConfig,
  storeSettings,
} from '../../driver/src/driver/config';
import {
  createFlags,
  envVarOf,
  FLAG_KEYS,
  FLAGS,
  type FlagKey,
  type FlagSettings,
  type FlagSpec,
  readFlags,
  toRancherField,
} from '../../driver/src/driver/flags';
import {
  EXTENSION_MODULE,
  README_BEGIN,
  README_END,
  renderExtensionModule,
  renderReadmeTable,
  schemaType,
} from '../lib/flag-outputs';
import { repoRoot } from './helpers/driver-binary';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const extensionModule = readFileSync(join(repoRoot, EXTENSION_MODULE), 'utf8');
const readmeTable = readme.slice(readme.indexOf(README_BEGIN), readme.indexOf(README_END) + README_END.length);

/** The generated module's fields, read back from the committed text: `field: {` then `key: 'value'` lines. */
function committedFields(): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  let current: Record<string, string> | null = null;
  for (const line of extensionModule.split('\n')) {
    const open = /^ {2}(\w+): \{$/.exec(line);
    const prop = /^ {4}(\w+): +'([^']*)',?$/.exec(line);
    if (open) {
      current = {};
      out.set(open[1]!, current);
    } else if (prop && current) current[prop[1]!] = prop[2]!;
  }
  return out;
}

function readmeRow(name: string): string[] | null {
  const row = readmeTable.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
  return row ? row.split(' | ').map((c) => c.replace(/^\| |\s*\|$/g, '')) : null;
}

/** A value of the flag's kind that no default has, so a copy that drops it shows. */
function sample(key: FlagKey): FlagSettings[FlagKey] {
  const spec: FlagSpec = FLAGS[key];
  if (spec.storedAs === 'labels') return [`${key.toLowerCase()}=x`, 'team=a'];
  switch (spec.kind) {
    case 'string':
      return `value-of-${key}`;
    case 'int':
      return 2222;
    case 'bool':
      return true;
    case 'stringSlice':
      return [`${key}-1`, `${key}-2`];
  }
}

describe('the committed copies are what the flag table generates', () => {
  it('the extension module (run `pnpm gen:flags` after changing flags.ts)', () => {
    expect(extensionModule).toBe(renderExtensionModule());
  });

  it('the README flag table (run `pnpm gen:flags` after changing flags.ts)', () => {
    expect(readmeTable).toBe(renderReadmeTable());
  });
});

// Only these flags have no form field, and only these are never stored: a new flag must be in both places or be
// named here on purpose.
const NOT_IN_FORM = ['apiToken', 'userData'];
const NOT_STORED = ['userData', 'additionalUserData'];

describe.each(FLAG_KEYS)('flag %s', (key) => {
  const spec: FlagSpec = FLAGS[key];

  it('has its row in the README, cell by cell', () => {
    expect(readmeRow(spec.name)).toEqual([
      `\`${spec.name}\``,
      `\`${envVarOf(spec.name)}\``,
      spec.kind,
      spec.default === undefined ? '' : `\`${spec.default}\``,
      [spec.usage, spec.readmeNote].filter(Boolean).join(' '),
    ]);
  });

  it("has its field in the extension's module with the type of Rancher's schema", () => {
    const field = committedFields().get(toRancherField(spec.name));
    if (NOT_IN_FORM.includes(key)) {
      expect(field).toBeUndefined();
      return;
    }
    expect(field).toEqual({
      flag: spec.name,
      type: schemaType(spec),
      ...(spec.default === undefined ? {} : { default: String(spec.default) }),
    });
  });

  it('is stored under its config key and read back the same (also by a later process)', () => {
    const settings = readFlags(new Map());
    const value = sample(key);
    (settings as Record<string, unknown>)[key] = value;
    const config = emptyConfig();
    storeSettings(config, settings);
    const json = JSON.parse(new TextDecoder().decode(serializeConfig(config))) as Record<string, unknown>;
    const back = settingsOfConfig(parseConfig(JSON.stringify(json)));
    if (NOT_STORED.includes(key)) {
      expect(spec.stored).toBeNull();
      expect(JSON.stringify(json)).not.toContain(String(value));
      expect(back[key]).toEqual(readFlags(new Map())[key]);
      return;
    }
    expect(spec.stored).toEqual(expect.any(String));
    expect(json).toHaveProperty(spec.stored as string);
    expect(back[key]).toEqual(value);
  });
});

describe('the table as a whole', () => {
  it('names distinct flags, settings keys and stored keys', () => {
    const names = FLAG_KEYS.map((k) => FLAGS[k].name);
    const stored = FLAG_KEYS.map((k) => FLAGS[k].stored).filter((s) => s !== null);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(stored).size).toBe(stored.length);
    expect(createFlags().map((f) => f.name)).toEqual(names);
  });

  it('keeps the token out of every generated copy and marks its stored key secret', () => {
    expect(SECRET_CONFIG_KEYS).toEqual(['AccessToken']);
    expect(extensionModule).not.toContain('apiToken');
    expect(NOT_IN_FORM.every((k) => k in FLAGS)).toBe(true);
    expect(NOT_STORED.every((k) => k in FLAGS)).toBe(true);
  });
});
