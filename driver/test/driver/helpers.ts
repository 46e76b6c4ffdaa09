// Shared set-up for the driver tests: a fast mock API, an in-process driver with short timeouts, and views of
// what the mock holds for one machine.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MockOptions, type MockServer, startMock } from 'hcloud-mock';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type DriverTimeouts, HetznerDriver } from '../../src/driver';
import type { FlagValue } from '../../src/driver/interface';
import type { Logger } from '../../src/log';

export { resourcesOf } from '../fixtures/machine-resources';

export const TOKEN = 'test-token-0123456789';

export async function fastMock(opts: MockOptions = {}): Promise<MockServer> {
  return startMock({ defaultActionMs: 20, labelSelectorPropagationMs: 10, rateLimit: false, ...opts });
}

/**
 * One fast mock for the calling file's tests (call at module level): started before them and handed to `started`,
 * stopped after them. With `clearFaults`, the fault rules a test added are gone before the next test.
 */
export function fastMockPerFile(
  opts: MockOptions,
  started: (mock: MockServer) => void,
  { clearFaults = false }: { clearFaults?: boolean } = {},
): void {
  let mock: MockServer | undefined;
  beforeAll(async () => {
    mock = await fastMock(opts);
    started(mock);
  });
  afterAll(async () => {
    await mock?.stop();
  });
  if (clearFaults) {
    beforeEach(() => {
      mock!.faults.clear();
    });
  }
}

export interface CapturedLogger extends Logger {
  lines: string[];
  text(): string;
}

export function captureLogger(): CapturedLogger {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    debug: (m) => lines.push(`debug ${m}`),
    error: (m) => lines.push(`error ${m}`),
    text: () => lines.join('\n'),
  };
}

export const FAST_TIMEOUTS: Partial<DriverTimeouts> = {
  pollInitialMs: 10,
  pollMaxMs: 40,
  busyRetryMs: 10,
  createMs: 5_000,
  actionMs: 5_000,
  shutdownMs: 3_000,
};

export function newDriver(opts: { logger?: Logger; env?: NodeJS.ProcessEnv; timeouts?: Partial<DriverTimeouts> } = {}) {
  const logger = opts.logger ?? captureLogger();
  return new HetznerDriver({
    logger,
    env: opts.env ?? {},
    timeouts: { ...FAST_TIMEOUTS, ...opts.timeouts },
    clientOptions: { poll: { initialMs: 10, maxMs: 40, factor: 1.5 }, backoff: { baseMs: 5, capMs: 20 } },
  });
}

export function tempStore(): string {
  return mkdtempSync(join(tmpdir(), 'hetzner-driver-'));
}

export function configJson(machineName: string, storePath: string, extra: Record<string, unknown> = {}): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      IPAddress: '',
      IPv6Address: '',
      MachineName: machineName,
      SSHUser: '',
      SSHPort: 0,
      SSHKeyPath: '',
      StorePath: storePath,
      SwarmMaster: false,
      SwarmHost: '',
      SwarmDiscovery: '',
      ...extra,
    }),
  );
}

/** The process environment that points the driver at the mock: the endpoint is never taken from a flag. */
export function mockEnv(mock: MockServer, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { HETZNER_API_ENDPOINT: mock.url, ...extra };
}

export function flags(_mock: MockServer, values: Record<string, FlagValue> = {}): Map<string, FlagValue> {
  return new Map<string, FlagValue>(Object.entries({ 'hetzner-api-token': TOKEN, ...values }));
}

/** A driver configured for `name`, ready for PreCreateCheck/Create. */
export async function configuredDriver(
  mock: MockServer,
  name: string,
  values: Record<string, FlagValue> = {},
  opts: { logger?: Logger; timeouts?: Partial<DriverTimeouts>; store?: string; env?: NodeJS.ProcessEnv } = {},
) {
  const d = newDriver({ ...opts, env: mockEnv(mock, opts.env) });
  await d.setConfigRaw(configJson(name, opts.store ?? tempStore()));
  await d.setConfigFromFlags(flags(mock, values));
  return d;
}
