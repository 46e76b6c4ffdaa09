// Types of lines.mjs (plain JavaScript so that the runner can import it without a build).
export interface RancherLine {
  line: string;
  tag: string;
  version: string;
  vue: string;
  vuex: string;
  poolProps: string[];
  ipFamily: 'none' | 'hasIpv6' | 'isIpv6/isDualStack';
  provisioner: { registry: '$plugin' | '$extension'; t: '$t' | 't'; savePoolsPriority: number };
  /** The machine pool has Rancher's own autoscalingMinSize / autoscalingMaxSize (2.13+). */
  autoscaling: boolean;
}
export const LINES: RancherLine[];
export function vueDir(l: RancherLine): string;
export function vuexDir(l: RancherLine): string;
