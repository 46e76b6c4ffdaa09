// Writes what the driver's flag table generates: the README's flag table and the extension's field module.
// Run it after changing driver/src/driver/flags.ts: `pnpm gen:flags`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXTENSION_MODULE, renderExtensionModule, renderReadmeTable, spliceReadme } from './lib/flag-outputs';

const root = join(import.meta.dirname, '..');
const readmePath = join(root, 'README.md');
writeFileSync(readmePath, spliceReadme(readFileSync(readmePath, 'utf8'), renderReadmeTable()));
writeFileSync(join(root, EXTENSION_MODULE), renderExtensionModule());
console.log(`wrote the flag table into README.md and ${EXTENSION_MODULE}`);
