// What else a filesystem volume holds beside disk.img, counted while streaming the directory: memory and report
// stay bounded whatever the volume holds (a few names are kept for the message). Dotfiles (the launcher's own raw
// record among them) and lost+found are ignored.
import { opendir } from 'node:fs/promises';
import { DISK_IMAGE_NAME } from '../plan/volume-paths.js';

export interface Counted { count: number; names: string[] }

const NAMES_KEPT = 5;

export async function listVolumeEntries(dir: string, imageSuffixes: readonly string[]): Promise<{ extraImages: Counted; extraFiles: Counted }> {
  const extraImages: Counted = { count: 0, names: [] };
  const extraFiles: Counted = { count: 0, names: [] };
  for await (const e of await opendir(dir, { bufferSize: 256 })) {
    const name = e.name;
    if (name === DISK_IMAGE_NAME || name === 'lost+found' || name.startsWith('.')) continue;
    const lower = name.toLowerCase();
    const kind = imageSuffixes.some((s) => lower.endsWith(s)) ? extraImages : extraFiles;
    kind.count++;
    if (kind.names.length < NAMES_KEPT) kind.names.push(name);
  }
  return { extraImages, extraFiles };
}
