// The Hetzner machine driver, as the transports (plugin/, grpc/) load it.
import type { Logger } from '../log';
import { HetznerDriver, type HetznerDriverOptions } from './hetzner-driver';
import type { Driver } from './interface';

export { createFlags, FLAG } from './flags';
export { DEFAULT_TIMEOUTS, type DriverTimeouts, HetznerDriver, type HetznerDriverOptions } from './hetzner-driver';

export function createHetznerDriver(
  opts: { logger: Logger; env?: NodeJS.ProcessEnv } & Partial<HetznerDriverOptions>,
): Driver {
  return new HetznerDriver(opts);
}
