// What the driver's flag table (driver/src/driver/flags.ts) generates outside the driver: the README's flag table and
// the extension's module of machine-pool fields. scripts/gen-flags.ts writes both; scripts/test/flag-table.test.ts
// fails when a committed copy differs from what is rendered here.
import { envVarOf, FLAG_KEYS, FLAGS, type FlagSpec, toRancherField } from '../../driver/src/driver/flags';

export const README_BEGIN = '<!-- flag table: generated from driver/src/driver/flags.ts by `pnpm gen:flags` -->';
export const README_END = '<!-- end of flag table -->';
export const EXTENSION_MODULE = 'extension/pkg/hetzner-node-driver/lib/driver-flags.ts';

function specs(): FlagSpec[] {
  return FLAG_KEYS.map((k) => FLAGS[k]);
}

/** The type Rancher's generated machine-config schema gives a flag's field: ints are strings there. */
export function schemaType(spec: FlagSpec): 'string' | 'boolean' | 'string[]' {
  if (spec.kind === 'bool') return 'boolean';
  if (spec.kind === 'stringSlice') return 'string[]';
  return 'string';
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export function renderReadmeTable(): string {
  const rows = specs().map((f) => {
    const def = f.default === undefined ? '' : `\`${f.default}\``;
    const what = [f.usage, f.readmeNote].filter(Boolean).join(' ');
    return `| \`${f.name}\` | \`${envVarOf(f.name)}\` | ${f.kind} | ${def} | ${cell(what)} |`;
  });
  return [
    README_BEGIN,
    '| flag | env | type | default | what it does |',
    '|---|---|---|---|---|',
    ...rows,
    README_END,
  ].join('\n');
}

/** The README with its flag table replaced by `table`; throws when the markers are missing. */
export function spliceReadme(readme: string, table: string): string {
  const start = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the flag table markers (${README_BEGIN})`);
  return readme.slice(0, start) + table + readme.slice(end + README_END.length);
}

/** The machine-pool fields in flag order: Rancher's field name, the flag, its schema type and default. */
export function poolFields(): Array<{ field: string; flag: string; type: string; default?: string }> {
  return specs()
    .filter((f) => f.formField !== false)
    .map((f) => ({
      field: toRancherField(f.name),
      flag: f.name,
      type: schemaType(f),
      ...(f.default === undefined ? {} : { default: String(f.default) }),
    }));
}

function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function renderExtensionModule(): string {
  // Shell's ESLint style: one property per line, values aligned.
  const lines = poolFields().flatMap(({ field, ...rest }) => {
    const entries = Object.entries(rest);
    const width = Math.max(...entries.map(([k]) => k.length)) + 1;
    const props = entries.map(
      ([k, v], i) => `    ${`${k}:`.padEnd(width)} ${quote(v)}${i < entries.length - 1 ? ',' : ''}`,
    );
    return [`  ${field}: {`, ...props, '  },'];
  });
  return [
    "// Generated from the driver's flag table (driver/src/driver/flags.ts) by `pnpm gen:flags`: do not edit.",
    '// scripts/test/flag-table.test.ts fails when this copy differs from what the table generates.',
    '// The machine-pool fields, as Rancher names them (the flag camelCased without "hetzner-"), with the type',
    "// Rancher's generated schema gives them (int flags are strings there) and the driver's default as a string.",
    'export const DRIVER_FIELDS = {',
    ...lines,
    '} as const;',
    '',
  ].join('\n');
}
