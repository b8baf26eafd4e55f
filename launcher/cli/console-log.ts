// `vm-launcher console --log [--follow]`: the guest's serial output the launcher kept (console.log.1, then
// console.log, both bounded: run/console-file.ts), printed as the guest wrote it; `--follow` keeps printing as the
// guest writes more, across rotations, until the launcher exits: KubeVirt's guest-console-log container, as a
// command (a second container of the Pod sharing the runtime dir can run it). The files are the launcher's (root's,
// or this user's), read without following a link.
import type { FileHandle } from 'node:fs/promises';
import { openTrusted } from '../common/safe-files.js';
import { runtimeLayout } from '../plan/runtime-layout.js';
import { previousGeneration } from '../run/console-file.js';
import { readTrustedStatus } from '../stack/status-file.js';
import { runningLauncher } from './console.js';

const POLL_MS = 250;

export async function printConsoleLog(runtimeDir: string, follow: boolean): Promise<number> {
  await runningLauncher(runtimeDir);
  const path = runtimeLayout(runtimeDir, '').consoleLog;
  const owners = [...new Set([0, process.getuid?.() ?? 0])];
  const open = (p: string) => openTrusted(p, { owners, notWritableByOthers: true }).catch(() => undefined);
  const older = await open(previousGeneration(path));
  if (older) await drain(older, 0).finally(() => older.close());
  let fh = await open(path);
  let offset = fh ? await drain(fh, 0) : 0;
  while (follow && (await readTrustedStatus(runtimeLayout(runtimeDir, '').statusFile).then((r) => r.ok && r.launcherAlive))) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    if (fh) offset = await drain(fh, offset);
    const now = await open(path);
    if (!now) continue;
    if (fh && (await now.stat()).ino === (await fh.stat()).ino) { await now.close(); continue; }
    // Rotated (or first created): the old file was read to its end above; the new one from its start.
    await fh?.close();
    fh = now;
    offset = await drain(fh, 0);
  }
  await fh?.close();
  return 0;
}

/** Writes what the file holds from `offset` to stdout; returns the new offset. */
async function drain(fh: FileHandle, offset: number): Promise<number> {
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    if (bytesRead === 0) return offset;
    offset += bytesRead;
    if (!process.stdout.write(buf.subarray(0, bytesRead))) await new Promise((r) => process.stdout.once('drain', r));
  }
}
