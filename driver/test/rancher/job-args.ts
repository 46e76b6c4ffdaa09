// The arguments and files of Rancher's machine-provision job, built the way rancher/rancher builds them
// (pkg/controllers/capr/machineprovision: args.go, controller.go constructFilesSecret, template.go) from a machine
// config and the NodeDriver's annotations, and split the way the rancher/machine image's entrypoint splits them.
// Tests feed the result to the rancher-machine stand-in (driver/test/rancher/machine) or to a job run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFlags } from '../../src/driver';
import { REPO_ROOT } from '../fixtures/plugin-command';

export type FieldValue = string | boolean | string[];

/** The annotation whose `schemaField:driverField,…` pairs make Rancher pass a field's content as a file. */
export const FILE_TO_FIELD_ALIASES = 'nodedriver.cattle.io/file-to-field-aliases';

/** Where the job pod mounts the files secret (template.go's pathToMachineFiles). */
export const RANCHER_MACHINE_FILES = '/path/to/machine/files';

/** The annotations of manifests/nodedriver.yaml (flat `key: value` lines under metadata.annotations). */
export function nodeDriverAnnotations(path = join(REPO_ROOT, 'manifests', 'nodedriver.yaml')): Record<string, string> {
  const lines = readFileSync(path, 'utf8').split('\n');
  const start = lines.findIndex((l) => /^ {2}annotations:\s*$/.test(l));
  const out: Record<string, string> = {};
  if (start < 0) return out;
  for (const line of lines.slice(start + 1)) {
    if (/^\s*(#.*)?$/.test(line)) continue;
    const m = /^ {4}([^\s:#][^:]*):\s*(.*?)\s*$/.exec(line);
    if (!m) break;
    out[m[1] as string] = (m[2] as string).replace(/^"(.*)"$/, '$1');
  }
  return out;
}

/** nodedriver.ParseKeyValueString: `a:b, c:d` → {a: 'b', c: 'd'}; malformed pairs are skipped. */
export function parseAliases(value: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of (value ?? '').split(',')) {
    const parts = pair.split(':');
    const key = parts[0]?.trim() ?? '';
    if (parts.length !== 2 || key === '') continue;
    out.set(key, (parts[1] ?? '').trim());
  }
  return out;
}

/** The machine config as Rancher's schema starts it: every flag's field at its default (ints as strings). */
export function configDefaults(driver = 'hetzner'): Record<string, FieldValue> {
  const config: Record<string, FieldValue> = {};
  for (const f of createFlags()) {
    const field = flagToField(driver, f.name);
    if (f.kind === 'string') config[field] = f.value;
    else if (f.kind === 'int') config[field] = String(f.value);
    else if (f.kind === 'bool') config[field] = false;
    else config[field] = [...f.value];
  }
  return config;
}

/**
 * The endpoint field, when the driver still declares the flag: tests name the endpoint in the environment (as the
 * credential does) and, for such a driver, in the machine config too.
 */
export function endpointField(url: string): Record<string, FieldValue> {
  return 'apiEndpoint' in configDefaults() ? { apiEndpoint: url } : {};
}

/** Rancher's field name for a flag: the driver prefix dropped, the rest camel-cased. */
export function flagToField(driver: string, flag: string): string {
  return flag.slice(driver.length + 1).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** args.go's way back: `--<driver>-<kebab(field)>`. */
export function fieldToFlag(driver: string, field: string): string {
  return `--${driver}-${field.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`;
}

export interface JobSpec {
  driver?: string;
  machineName: string;
  /** The machine config's fields (schema field names). */
  config: Record<string, FieldValue>;
  annotations: Record<string, string>;
  create: boolean;
  /** Where the job sees the bootstrap secret (Rancher: /run/secrets/machine/value). */
  installScript: string;
  /** Where the job sees the files secret (Rancher: RANCHER_MACHINE_FILES). */
  filesDir?: string;
  downloadUrl: string;
  hash: string;
}

export interface Job {
  /** The container's arguments, before the entrypoint splits them. */
  args: string[];
  /** The files secret: file name → content. */
  files: Record<string, string>;
}

/** The job Rancher would run for `spec`. */
export function machineProvisionJob(spec: JobSpec): Job {
  const driver = spec.driver ?? 'hetzner';
  const config = { ...spec.config };
  const filesDir = spec.filesDir ?? RANCHER_MACHINE_FILES;
  const files: Record<string, string> = {};
  // constructFilesSecret: an aliased field's content becomes a file, the field its path.
  for (const [schemaField, driverField] of parseAliases(spec.annotations[FILE_TO_FIELD_ALIASES])) {
    const content = config[schemaField];
    if (typeof content !== 'string') continue;
    delete config[schemaField];
    if (content === '') continue;
    files[driverField] = content.endsWith('\n') ? content : `${content}\n`;
    config[driverField] = join(filesDir, driverField);
  }
  const args = [
    `--driver-download-url=${spec.downloadUrl}`,
    `--driver-hash=${spec.hash}`,
    '--secret-namespace=fleet-default',
    `--secret-name=${spec.machineName}-machine-state`,
  ];
  if (spec.create) {
    args.push('create', `--driver=${driver}`, `--custom-install-script=${spec.installScript}`);
    // toArgs: every non-empty field, true bools bare, lists repeated, sorted as whole strings.
    const fieldArgs: string[] = [];
    for (const [field, v] of Object.entries(config)) {
      const flag = fieldToFlag(driver, field);
      if (v === true) fieldArgs.push(flag);
      else if (typeof v === 'string' && v !== '') fieldArgs.push(`${flag}=${v}`);
      else if (Array.isArray(v)) for (const item of v) fieldArgs.push(`${flag}=${item}`);
    }
    args.push(...fieldArgs.sort());
  } else {
    args.push('rm', '-y', '--update-config');
  }
  args.push(spec.machineName);
  return { args, files };
}

/**
 * What the image's entrypoint hands rancher-machine: the download options taken out, every other argument cut into
 * the part before its first `=` and, for `--` options, the part after it (so a value keeps further `=`, spaces and
 * newlines); an argument that yields the same text twice (no `=`) is passed once, as is.
 */
export function entrypointArgs(args: string[]): string[] {
  return args
    .filter((a) => !a.startsWith('--driver-download-url=') && !a.startsWith('--driver-hash='))
    .flatMap((a) => {
      const eq = a.indexOf('=');
      const flag = eq < 0 ? a : a.slice(0, eq);
      const value = a.startsWith('--') && eq >= 0 ? a.slice(eq + 1) : a;
      return flag === value ? [a] : [flag, value];
    });
}
