// The VMI a hook reads through VM_LAUNCHER_VMI_JSON: a file, not an environment variable, because a manifest
// can exceed what an environment holds and a file can be read with any tool (jq, node, python).
import { randomBytes } from 'node:crypto';
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes `vmi` as JSON into `dir` (readable by the hook user) and returns its path. */
export async function writeVmiJson(dir: string, vmi: unknown): Promise<string> {
  const path = join(dir, `vmi-${randomBytes(6).toString('hex')}.json`);
  await writeFile(path, JSON.stringify(vmi, null, 2) + '\n', { mode: 0o644, flag: 'wx' });
  return path;
}

export async function removeVmiJson(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}
