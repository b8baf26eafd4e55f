// After the guest started: record beside each file-backed disk that it was booted as raw (inspect/raw-marker.ts),
// so that what its guest later writes at offset 0 is never mistaken for the image's format. Best effort: a
// read-only volume simply keeps no record. The marker belongs to the VM user, like the volume.
import { stat } from 'node:fs/promises';
import type { Logger } from '../common/log.js';
import type { RunAs } from '../common/run-as.js';
import { writeFileSafely } from '../common/safe-files.js';
import type { DiskIdentity } from '../inspect/inspect-volume.js';
import { knownRaw, rawMarkerFor, rawMarkerPath } from '../inspect/raw-marker.js';

export async function recordBootedRaw(disks: readonly DiskIdentity[], readonlyVolumes: ReadonlySet<string>, runAs: RunAs | undefined, logger: Logger): Promise<void> {
  for (const d of disks) {
    if (d.block || readonlyVolumes.has(d.volume)) continue;
    try {
      const st = await stat(d.path);
      if (st.ino !== d.ino || st.dev !== d.dev || (await knownRaw(d.path, st, runAs)) === 'recorded') continue;
      await writeFileSafely(rawMarkerPath(d.path), JSON.stringify(rawMarkerFor(st)) + '\n', { mode: 0o644, ...(runAs && { owner: runAs }) });
    } catch (e) {
      logger.debug({ volume: d.volume }, `no raw record beside ${d.path}: ${(e as Error).message}`);
    }
  }
}
