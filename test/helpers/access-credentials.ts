import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// What accessCredentials tests share: public keys in SSH's wire format for tests that only check their shape (no
// private half exists), and a Secret laid out as the kubelet mounts it.

/** `<type> <base64 blob>`: `uint32 length, type name, uint32 length, bytes`, as ssh-keygen writes it; the same seed gives the same key. */
export function fakePublicKey(type: string, seed: number): string {
  const name = Buffer.from(type, 'latin1');
  const body = Buffer.alloc(32, seed & 0xff);
  const blob = Buffer.alloc(8 + name.length + body.length);
  blob.writeUInt32BE(name.length, 0);
  name.copy(blob, 4);
  blob.writeUInt32BE(body.length, 4 + name.length);
  body.copy(blob, 8 + name.length);
  return `${type} ${blob.toString('base64')}`;
}

/**
 * A Secret as the kubelet mounts it, at `<secretsDir>/<secretName>-access-cred/` (where KubeVirt's pod has it): the
 * files in a timestamped dir, `..data` linking to it, each key a link through `..data`. Readable by everyone.
 */
export function kubeletSecret(secretsDir: string, secretName: string, files: Record<string, string>): string {
  const dir = join(secretsDir, `${secretName}-access-cred`);
  const stamp = '..2026_12_06_12_00_00.000000001';
  mkdirSync(join(dir, stamp), { recursive: true, mode: 0o755 });
  for (const [key, text] of Object.entries(files)) {
    writeFileSync(join(dir, stamp, key), text);
    chmodSync(join(dir, stamp, key), 0o444);
  }
  symlinkSync(stamp, join(dir, '..data'));
  for (const key of Object.keys(files)) symlinkSync(join('..data', key), join(dir, key));
  chmodSync(dir, 0o755);
  return dir;
}
