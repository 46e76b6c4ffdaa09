// The Driver service as grpc-js sees it, built from the embedded descriptor (no .proto file is read at runtime).
import type { ServiceDefinition } from '@grpc/grpc-js';
import { fromJSON, type Options } from '@grpc/proto-loader';
import { DRIVER_PROTO_JSON } from './descriptor.generated';

export const PROTO_PACKAGE = 'docker_machine_driver_hetzner.v1';
export const SERVICE_NAME = `${PROTO_PACKAGE}.Driver`;

/**
 * How messages map to JS objects. Field names stay as in the .proto; int64 arrive as decimal strings so that the
 * codec can refuse values a JS number cannot hold instead of silently rounding them; `oneofs` names the set member
 * of each oneof in a virtual `kind` field.
 */
export const LOADER_OPTIONS: Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  arrays: true,
  oneofs: true,
};

// protobufjs's declared INamespace is stricter than the JSON protobufjs itself emits (comment, keyType).
const packageDefinition = fromJSON(DRIVER_PROTO_JSON as Parameters<typeof fromJSON>[0], LOADER_OPTIONS);

function serviceDefinition(): ServiceDefinition {
  const service = packageDefinition[SERVICE_NAME];
  if (!service || 'format' in service) throw new Error(`embedded descriptor lacks service ${SERVICE_NAME}`);
  return service as ServiceDefinition;
}

export const DRIVER_SERVICE: ServiceDefinition = serviceDefinition();
