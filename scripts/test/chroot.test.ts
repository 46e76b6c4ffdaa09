// The release executable in a root filesystem that holds only itself and glibc (copied from this host), run by
// `chroot` as uid/gid 1000 (as Rancher's provisioning job does) in a private mount namespace with /proc bound in
// (every pod has /proc; Bun needs it to find its embedded bundle). From outside, over loopback, a rancher-machine-
// style client completes the handshake and GetCreateFlags. Needs root for chroot and mount; elsewhere the suite is
// skipped, saying why. CI runs as root.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlags } from '../../driver/src/driver/flags';
import { PluginClient } from '../../driver/src/plugin/client';
import { PLUGIN_NOTICE } from '../../driver/src/plugin/notice';
import { driverBinary, repoRoot } from './helpers/driver-binary';
import { glibcRootfs, type Rootfs } from './helpers/rootfs';

const JOB_UID = 1000;

function whyNot(): string | null {
  if (process.platform !== 'linux') return `needs Linux, this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'needs root (chroot and mount); run as root, as CI does';
  for (const tool of ['unshare', 'chroot', 'mount']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `no \`${tool}\` on PATH (util-linux)`;
  }
  const probe = spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) return `unshare --mount is not permitted here: ${probe.stderr.trim() || probe.error}`;
  return null;
}

const skipReason = whyNot();
if (skipReason) console.warn(`chroot tests skipped: ${skipReason}`);

/** argv that runs the jailed executable: a private mount namespace, /proc bound in, chroot as the job's user. */
function jailed(rootfs: Rootfs, args: string[] = []): { command: string; args: string[] } {
  const script = `mount --bind /proc "$1/proc" && shift && exec chroot --userspec=${JOB_UID}:${JOB_UID} "$@"`;
  return {
    command: 'unshare',
    args: [
      '--mount',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      script,
      'sh',
      rootfs.dir,
      rootfs.dir,
      rootfs.executable,
      ...args,
    ],
  };
}

// The job's environment has little in it; nothing of this host's (HOME, PATH of node_modules, tokens) leaks in.
const JOB_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/home/machine' };

describe.skipIf(skipReason !== null)(
  `driver executable in a glibc-only chroot${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let rootfs: Rootfs;
    let parent = '';

    beforeAll(async () => {
      const binary = await driverBinary(process.arch === 'arm64' ? 'arm64' : 'amd64');
      parent = join(repoRoot, '.tmp', `chroot-${process.pid}`);
      mkdirSync(parent, { recursive: true });
      rootfs = glibcRootfs(binary, parent, ['/proc']);
    }, 300_000);

    afterAll(() => {
      if (parent) rmSync(parent, { recursive: true, force: true });
    });

    it('the root holds only the executable, the loader and glibc libraries', () => {
      const files = rootfs.files();
      expect(files).toContain('/docker-machine-driver-hetzner');
      const others = files.filter((f) => f !== '/docker-machine-driver-hetzner');
      expect(others.length).toBeGreaterThanOrEqual(2);
      for (const f of others) {
        expect(f).toMatch(
          /^\/(usr\/)?lib(64|\/[a-z0-9_]+-linux-gnu)?\/(ld-linux[-\w.]*\.so\.\d|lib(c|m|pthread|dl|rt)\.so\.\d)$/,
        );
      }
    });

    it('completes the handshake and GetCreateFlags from outside over loopback, as uid 1000 inside the root', async () => {
      const stderr: string[] = [];
      const client = await PluginClient.spawn({
        ...jailed(rootfs, ['rancher-machine', 'create', '--driver', 'hetzner']),
        env: JOB_ENV,
        onStderr: (line) => stderr.push(line),
        // The machine is shared and the executable is 100 MiB; rancher-machine's own limit is 10 s.
        addressTimeoutMs: 20_000,
      });
      try {
        expect(client.address).toMatch(/^127\.0\.0\.1:\d+$/);
        // unshare, sh and chroot exec in turn, so the spawned pid is the driver itself.
        const pid = client.process?.pid;
        expect(readlinkSync(`/proc/${pid}/root`)).toBe(rootfs.dir);
        const uids = /^Uid:\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        expect(uids?.slice(1)).toEqual([String(JOB_UID), String(JOB_UID)]);

        expect(await client.getVersion()).toBe(1);
        expect(await client.driverName()).toBe('hetzner');
        // The same flags the TypeScript source declares: the bundle is the code under test, not a stale build.
        expect(await client.getCreateFlags()).toEqual(createFlags());
      } finally {
        const exit = await client.close(10_000);
        expect(exit, stderr.join('\n')).toEqual({ code: 0, signal: null });
      }
    });

    it("starts in a /proc-less jail, which is all Rancher's Executable() check needs; a root without the loader fails", () => {
      // Rancher runs the new driver once in a chroot without /proc and only fails the install when exec itself fails
      // (reference §9.1); Bun then aborts, and Rancher ignores that exit status. chroot exits 127 when exec fails.
      const noProc = spawnSync('chroot', [`--userspec=${JOB_UID}:${JOB_UID}`, rootfs.dir, rootfs.executable], {
        env: JOB_ENV,
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(noProc.error).toBeUndefined();
      expect(noProc.stderr).not.toContain('failed to run command');
      expect([126, 127]).not.toContain(noProc.status);
      const broken = glibcRootfs(join(rootfs.dir, rootfs.executable), parent);
      rmSync(join(broken.dir, broken.interpreter));
      const r = spawnSync('chroot', [broken.dir, broken.executable], {
        env: JOB_ENV,
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status).toBe(127);
      expect(r.stderr).toContain('failed to run command');
    });

    it('started by hand inside the root it prints the plugin notice and exits 1', () => {
      const cmd = jailed(rootfs);
      const r = spawnSync(cmd.command, cmd.args, { env: JOB_ENV, encoding: 'utf8', timeout: 30_000 });
      expect({ code: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
        code: 1,
        stdout: '',
        stderr: PLUGIN_NOTICE,
      });
    });
  },
);
