import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DRIVER_PROTO_JSON } from '../../src/grpc/descriptor.generated';
import { PROTO_PATH, protoToJson } from '../../src/grpc/generate-descriptor';

describe('embedded gRPC descriptor', () => {
  it('matches proto/driver.proto (regenerate with: npx tsx driver/src/grpc/generate-descriptor.ts)', () => {
    expect(DRIVER_PROTO_JSON).toEqual(protoToJson(readFileSync(PROTO_PATH, 'utf8')));
  });

  it('would notice an edited .proto', () => {
    const edited = readFileSync(PROTO_PATH, 'utf8').replace('string env_var = 3;', 'string env = 3;');
    expect(protoToJson(edited)).not.toEqual(DRIVER_PROTO_JSON);
  });
});
