// Files in directories another user can write (the runtime dir belongs to the VM user; so do volumes and the cache
// dir). A root launcher that opened a path there by name would follow whatever link the VM user planted (a hook,
// QEMU, libvirtd all run as that user). Rules, applied by every function here:
// - writes create a fresh, unguessable name with O_CREAT|O_EXCL|O_NOFOLLOW, write through the descriptor, then
//   rename() it into place (rename replaces a planted link itself, never what it points to);
// - reads open with O_NOFOLLOW|O_NONBLOCK (no link, no FIFO that blocks), then check on the descriptor that it is a
//   regular file owned by an expected user with one link (a hard link to someone else's file has two);
// - only the last component is protected: callers use these for names directly in a directory whose own path the
//   other user cannot change (the runtime dir's top level), or for files opened before the directory is handed over.
import { constants, type Stats } from 'node:fs';
import { chmod, chown, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { O_PATH } from './user-dir.js';

const { O_WRONLY, O_RDONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_APPEND, O_NOCTTY } = constants;

export interface WriteOptions {
  mode?: number;
  /** fchown the new file (a file the VM user must be able to rewrite or the launcher hands over). */
  owner?: { uid: number; gid: number };
}

/**
 * fchown/fchmod through /proc/self/fd: the magic link resolves to the open file itself, never to a path someone
 * could swap. (Node's permission model, which the bin runs under, disables FileHandle.chown/chmod themselves.)
 */
export const chownFd = (fh: FileHandle, uid: number, gid: number): Promise<void> => chown(`/proc/self/fd/${fh.fd}`, uid, gid);
export const chmodFd = (fh: FileHandle, mode: number): Promise<void> => chmod(`/proc/self/fd/${fh.fd}`, mode);

/** The temporary name a safe write uses: a dotfile with random hex, so nobody can plant it in advance. */
export const tempNameFor = (name: string): string => `.${name}.${randomBytes(6).toString('hex')}.tmp`;
/** Whether `entry` is one of the temporary names tempNameFor makes for `name`. */
export const isTempNameFor = (entry: string, name: string): boolean =>
  entry.startsWith(`.${name}.`) && /^\.[^/]+\.[0-9a-f]{12}\.tmp$/.test(entry);

/** Creates a new file that did not exist (O_EXCL) and is not reached through a link: EEXIST if anything is there. */
export async function createExclusive(path: string, mode = 0o644, append = false): Promise<FileHandle> {
  return open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | (append ? O_APPEND : 0), mode);
}

/** Writes `data` to `dir/name` atomically, following no link (see the rules above). */
export async function writeFileSafely(path: string, data: string | Uint8Array, opts: WriteOptions = {}): Promise<void> {
  const tmp = join(dirname(path), tempNameFor(basename(path)));
  const fh = await createExclusive(tmp, opts.mode ?? 0o644);
  try {
    await fh.writeFile(data);
    if (opts.owner) await chownFd(fh, opts.owner.uid, opts.owner.gid);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

export interface TrustOptions {
  /** Accepted owners of the file (for example the VM user for QEMU's files, the launcher's uid for its own); absent: any. */
  owners?: readonly number[];
  /** Refuse a file the group or others may write (for files whose content the launcher believes). */
  notWritableByOthers?: boolean;
}

export class UntrustedFileError extends Error {
  readonly code = 'EUNTRUSTED';
}

/** Why `st` (from fstat on an O_NOFOLLOW descriptor) must not be believed, or undefined. */
export function distrust(st: Stats, opts: TrustOptions): string | undefined {
  if (!st.isFile()) return 'not a regular file';
  if (opts.owners && !opts.owners.includes(st.uid)) return `owned by uid ${st.uid}, not ${opts.owners.join(' or ')}`;
  if (st.nlink !== 1) return `has ${st.nlink} hard links`;
  if (opts.notWritableByOthers && (st.mode & 0o022) !== 0) return `is writable by group or others (mode ${(st.mode & 0o777).toString(8)})`;
  return undefined;
}

/**
 * Opens a file for reading without following a link, and checks who owns it. The checks run on an O_PATH handle
 * first, so a FIFO, device or socket planted under the name is never opened at all; the file is then reopened
 * through that handle (the same inode, whatever the name points to by then).
 */
export async function openTrusted(path: string, opts: TrustOptions): Promise<FileHandle> {
  const handle = await open(path, O_PATH | O_NOFOLLOW);
  try {
    const why = distrust(await handle.stat(), opts);
    if (why) throw new UntrustedFileError(`${path} ${why}`);
    return await open(`/proc/self/fd/${handle.fd}`, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Reads at most `maxBytes` of a trusted file (see openTrusted) as UTF-8. */
export async function readTrusted(path: string, opts: TrustOptions & { maxBytes?: number }): Promise<string> {
  const fh = await openTrusted(path, opts);
  try {
    const max = opts.maxBytes ?? 1024 * 1024;
    const buf = Buffer.alloc(Math.min(max, Math.max(0, (await fh.stat()).size)));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close().catch(() => undefined);
  }
}
