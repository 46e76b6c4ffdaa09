// SSH key handling on ssh2's key utilities: generation, parsing and the fingerprint Hetzner reports.
import { createHash } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import ssh2 from 'ssh2';

export interface KeyPair {
  /** OpenSSH private key (PEM-like "OPENSSH PRIVATE KEY" block). */
  privateKey: string;
  /** `ssh-ed25519 AAAA… comment`, the form Hetzner's POST /ssh_keys takes. */
  publicKey: string;
  /** Legacy MD5 colon-hex fingerprint, the form Hetzner stores and filters by. */
  fingerprint: string;
}

export function generateEd25519KeyPair(comment: string): KeyPair {
  // ssh2 drops a leading zero byte of the 32-byte Ed25519 public key, so about one key in 256 comes out 31 bytes
  // long and malformed (both halves; found by the soak test). Drawing again until the pair parses is safe: keys
  // are independent draws, and the excluded ones would be unusable anyway.
  for (let attempt = 1; ; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    const publicKey = pair.public.trim();
    if (!(ssh2.utils.parseKey(publicKey) instanceof Error) && !(ssh2.utils.parseKey(pair.private) instanceof Error)) {
      return { privateKey: pair.private, publicKey, fingerprint: md5Fingerprint(publicKey) };
    }
    if (attempt >= 20) throw new Error('could not generate a well-formed Ed25519 SSH key pair');
  }
}

/** MD5 over the public key blob, as `ssh-keygen -E md5 -l` prints it (without the "MD5:" prefix). */
export function md5Fingerprint(key: string | Buffer): string {
  const parsed = ssh2.utils.parseKey(key);
  if (parsed instanceof Error) throw new Error(`not a valid SSH key: ${parsed.message}`);
  const k = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!k) throw new Error('not a valid SSH key: no key found');
  const digest = createHash('md5').update(k.getPublicSSH()).digest('hex');
  return digest.match(/../g)!.join(':');
}

/** Writes the private key with mode 0600 (SSH refuses anything looser) and the public key beside it. */
export async function writeKeyPair(privateKeyPath: string, pair: KeyPair): Promise<void> {
  await mkdir(dirname(privateKeyPath), { recursive: true, mode: 0o700 });
  await writeFile(privateKeyPath, pair.privateKey, { mode: 0o600 });
  // writeFile keeps the mode of an existing file; a retried Create must not leave a looser one.
  await chmod(privateKeyPath, 0o600);
  await writeFile(`${privateKeyPath}.pub`, `${pair.publicKey}\n`, { mode: 0o644 });
}
