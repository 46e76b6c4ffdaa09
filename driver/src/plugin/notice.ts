// The text every docker-machine plugin prints when started by hand instead of by rancher-machine (Go's
// register_driver.go). Rancher's Executable() check runs the binary exactly this way and only needs it to start.
import { API_VERSION } from '../dispatch';

export const PLUGIN_TOKEN_ENV = 'MACHINE_PLUGIN_TOKEN';
export const PLUGIN_TOKEN_VALUE = '42';

export const PLUGIN_NOTICE = `This is a Docker Machine plugin binary.
Plugin binaries are not intended to be invoked directly.
Please use this plugin through the main 'docker-machine' binary.
(API version: ${API_VERSION})
`;

export function isPluginMode(env: NodeJS.ProcessEnv): boolean {
  return env[PLUGIN_TOKEN_ENV] === PLUGIN_TOKEN_VALUE;
}
