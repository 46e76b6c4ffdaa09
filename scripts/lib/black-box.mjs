// Which test files the black-box pass of `pnpm test` re-runs against the compiled driver: every driver test file that
// starts our plugin through a fixture honouring HETZNER_DRIVER_BINARY (pluginCommand() in
// driver/test/fixtures/plugin-command.ts, or spawnDriverPlugin() in plugin-session.ts, which builds on it).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const STARTS_OUR_PLUGIN = /\b(pluginCommand|spawnDriverPlugin)\(/;

/** Paths relative to `root`, sorted. */
export function blackBoxTestFiles(root) {
  return readdirSync(join(root, 'driver', 'test'), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .filter((file) => STARTS_OUR_PLUGIN.test(readFileSync(file, 'utf8')))
    .map((file) => file.slice(root.length + 1))
    .sort();
}
