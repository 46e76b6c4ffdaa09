// Entry point of the extension: auto-imports the machine-config and cloud-credential forms and the l10n strings
// (shell's build scans those folders), and registers what it does not scan: the provider icon and the store.
import { importTypes } from '@rancher/auto-import';
import hetznerStore from './store/hetzner';

interface Store {
  registerModule(name: string, module: object): void;
  unregisterModule(name: string): void;
}

/** The parts of shell's IPlugin (@shell/core/types) used here; importing it would type-check all of shell's core. */
interface Plugin {
  metadata: unknown;
  register(type: string, name: string, value: unknown): void;
  addStore(name: string, register: () => (store: Store) => void, unregister: (store: Store) => void): void;
}

export default function(plugin: Plugin): void {
  importTypes(plugin);

  plugin.metadata = require('./package.json');

  // Looked up as providers/<driver id>.svg by the cluster-create tiles and the cloud credential type list.
  plugin.register('image', 'providers/hetzner.svg', require('./assets/hetzner.svg'));

  plugin.addStore(
    'hetzner',
    () => (store: Store) => store.registerModule('hetzner', hetznerStore),
    (store: Store) => store.unregisterModule('hetzner'),
  );
}
