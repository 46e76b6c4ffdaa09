// The `hetzner` cluster provisioner (shell/core/types-provisioning.ts IClusterProvisioner). rke2.vue instantiates
// the provisioner named like the cluster's provider and calls registerSaveHooks(); that is all this one does. It
// adds no card (hideCreate) and no credential type (hidden): the node driver's own card and credential stay, and
// every other IClusterProvisioner member is left to the Dashboard's defaults.
import {
  afterSave, beforeSave, type HookCluster, type HookContext, type PoolEntry
} from '../lib/cloud-provider-hook';

export const HOOK_NAME = 'hetzner-cloud-provider';

type RegisterHook = (hook: (cluster: HookCluster) => Promise<void>, name: string, priority?: number, fnContext?: unknown) => void;

export default class HetznerProvisioner {
  static ID = 'hetzner';

  id = 'hetzner';

  hideCreate = true;

  hidden = true;

  private readonly ctx: HookContext;

  constructor(ctx: HookContext) {
    this.ctx = ctx;
  }

  /**
   * rke2.vue runs the before hooks after its own `save-machine-pools` (priority 1–2; ours is the default 99) with the
   * page as `this`, so the pools' machine configs are at hand as `this.machinePools`.
   */
  registerSaveHooks(registerBeforeHook: RegisterHook, registerAfterHook: RegisterHook, cluster: HookCluster): void {
    const ctx = this.ctx;

    registerBeforeHook(async function(this: { machinePools?: PoolEntry[] } | undefined, saved?: HookCluster) {
      await beforeSave(ctx, saved ?? cluster, this?.machinePools);
    }, HOOK_NAME);
    registerAfterHook(async(saved?: HookCluster) => {
      await afterSave(ctx, saved ?? cluster);
    }, HOOK_NAME);
  }
}
