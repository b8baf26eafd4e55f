// Finds the hooks of one point: `<hooksDir>/<point>.d/*`, run-parts style. Names only ever come from readdir and
// are joined to the directory we listed, so a name can neither climb out of it nor be chosen by a manifest.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LauncherError, problem } from '../domain/problem.js';
import type { HookPoint } from './hook-points.js';

export interface HookInfo {
  /** The file name: for logs and errors only. */
  name: string;
  /** `<hooksDir>/<point>.d/<name>`. */
  path: string;
  point: HookPoint;
  /** Set when the entry is not run; says why (the chain logs it). */
  skipped?: string;
}

/** The directory holding a point's hooks. */
export const hookPointDir = (hooksDir: string, point: HookPoint): string => join(hooksDir, `${point}.d`);

// Byte order, not locale order: `10-a` runs before `9-b`, the same on every machine, as with run-parts.
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Why a name is refused before it is even looked at, or undefined when it is acceptable. */
const refuseName = (name: string): string | undefined => {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) return 'not a plain file name';
  // Dotfiles are editor and packaging leftovers, and the `..data` links of a ConfigMap volume.
  if (name.startsWith('.')) return 'dotfile';
  return undefined;
};

/**
 * Lists the hooks of `point`, sorted by name. A missing directory means no hooks. Entries that will not run
 * (dotfiles, directories, non-executable files, dangling links) come back with `skipped` set so that the
 * caller can log them; a hook someone forgot to `chmod +x` should be visible, not silently ignored.
 * Symbolic links are followed (a ConfigMap volume is made of them).
 */
export async function discoverHooks(hooksDir: string, point: HookPoint): Promise<HookInfo[]> {
  const dir = hookPointDir(hooksDir, point);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    // An unreadable hooks dir must not quietly drop hooks the operator relies on.
    throw new LauncherError(problem('HooksDirUnreadable', `cannot list ${point} hooks in ${dir}: ${code ?? String(e)}`, {
      fix: `make ${dir} a directory readable by the launcher, or remove it`,
    }));
  }
  names.sort(byteOrder);
  const hooks: HookInfo[] = [];
  for (const name of names) {
    const refused = refuseName(name);
    if (refused !== undefined) {
      // '.' and '..' never come from readdir; a dotfile is worth a log line, the rest is noise.
      hooks.push({ name, path: '', point, skipped: refused });
      continue;
    }
    const path = join(dir, name);
    hooks.push({ name, path, point, ...await whyNotRunnable(path) });
  }
  return hooks;
}

async function whyNotRunnable(path: string): Promise<{ skipped?: string }> {
  try {
    const st = await stat(path);
    if (!st.isFile()) return { skipped: 'not a regular file' };
    // Any execute bit: the launcher may run hooks as another user, so its own access() would be the wrong test.
    if ((st.mode & 0o111) === 0) return { skipped: 'not executable (chmod +x it to run it)' };
    return {};
  } catch (e) {
    return { skipped: `cannot stat: ${(e as NodeJS.ErrnoException).code ?? String(e)}` };
  }
}

/** The hooks that will run. */
export const runnable = (hooks: readonly HookInfo[]): HookInfo[] => hooks.filter((h) => h.skipped === undefined);
