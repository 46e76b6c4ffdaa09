// The contract between the transports (plugin/ net/rpc+gob, grpc/) and the Hetzner driver.
// Transports only ever talk to this interface; the driver never imports a transport.

/** rancher-machine's state.State, sent as a Go int on the wire. */
export enum MachineState {
  None = 0,
  Running = 1,
  Paused = 2,
  Saved = 3,
  Stopped = 4,
  Stopping = 5,
  Starting = 6,
  Error = 7,
  Timeout = 8,
  NotFound = 9,
}

/** The four mcnflag kinds rancher-machine can carry; anything else breaks Rancher's schema generation. */
export type CreateFlag =
  | { kind: 'string'; name: string; usage: string; envVar: string; value: string }
  | { kind: 'int'; name: string; usage: string; envVar: string; value: number }
  | { kind: 'stringSlice'; name: string; usage: string; envVar: string; value: string[] }
  | { kind: 'bool'; name: string; usage: string; envVar: string };

/** One value of RPCFlags.Values: Go's string, int, bool or []string (nil slice → empty array), or nil interface. */
export type FlagValue = string | number | boolean | string[] | null;

/** rancher-machine's drivers.DriverOptions: flag name → value, as sent in SetConfigFromFlags. */
export type DriverOptions = ReadonlyMap<string, FlagValue>;

/**
 * The machine driver, method for method as rancher-machine's RPC server exposes it.
 * Every method may reject; the transport turns the rejection's message into the RPC error string.
 */
export interface Driver {
  driverName(): Promise<string>;
  getCreateFlags(): Promise<CreateFlag[]>;
  setConfigRaw(json: Uint8Array): Promise<void>;
  getConfigRaw(): Promise<Uint8Array>;
  setConfigFromFlags(opts: DriverOptions): Promise<void>;
  getMachineName(): Promise<string>;
  getIP(): Promise<string>;
  getIPv6(): Promise<string>;
  getSSHHostname(): Promise<string>;
  getSSHKeyPath(): Promise<string>;
  getSSHPort(): Promise<number>;
  getSSHUsername(): Promise<string>;
  getURL(): Promise<string>;
  getState(): Promise<MachineState>;
  preCreateCheck(): Promise<void>;
  create(): Promise<void>;
  remove(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  kill(): Promise<void>;
}
