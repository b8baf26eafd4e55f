// The guest's serial output as a file in the runtime dir, written by the launcher (it owns the one connection to
// QEMU's serial socket, see console-broker.ts), with a bound: `console.log` grows to MAX_BYTES, then becomes
// `console.log.1` (the one before it is dropped) and a fresh `console.log` starts. At most 2 x MAX_BYTES, whatever
// the guest writes: a guest flooding its serial port can no longer fill the runtime dir and leave the launcher
// unable to write its status file (KubeVirt bounds its serial log the same way, through virtlogd's rotation).
// The runtime dir is the VM user's: files are created fresh (O_EXCL|O_NOFOLLOW) and renamed, never opened by a
// name the VM user could have pointed elsewhere (common/safe-files.ts).
// eslint-disable-next-line no-restricted-syntax -- rename/unlink of top-level names of the runtime dir: neither follows a link, and only root can change the dir's path
import { rename, unlink, type FileHandle } from 'node:fs/promises';
import { createExclusive } from '../common/safe-files.js';

/** One generation of the console file. 1 MiB is some 12,000 lines of 80 columns: a few boots' worth. */
export const CONSOLE_FILE_MAX_BYTES = 1024 * 1024;

export const previousGeneration = (path: string): string => `${path}.1`;

export class ConsoleFile {
  private fh: FileHandle | undefined;
  private size = 0;
  private failing = false;

  constructor(
    private readonly path: string,
    private readonly onProblem: (message: string) => void,
    private readonly maxBytes = CONSOLE_FILE_MAX_BYTES,
  ) {}

  /** Appends a chunk, rotating first when it would pass the bound. Never throws: a failure is said once. */
  async append(chunk: Buffer): Promise<void> {
    try {
      if (this.fh && this.size + chunk.length > this.maxBytes && this.size > 0) await this.rotate();
      this.fh ??= await this.create();
      await this.writeOrMakeRoom(chunk);
      if (this.failing) { this.failing = false; this.onProblem(`the console file ${this.path} is written again`); }
    } catch (e) {
      if (!this.failing) this.onProblem(`cannot write the console file ${this.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; the guest's output still reaches attached consoles`);
      this.failing = true;
    }
  }

  /** A full filesystem (something else filled it): drop the older generation and try once more. */
  private async writeOrMakeRoom(chunk: Buffer): Promise<void> {
    try {
      await this.fh!.write(chunk);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      await unlink(previousGeneration(this.path)).catch(() => undefined);
      await this.fh!.write(chunk);
    }
    this.size += chunk.length;
  }

  private async rotate(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
    // rename() moves the name itself: a link planted at either name is replaced, never followed.
    await rename(this.path, previousGeneration(this.path)).catch(() => undefined);
  }

  private async create(): Promise<FileHandle> {
    this.size = 0;
    try {
      return await createExclusive(this.path, 0o644, true);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // Something took the name (the VM user can create names here): remove that entry itself and take it back.
      await unlink(this.path);
      return createExclusive(this.path, 0o644, true);
    }
  }

  async close(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
  }
}
