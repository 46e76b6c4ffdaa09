#!/usr/bin/env node
// docker-machine-driver-hetzner. Started by rancher-machine (MACHINE_PLUGIN_TOKEN=42) it is a driver plugin and
// ignores argv, which then holds the parent's own arguments; otherwise it is a small CLI.
import { enforceTlsVerification } from './hcloud/endpoint';
import { isPluginMode } from './plugin/notice';

async function main(): Promise<void> {
  // Before anything can open a connection: certificate checks are not the environment's to switch off.
  enforceTlsVerification(process.env);
  if (isPluginMode(process.env)) {
    const { runPlugin } = await import('./plugin/serve');
    await runPlugin({
      createDriver: async (logger) => {
        const { createHetznerDriver } = await import('./driver/index');
        return createHetznerDriver({ logger, env: process.env });
      },
    });
    return;
  }
  const { runCli } = await import('./cli');
  const code = await runCli(process.argv.slice(2));
  // Let stdout drain before leaving; a long-running command (grpc) resolves only when it is done.
  process.exitCode = code;
}

main().catch((err: unknown) => {
  process.stderr.write(
    `docker-machine-driver-hetzner: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
