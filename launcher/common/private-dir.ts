// A directory of the launcher's own (its uid, 0700) inside one the VM user owns: the cloud-init seed's staging dir
// in the runtime dir. It is made while nobody else can reach its parent (before the runtime dir's hand-over,
// stack/runtime-dir.ts) and held by descriptor from then on. The VM user can rename or replace its name, never what
// is inside it, so the launcher writes below the descriptor (`/proc/self/fd/<fd>/...`), never by the name. Once its
// files are written it is handed to the VM user (entries first, the directory itself last, through the descriptor);
// from then on the launcher no longer writes there, and the VM user removes it (common/remove-as.ts).
import { constants } from 'node:fs';
import { chmod, chown, lchown, mkdir, open, readdir, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { entryName, fdPath, type Owner } from './user-dir.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NOCTTY } = constants;

export class PrivateDir {
  private handedOver = false;

  private constructor(
    /** What the directory was called when it was made: for messages, and for the VM user once handed over. */
    readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  /** Makes `path` (0700) and opens it. Only while no other user can write its parent (EEXIST: the caller's bug). */
  static async create(path: string): Promise<PrivateDir> {
    await mkdir(path, { mode: 0o700 });
    const dir = await PrivateDir.openOwn(path);
    if (!dir) throw new Error(`${path} is not the private directory just made`);
    return dir;
  }

  /**
   * Opens `path` when it is still a private dir of the launcher's: a directory (not a link) of the launcher's uid,
   * mode 0700. Undefined otherwise (absent, handed over, or someone else's).
   */
  static async openOwn(path: string): Promise<PrivateDir | undefined> {
    const fh = await open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NOCTTY).catch(() => undefined);
    if (!fh) return undefined;
    const st = await fh.stat();
    if (!st.isDirectory() || st.uid !== (process.getuid?.() ?? 0) || (st.mode & 0o777) !== 0o700) {
      await fh.close();
      return undefined;
    }
    return new PrivateDir(path, fh);
  }

  /** `rel` (names joined by `/`, each a single entry name) below the very directory held. */
  private at(rel: string): string {
    return [fdPath(this.fh), ...rel.split('/').map(entryName)].join('/');
  }

  private mine(): void {
    if (this.handedOver) throw new Error(`${this.path} was handed over: the launcher no longer writes there`);
  }

  /** Writes the new file `rel` (0600), making its directories (0700) first. */
  async writeFile(rel: string, data: string | Uint8Array): Promise<void> {
    this.mine();
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) await mkdir(this.at(parts.slice(0, i).join('/')), { recursive: true, mode: 0o700 });
    await writeFile(this.at(rel), data, { mode: 0o600, flag: 'wx' });
  }

  /** Gives the tree to `owner` (none: it stays the launcher's, who is then the VM user): entries first, itself last. */
  async handOver(owner: Owner | undefined): Promise<void> {
    this.mine();
    if (owner) {
      const walk = async (rel: string): Promise<void> => {
        for (const e of await readdir(rel ? this.at(rel) : fdPath(this.fh), { withFileTypes: true })) {
          const child = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory()) await walk(child);
          await lchown(this.at(child), owner.uid, owner.gid);
        }
      };
      await walk('');
      await chown(fdPath(this.fh), owner.uid, owner.gid);
    }
    await chmod(fdPath(this.fh), 0o700);
    this.handedOver = true;
  }

  /** Removes everything in it (not itself), while it is still the launcher's. */
  async empty(): Promise<void> {
    this.mine();
    for (const name of await readdir(fdPath(this.fh))) await rm(this.at(name), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}
