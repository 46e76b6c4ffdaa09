// Hetzner server status → rancher-machine state.
import { MachineState } from './interface';

export function stateOfStatus(status: string | null | undefined): MachineState {
  switch (status) {
    case 'running':
      return MachineState.Running;
    // A live migration keeps the server running; Rancher must not treat it as down.
    case 'migrating':
      return MachineState.Running;
    case 'initializing':
    case 'starting':
    case 'rebuilding':
      return MachineState.Starting;
    case 'stopping':
    case 'deleting':
      return MachineState.Stopping;
    case 'off':
      return MachineState.Stopped;
    case null:
    case undefined:
      return MachineState.NotFound;
    default:
      // 'unknown' and any status Hetzner adds later: say so rather than guess.
      return MachineState.Error;
  }
}
