#!/usr/bin/env node
// Renders manifests/nodedriver.yaml for a release archive: fills in its URL and sha256.
//   node scripts/render-nodedriver.mjs --url <archive URL> (--checksum <sha256> | --file <local copy of the archive>)
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const template = join(dirname(fileURLToPath(import.meta.url)), '..', 'manifests', 'nodedriver.yaml');

export function renderNodeDriver({ url, checksum }) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`not a URL: ${url}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new Error(`Rancher downloads drivers over http(s), not ${parsed.protocol}`);
  const base = parsed.pathname.split('/').pop() ?? '';
  if (!base.startsWith('docker-machine-driver-hetzner')) {
    throw new Error(`Rancher only accepts a file named docker-machine-driver-hetzner…, the URL names "${base}"`);
  }
  // Rancher's provisioning job verifies downloads with sha256 only.
  if (!/^[0-9a-f]{64}$/.test(checksum)) throw new Error('checksum must be a sha256 in lowercase hex (64 characters)');
  return readFileSync(template, 'utf8')
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n')
    .replace('@URL@', url)
    .replace('@CHECKSUM@', checksum);
}

function checksumOfFile(path) {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch (err) {
    throw new Error(`cannot read --file ${path}: ${err.code ?? err.message}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const { values } = parseArgs({
      options: { url: { type: 'string' }, checksum: { type: 'string' }, file: { type: 'string' } },
    });
    if (!values.url) throw new Error('--url is required');
    if (values.checksum && values.file) throw new Error('give --checksum or --file, not both');
    const checksum = values.checksum ?? (values.file ? checksumOfFile(values.file) : undefined);
    if (!checksum) throw new Error('give --checksum <sha256> or --file <archive>');
    process.stdout.write(renderNodeDriver({ url: values.url, checksum }));
  } catch (err) {
    console.error(`render-nodedriver: ${err.message}`);
    console.error(
      'usage: node scripts/render-nodedriver.mjs --url <archive URL> (--checksum <sha256> | --file <archive>)',
    );
    process.exit(1);
  }
}
