// "This file is a raw disk", recorded beside it. A raw disk's first bytes are whatever its guest wrote: a guest that
// encrypts its whole disk (LUKS at offset 0) or stores a qcow2 image on it makes `qemu-img info` see that format.
// Refusing such a disk as DiskImageNotRaw, and worse, telling the user to convert it, would destroy the guest's data.
// So once the launcher has booted an image as raw it records that in `.<image name>.vm-launcher-raw` beside it, keyed
// by the image's inode number and birth time (stable across pods, nodes and resizes; a new file has a new inode);
// later runs skip format probing for that very file. A person can declare an image raw with an empty marker file
// (`touch .disk.img.vm-launcher-raw`); the launcher then keys it to the file at its next boot. Block volumes are
// raw by definition and never probed. A guest cannot write these files: they live on the volume's filesystem,
// outside the disk. The marker grants nothing: the domain always says raw, whatever the image claims.
import type { Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readTrusted } from '../common/safe-files.js';
import { trustedOwners, type RunAs } from '../common/run-as.js';

export const RAW_MARKER_FORMAT = 'vm-launcher-raw/1';

export const rawMarkerPath = (image: string): string => join(dirname(image), `.${basename(image)}.vm-launcher-raw`);

export interface RawMarker { format: typeof RAW_MARKER_FORMAT; ino: number; birthtimeMs?: number; bootedAt: string }

export const rawMarkerFor = (st: Stats): RawMarker => ({
  format: RAW_MARKER_FORMAT, ino: st.ino, ...(st.birthtimeMs > 0 && { birthtimeMs: st.birthtimeMs }), bootedAt: new Date().toISOString(),
});

/** 'recorded': the launcher booted this very file as raw; 'declared': a person said so; undefined: probe it. */
export async function knownRaw(image: string, st: Stats, runAs?: RunAs): Promise<'recorded' | 'declared' | undefined> {
  let text: string;
  try {
    // Only a marker the VM user (who owns the volume) or the launcher's own user wrote: root never reads, through a
    // link the VM user planted in a directory above, someone else's file.
    const owners = trustedOwners(runAs);
    text = await readTrusted(rawMarkerPath(image), { maxBytes: 4096, owners });
  } catch {
    return undefined;
  }
  if (text.trim() === '') return 'declared';
  try {
    const m = JSON.parse(text) as Partial<RawMarker>;
    if (m.format !== RAW_MARKER_FORMAT || m.ino !== st.ino) return undefined;
    if (m.birthtimeMs !== undefined && st.birthtimeMs > 0 && m.birthtimeMs !== st.birthtimeMs) return undefined;
    return 'recorded';
  } catch {
    return undefined;
  }
}
