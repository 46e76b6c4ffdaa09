// The release archive through Rancher's machine-provision job, step by step as the rancher/machine image takes it
// (helpers/machine-job.sh): downloaded over loopback HTTP under the file name in its URL, checked against its
// sha256, recognised by `file`, unpacked, installed as docker-machine-driver-hetzner and run, as uid 1000 with its
// HOME in a temporary directory and no system directory writable, by the rancher-machine stand-in
// (driver/test/rancher/machine) with the arguments Rancher's args.go renders and the entrypoint splits: a create
// (values with `=`, spaces and newlines; userData through the NodeDriver's file alias) and the `rm -y
// --update-config` job that removes the machine, against the mock API. Needs root (to switch to uid 1000), Go,
// curl, file, tar, sha256sum and setpriv; elsewhere the suite is skipped, saying why. CI runs as root.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goBuild } from '../../driver/test/fixtures/go-build';
import { resourcesOf } from '../../driver/test/fixtures/machine-resources';
import {
  configDefaults,
  endpointField,
  entrypointArgs,
  type JobSpec,
  machineProvisionJob,
  nodeDriverAnnotations,
} from '../../driver/test/rancher/job-args';
import { type MockServer, startMock } from '../../hcloud-mock/src/index';
import { releaseArchive, repoRoot } from './helpers/driver-binary';

const JOB_UID = 1000;
const TOKEN = 'job-flow-token-0123456789';

function whyNot(): string | null {
  if (process.platform !== 'linux') return `needs Linux, this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'needs root (to run the job as uid 1000); run as root, as CI does';
  for (const tool of ['go', 'curl', 'file', 'tar', 'sha256sum', 'setpriv']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `no \`${tool}\` on PATH`;
  }
  return null;
}

const skipReason = whyNot();
if (skipReason) console.warn(`job-flow tests skipped: ${skipReason}`);

interface JobRun {
  code: number | null;
  output: string;
  result: { ok: boolean; error?: string; args: string[]; userDataFile?: string; info: Record<string, string> };
}

describe.skipIf(skipReason !== null)(
  `the release archive through Rancher's machine-provision job${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let root = '';
    let mock: MockServer;
    let releases: Server;
    let releasesBase = '';
    let archiveUrl = '';
    let archiveSha = '';
    const downloads: string[] = [];
    /** Shared by the create and the remove job: stands for the machine-state secret (and $TMPDIR of each pod). */
    let state = '';
    /** Holds rancher-machine, root-owned: the job's user can run it but not replace it. */
    let systemBin = '';

    /** A directory the job's user owns. */
    const ownedDir = (path: string) => {
      mkdirSync(path, { recursive: true });
      chownSync(path, JOB_UID, JOB_UID);
      chmodSync(path, 0o700);
      return path;
    };

    beforeAll(async () => {
      const { archive, sha256File } = await releaseArchive();
      root = mkdtempSync(join(tmpdir(), 'job-flow-'));
      chmodSync(root, 0o755);
      systemBin = join(root, 'system-bin');
      mkdirSync(systemBin);
      goBuild(
        'rancher-machine',
        join(repoRoot, 'driver', 'test', 'rancher', 'machine', 'main.go'),
        join(systemBin, 'rancher-machine'),
      );
      chmodSync(join(systemBin, 'rancher-machine'), 0o755);
      copyFileSync(join(repoRoot, 'scripts', 'test', 'helpers', 'machine-job.sh'), join(systemBin, 'entrypoint.sh'));
      chmodSync(join(systemBin, 'entrypoint.sh'), 0o755);
      state = ownedDir(join(root, 'state'));

      // The release as published: the archive under a versioned path, its checksum from the .sha256 file.
      const name = basename(archive);
      archiveSha = readFileSync(sha256File, 'utf8').split(/\s+/)[0] ?? '';
      // Also the bare executable beside it, and a file that is neither, for the type check.
      const published = new Map<string, string>([
        [`/hetzner/v0/${name}`, archive],
        ['/hetzner/v0/docker-machine-driver-hetzner', join(dirname(archive), 'docker-machine-driver-hetzner')],
        ['/hetzner/v0/docker-machine-driver-hetzner-notes.txt', sha256File],
      ]);
      releases = createServer((req, res) => {
        downloads.push(req.url ?? '');
        const file = published.get(req.url ?? '');
        if (!file) {
          res.writeHead(404).end('not found');
          return;
        }
        const bytes = readFileSync(file);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length }).end(bytes);
      });
      await new Promise<void>((r) => releases.listen(0, '127.0.0.1', r));
      releasesBase = `http://127.0.0.1:${(releases.address() as AddressInfo).port}/hetzner/v0/`;
      archiveUrl = `${releasesBase}${name}`;
      mock = await startMock({
        tokens: [TOKEN],
        defaultActionMs: 20,
        labelSelectorPropagationMs: 10,
        rateLimit: false,
      });
    }, 600_000);

    afterAll(async () => {
      releases?.close();
      await mock?.stop();
      if (root) rmSync(root, { recursive: true, force: true });
    });

    /** One job pod: a fresh HOME and install directory, the shared state, the job's user, the image's entrypoint. */
    function runJob(label: string, args: string[], files: Record<string, string> = {}): Promise<JobRun> {
      const pod = join(root, label);
      mkdirSync(pod);
      chmodSync(pod, 0o755);
      const home = ownedDir(join(pod, 'home'));
      const installDir = ownedDir(join(pod, 'bin'));
      for (const [file, content] of Object.entries(files)) {
        writeFileSync(join(pod, file), content, { mode: 0o644 });
      }
      const env = {
        PATH: `${installDir}:${systemBin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
        HOME: home,
        TMPDIR: state,
        JOB_INSTALL_DIR: installDir,
        // From the cloud credential's secret; the endpoint both ways, whichever the driver honours.
        HETZNER_API_TOKEN: TOKEN,
        HETZNER_API_ENDPOINT: mock.url,
        HETZNER_DRIVER_POLL_MS: '20',
      };
      const child = spawn(
        'setpriv',
        [
          `--reuid=${JOB_UID}`,
          `--regid=${JOB_UID}`,
          '--clear-groups',
          '--',
          'sh',
          join(systemBin, 'entrypoint.sh'),
          ...args,
        ],
        { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      return new Promise((resolve) => {
        child.on('close', (code) => {
          const line = output.split('\n').find((l) => l.startsWith('RESULT '));
          const result = line ? JSON.parse(line.slice('RESULT '.length)) : { ok: false, args: [], info: {} };
          resolve({ code, output, result });
        });
      });
    }

    it('runs as an unprivileged user that can write nowhere in the system', () => {
      const probe = spawnSync(
        'setpriv',
        [
          `--reuid=${JOB_UID}`,
          `--regid=${JOB_UID}`,
          '--clear-groups',
          '--',
          'sh',
          '-c',
          'id -u; id -G; for d in / /usr /usr/local/bin /usr/bin /etc /root "$1"; do [ -w "$d" ] && echo "writable $d"; done; true',
          'sh',
          systemBin,
        ],
        { encoding: 'utf8' },
      );
      expect(probe.stdout).toBe(`${JOB_UID}\n${JOB_UID}\n`);
    });

    it('downloads, verifies, unpacks and installs the release, creates a machine and removes it with rm -y --update-config', async () => {
      const name = 'c-job-pool1-5d4c8b7f9-j0b1f';
      const script = '#!/usr/bin/env sh\necho "register with token=abc def"\n';
      const userData = '#cloud-config\npackages:\n  - jq\n';
      const additional = '#cloud-config\nruncmd:\n  - echo "a=b c"\n  - [sh, -c, "x=1; echo $x"]\n';
      const spec = (create: boolean): JobSpec => ({
        machineName: name,
        config: {
          ...configDefaults(),
          // The flag too, for a driver that still declares it.
          ...endpointField(mock.url),
          clusterId: 'c-job',
          serverLabels: ['team=ci', 'stage=job-flow'],
          rdnsTemplate: '{{ machine }}.k8s.example.test',
          userData,
          additionalUserData: additional,
        },
        annotations: nodeDriverAnnotations(),
        create,
        installScript: join(root, 'create', 'install.sh'),
        filesDir: join(root, 'create'),
        downloadUrl: archiveUrl,
        hash: archiveSha,
      });

      const createJob = machineProvisionJob(spec(true));
      expect(createJob.args.some((a) => a.includes('\n') && a.startsWith('--hetzner-additional-user-data='))).toBe(
        true,
      );
      const created = await runJob('create', createJob.args, { ...createJob.files, 'install.sh': script });
      expect(created.code, created.output).toBe(0);
      // Fetched once, by the name in the URL; recognised as an archive and installed under the driver's name.
      expect(downloads).toEqual([new URL(archiveUrl).pathname]);
      expect(created.output).toMatch(/: gzip compressed data/);
      const installed = join(root, 'create', 'bin', 'docker-machine-driver-hetzner');
      expect(statSync(installed).uid).toBe(JOB_UID);
      expect(statSync(installed).mode & 0o111).not.toBe(0);
      // rancher-machine got the arguments split as the model of the entrypoint says: values intact.
      expect(created.result.args).toEqual(entrypointArgs(createJob.args));
      expect(created.result.args).toContain('team=ci');
      expect(created.result.args).toContain(additional);
      expect(created.result.args).toContain('{{ machine }}.k8s.example.test');
      expect(created.result.info).toMatchObject({ userDataFlag: 'hetzner-user-data' });

      const { servers, keys } = resourcesOf(mock, name);
      expect(servers).toHaveLength(1);
      // Create drops its SSH key once the server has it (Hetzner copies keys into a server only when it is made).
      expect(keys).toEqual([]);
      const server = servers[0]!;
      expect(server.labels).toMatchObject({ cluster: 'c-job', team: 'ci', stage: 'job-flow', machine: name });
      const ptr = server.ipv4 ? mock.state.primaryIps.get(server.ipv4)?.dns_ptr : undefined;
      expect(ptr?.map((p) => p.dns_ptr)).toContain(`${name}.k8s.example.test`);
      // userData (a file through the NodeDriver's alias) merged with the install script by rancher-machine, then
      // the extra cloud-config merged in by the driver.
      const merged = readFileSync(created.result.userDataFile ?? '', 'utf8');
      expect(merged).toContain('packages:\n  - jq\n');
      expect(server.userData).toMatch(/^Content-Type: multipart\/mixed; boundary=/);
      expect(server.userData).toContain(`\n\n${merged.trimEnd()}\n--`);
      expect(server.userData).toContain(`\n\n${additional.trimEnd()}\n--`);
      const encoded = /content: (\S{20,})/.exec(merged)?.[1] ?? '';
      expect(gunzipSync(Buffer.from(encoded, 'base64')).toString()).toBe('echo "register with token=abc def"\n');
      // Everything the driver wrote belongs to the job's user.
      const machineDir = join(state, 'machine-emulation', 'machines', name);
      expect(statSync(join(machineDir, 'id_rsa')).uid).toBe(JOB_UID);
      expect(created.output).not.toContain(TOKEN);

      const removeJob = machineProvisionJob(spec(false));
      expect(removeJob.args.slice(-4)).toEqual(['rm', '-y', '--update-config', name]);
      const removed = await runJob('remove', removeJob.args);
      expect(removed.code, removed.output).toBe(0);
      expect(downloads).toHaveLength(2);
      expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
      expect(removed.output).not.toContain(TOKEN);
    }, 180_000);

    it('refuses a download whose sha256 does not match, before running anything', async () => {
      const job = machineProvisionJob({
        machineName: 'c-job-bad-hash',
        config: configDefaults(),
        annotations: nodeDriverAnnotations(),
        create: false,
        installScript: '/nonexistent',
        downloadUrl: archiveUrl,
        hash: 'ab'.repeat(32),
      });
      const r = await runJob('bad-hash', job.args);
      expect(r.code).toBe(1);
      expect(r.output).toContain('failed sha256 checksum');
      expect(r.output).not.toContain('RESULT ');
    }, 60_000);

    it('takes a bare ELF executable as it is and refuses a file of any other type', async () => {
      const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
      const { archive } = await releaseArchive();
      const bare = join(dirname(archive), 'docker-machine-driver-hetzner');
      const spec = (downloadUrl: string, hash: string): JobSpec => ({
        machineName: 'c-job-no-such-machine',
        config: configDefaults(),
        annotations: nodeDriverAnnotations(),
        create: false,
        installScript: '/nonexistent',
        downloadUrl,
        hash,
      });
      const elf = await runJob(
        'bare-elf',
        machineProvisionJob(spec(`${releasesBase}docker-machine-driver-hetzner`, sha(bare))).args,
      );
      expect(elf.output).toMatch(/: ELF 64-bit/);
      expect(statSync(join(root, 'bare-elf', 'bin', 'docker-machine-driver-hetzner')).uid).toBe(JOB_UID);
      // The driver ran: rancher-machine got as far as the (absent) machine.
      expect(elf.result.error).toMatch(/Host does not exist: "c-job-no-such-machine"/);

      const text = `${releasesBase}docker-machine-driver-hetzner-notes.txt`;
      const other = await runJob('not-a-driver', machineProvisionJob(spec(text, '')).args);
      expect(other.code).toBe(1);
      expect(other.output).toContain('driver file does not seem to be in an accepted format');
      expect(other.output).not.toContain('RESULT ');
    }, 120_000);
  },
);
