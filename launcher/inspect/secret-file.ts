// One file of a Secret volume the kubelet mounted (cloud-init secretRef, accessCredentials), read without trusting
// what stands at the path: a FIFO or a device is refused as not a file (O_NONBLOCK: opening it must not hang check
// and run), a file above the limit is not read. Following links is right here: the kubelet's Secret volumes are
// `key -> ..data/key` links into a read-only, root-owned tree, not a directory the VM user can write.
// eslint-disable-next-line no-restricted-syntax -- the secrets dir holds the kubelet's read-only Secret volumes, not the VM user's files
import { constants, open } from 'node:fs/promises';

export type SecretFileRead =
  | { ok: true; data: Buffer }
  | { ok: false; why: 'absent' | 'unreadable' | 'not-a-file' | 'too-large'; detail: string; size?: number };

export async function readSecretFile(file: string, maxBytes: number): Promise<SecretFileRead> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, why: code === 'ENOENT' ? 'absent' : 'unreadable', detail: code ?? (e as Error).message };
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return { ok: false, why: 'not-a-file', detail: 'not a file' };
    if (st.size > maxBytes) return { ok: false, why: 'too-large', detail: `${st.size} bytes; at most ${maxBytes}`, size: st.size };
    const data = Buffer.alloc(st.size);
    const { bytesRead } = await handle.read(data, 0, st.size, 0);
    return { ok: true, data: data.subarray(0, bytesRead) };
  } finally {
    await handle.close();
  }
}
