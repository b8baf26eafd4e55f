// Why a file cannot be opened for writing although its permissions allow it, learned without opening it for
// writing (on overlayfs that alone would copy the whole image up):
// - EROFS: a read-only filesystem (access(2) says so before any permission check);
// - append-only or immutable (chattr +a / +i): access(2) does not look at those flags, QEMU's read-write open then
//   fails at start. lsattr (e2fsprogs) reads them with an ioctl on a read-only open; without lsattr the check is
//   skipped. It runs as the VM user when the launcher is root: the volume is that user's, who may swap the file for
//   a link to a FIFO or a device meanwhile, and root must not open what it became.
import { access, constants } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import type { RunAs } from '../common/run-as.js';

const LSATTR = ['/usr/bin/lsattr', '/bin/lsattr'].find((p) => existsSync(p));

export async function writeRefused(path: string, runAs?: RunAs): Promise<'EROFS' | 'append-only' | 'immutable' | undefined> {
  try {
    await access(path, constants.W_OK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EROFS') return 'EROFS';
  }
  if (!LSATTR) return undefined;
  const r = await execa(LSATTR, ['-d', '--', path], { reject: false, timeout: 5000, env: { LANG: 'C' }, extendEnv: false, stdin: 'ignore', ...(runAs && { uid: runAs.uid, gid: runAs.gid }) });
  const flags = r.exitCode === 0 ? String(r.stdout).split(/\s+/)[0] ?? '' : '';
  if (flags.includes('i')) return 'immutable';
  if (flags.includes('a')) return 'append-only';
  return undefined;
}
