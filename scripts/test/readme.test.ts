// The README is the user's reference for the driver's flags: it must list exactly the flags the driver offers,
// with their environment variables, and name the commands that really exist.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFlags } from '../../driver/src/driver/flags';
import { repoRoot } from './helpers/driver-binary';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};

describe('README', () => {
  it('documents every driver flag with its environment variable, and no flag that does not exist', () => {
    const rows = [...readme.matchAll(/^\| `(hetzner-[a-z0-9-]+)` \| `([A-Z0-9_]+)` \|/gm)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual(createFlags().map((f) => [f.name, f.envVar]));
  });

  it('names only pnpm scripts that exist', () => {
    const used = new Set([...readme.matchAll(/\bpnpm (build|test|mock|demo|lint|typecheck)\b/g)].map((m) => m[1]));
    for (const script of used) expect(packageJson.scripts, `pnpm ${script}`).toHaveProperty(script as string);
    expect(used).toContain('demo');
    expect(used).toContain('test');
  });
});
