// Development tool, never shipped: turns proto/driver.proto into descriptor.generated.ts. The single-file release
// executable has no repository files at runtime, so the server loads the service from that embedded JSON instead
// of reading the .proto. Run after editing the .proto:
//   npx tsx driver/src/grpc/generate-descriptor.ts
// driver/test/grpc/descriptor.test.ts fails while the two disagree.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const PROTO_PATH = fileURLToPath(new URL('../../../proto/driver.proto', import.meta.url));
export const GENERATED_PATH = fileURLToPath(new URL('./descriptor.generated.ts', import.meta.url));
const BIOME = fileURLToPath(new URL('../../../node_modules/.bin/biome', import.meta.url));

interface ProtobufJs {
  parse(source: string, options: { keepCase: boolean }): { root: { toJSON(): unknown } };
}

/**
 * protobufjs is proto-loader's own dependency, not ours; resolving it from proto-loader's location guarantees the
 * parser is the very version that later reads the JSON.
 */
function protobufjs(): ProtobufJs {
  const fromDriver = createRequire(import.meta.url);
  return createRequire(fromDriver.resolve('@grpc/proto-loader'))('protobufjs') as ProtobufJs;
}

/** The protobufjs JSON form of a .proto text, field names kept exactly as written (keepCase). */
export function protoToJson(source: string): unknown {
  return JSON.parse(JSON.stringify(protobufjs().parse(source, { keepCase: true }).root.toJSON()));
}

export function renderDescriptorModule(json: unknown): string {
  return [
    '// GENERATED from proto/driver.proto by driver/src/grpc/generate-descriptor.ts; do not edit by hand.',
    '// The protobufjs JSON form of the Driver service, embedded so that no .proto file is read at runtime.',
    '',
    `export const DRIVER_PROTO_JSON: unknown = ${JSON.stringify(json, null, 2)};`,
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(GENERATED_PATH, renderDescriptorModule(protoToJson(readFileSync(PROTO_PATH, 'utf8'))));
  execFileSync(BIOME, ['format', '--write', GENERATED_PATH], { stdio: 'inherit' });
}
