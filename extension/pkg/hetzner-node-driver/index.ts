// Entry point of the extension: auto-imports the machine-config and cloud-credential forms and the l10n strings
// (shell's build scans those folders), and registers what it does not scan: the provider icon, the store, and the
// "Hetzner as the cloud provider" option (the `hetzner` provisioner's save hooks and its cluster-create tab).
import { importTypes } from '@rancher/auto-import';
import HetznerProvisioner from './provisioner/hetzner';
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
  addTab(where: string, when: Record<string, string[]>, tab: { name: string; labelKey: string; weight?: number; component: () => Promise<unknown> }): void;
}

/** shell/core/types.ts TabLocation.CLUSTER_CREATE_RKE2 (the same value on every admitted line). */
const CLUSTER_CREATE_RKE2 = 'cluster-create-rke2';

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

  // rke2.vue instantiates the provisioner named like the cluster's provider and lets it register save hooks.
  plugin.register('provisioner', HetznerProvisioner.ID, HetznerProvisioner);
  // Shown while creating a cluster (the tab itself says when the provider is not Hetzner).
  plugin.addTab(CLUSTER_CREATE_RKE2, { resource: ['provisioning.cattle.io.cluster'], mode: ['create'] }, {
    name:      'hetzner-cloud-provider',
    labelKey:  'hetzner.cloudProvider.tabLabel',
    weight:    -10,
    component: () => import('./components/CloudProviderTab.vue'),
  });
}
