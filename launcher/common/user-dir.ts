// The one way a root launcher acts inside a directory another user can write (the ephemeral dir, a volume, the VM
// user's runtime tree): by descriptor, never by a path that user can change meanwhile.
// - A directory is opened once, O_DIRECTORY|O_NOFOLLOW, and its owner checked on the descriptor; every later step
//   names one entry in that very directory through `/proc/self/fd/<fd>/<name>` (the magic link resolves to the open
//   directory itself: renaming it or planting a link where it was changes nothing).
// - An entry is a single validated name: no `/`, no `.` or `..`.
// - mkdir, unlink and rmdir never follow a link at the last component; opens add O_NOFOLLOW; a new directory is
//   chowned through its own descriptor.
// - A file the launcher must read or probe is first opened with O_PATH (no open side effects: a FIFO or a device is
//   not opened), checked on the descriptor (type, and the inode inspected before), then reopened through the
//   descriptor.
// Node has no openat/mkdirat; /proc/self/fd gives the same guarantees on Linux (the only platform the launcher runs on).
import { constants, type Stats } from 'node:fs';
import { chown, link, lstat, mkdir, open, rename, rmdir, unlink, type FileHandle } from 'node:fs/promises';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NOCTTY, O_NONBLOCK } = constants;
/** Linux O_PATH (Node's constants lack it): a handle on the inode that opens nothing. */
export const O_PATH = 0o10000000;

export class UnsafeEntryError extends Error {
  readonly code = 'EUNSAFE';
}

/** A single directory entry name, or a throw: paths never reach here from outside unchecked. */
export function entryName(name: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0') || Buffer.byteLength(name) > 255) {
    throw new UnsafeEntryError(`not a single file name: ${JSON.stringify(name)}`);
  }
  return name;
}

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

/** The path of an open descriptor's file itself, whatever its name is now. */
export const fdPath = (fh: FileHandle): string => `/proc/self/fd/${fh.fd}`;

export interface Owner { uid: number; gid: number }

/** A directory's descriptor, never through a link at the last component (a link or a file: UnsafeEntryError). */
async function openDirNoFollow(path: string, shown: string): Promise<FileHandle> {
  try {
    return await open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NOCTTY);
  } catch (e) {
    if (errno(e) === 'ELOOP' || errno(e) === 'ENOTDIR') throw new UnsafeEntryError(`${shown} is not a directory (a link?)`);
    throw e;
  }
}

export class UserDir {
  private constructor(
    /** For messages only: what the directory was called when it was opened. */
    readonly path: string,
    private readonly fh: FileHandle,
    readonly stats: Stats,
  ) {}

  /**
   * Opens `path` as a directory without following a link at its last component; `owners`: the uids it may belong
   * to (else UnsafeEntryError). Only the last component is protected: `path` itself comes from the operator.
   */
  static async open(path: string, owners?: readonly number[]): Promise<UserDir> {
    return UserDir.fromHandle(path, await openDirNoFollow(path, path), owners);
  }

  /** Opens `path`, creating it first (mode, then owner through its descriptor) when absent. */
  static async openOrCreate(path: string, mode: number, owner: Owner | undefined, owners?: readonly number[]): Promise<UserDir> {
    const created = await mkdir(path, { mode }).then(() => true, (e) => { if (errno(e) === 'EEXIST') return false; throw e; });
    const dir = await UserDir.open(path, owners);
    if (created && owner) await dir.chownSelf(owner);
    return dir;
  }

  private static async fromHandle(path: string, fh: FileHandle, owners?: readonly number[]): Promise<UserDir> {
    try {
      const st = await fh.stat();
      if (!st.isDirectory()) throw new UnsafeEntryError(`${path} is not a directory`);
      if (owners && !owners.includes(st.uid)) throw new UnsafeEntryError(`${path} belongs to uid ${st.uid}, not ${owners.join(' or ')}`);
      return new UserDir(path, fh, st);
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
  }

  /** `name` in this very directory, for calls that cannot take a descriptor (they must not follow a last link). */
  at(name: string): string {
    return `${fdPath(this.fh)}/${entryName(name)}`;
  }

  /** A readable name for messages. */
  shown(name: string): string {
    return `${this.path}/${name}`;
  }

  /** The subdirectory `name`, made (mode, then chowned through its descriptor) when absent; never reached by a link. */
  async subdir(name: string, opts: { mode: number; owner?: Owner; owners?: readonly number[] }): Promise<UserDir> {
    const created = await mkdir(this.at(name), { mode: opts.mode }).then(() => true, (e) => { if (errno(e) === 'EEXIST') return false; throw e; });
    const dir = await UserDir.fromHandle(this.shown(name), await openDirNoFollow(this.at(name), this.shown(name)), opts.owners);
    if (created && opts.owner) await dir.chownSelf(opts.owner);
    return dir;
  }

  /** Opens the existing subdirectory `name` (undefined when absent), never through a link. */
  async existingSubdir(name: string, owners?: readonly number[]): Promise<UserDir | undefined> {
    try {
      return await UserDir.fromHandle(this.shown(name), await openDirNoFollow(this.at(name), this.shown(name)), owners);
    } catch (e) {
      if (errno(e) === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Removes the entry `name` (a file or a link: the link itself), if present. */
  async remove(name: string): Promise<void> {
    await unlink(this.at(name)).catch((e) => { if (errno(e) !== 'ENOENT') throw e; });
  }

  /** Removes the subdirectory `name` when it is empty; false when it is not (or is absent). */
  async removeEmptyDir(name: string): Promise<boolean> {
    return rmdir(this.at(name)).then(() => true, () => false);
  }

  /**
   * Opens the regular file `name` with `flags`: never through a link, and never a FIFO, device or socket planted
   * under that name (checked on an O_PATH handle before anything is opened).
   */
  async openFile(name: string, flags: number): Promise<FileHandle> {
    const handle = await open(this.at(name), O_PATH | O_NOFOLLOW);
    try {
      if (!(await handle.stat()).isFile()) throw new UnsafeEntryError(`${this.shown(name)} is not a regular file (a link?)`);
      return await open(fdPath(handle), flags | O_NOCTTY | O_NONBLOCK);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /** Whether anything (a link included) is at `name`. */
  async has(name: string): Promise<boolean> {
    return lstat(this.at(name)).then(() => true, () => false);
  }

  /** A second name for the file `from` (link(2): never replaces `to`, never follows `from` if it is a link). */
  async link(from: string, to: string): Promise<void> {
    await link(this.at(from), this.at(to));
  }

  /** Renames `from` to `to` within this directory (a link at `to` is replaced itself, never followed). */
  async rename(from: string, to: string): Promise<void> {
    await rename(this.at(from), this.at(to));
  }

  async chownSelf(owner: Owner): Promise<void> {
    await chown(fdPath(this.fh), owner.uid, owner.gid);
  }

  async sync(): Promise<void> {
    await this.fh.sync();
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}

/** Runs `fn` with the directory open, then closes it. */
export async function withUserDir<T>(dir: Promise<UserDir>, fn: (d: UserDir) => Promise<T>): Promise<T> {
  const d = await dir;
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}

export interface Inode { dev: number; ino: number }

/**
 * Opens the file at `path` with `flags` only if it is still the regular file (or block device) `expected` that was
 * inspected: O_PATH first (a FIFO, a device or a socket swapped in meanwhile is never opened), the inode compared on
 * that descriptor, then reopened through it. Throws UnsafeEntryError when it changed.
 */
export async function openInspected(path: string, expected: Inode & { block?: boolean }, flags: number): Promise<FileHandle> {
  const handle = await open(path, O_PATH | O_NOFOLLOW);
  try {
    const st = await handle.stat();
    const kindOk = expected.block ? st.isBlockDevice() : st.isFile();
    if (!kindOk || st.dev !== expected.dev || st.ino !== expected.ino) {
      throw new UnsafeEntryError(`${path} is no longer the ${expected.block ? 'device' : 'file'} that was inspected (it was replaced)`);
    }
    return await open(fdPath(handle), flags | O_NOCTTY | O_NONBLOCK);
  } finally {
    await handle.close().catch(() => undefined);
  }
}
