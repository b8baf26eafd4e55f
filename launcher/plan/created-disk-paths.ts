// Where `run` creates the disks it makes itself, decided once: KubeVirt's layout under the ephemeral dir.
// A volume name only reaches a path after its DNS-1123 check (again here, as in volume-paths.ts).
import { join } from 'node:path';
import type { CreatedSource } from '../../domain/model/index.js';
import { isSafeVolumeName } from './volume-paths.js';

export interface CreatedDiskLocation {
  path: string;
  /** The names of the dirs below the ephemeral dir that hold it, outermost first: the launcher makes them and removes them. */
  dirNames: string[];
  /** The file's own name in the innermost of them. */
  fileName: string;
}

/** emptyDisk: `<dir>/empty-disks/<volume>.img`; ephemeral overlay: `<dir>/disk-data/<volume>/disk.qcow2`. */
export function createdDiskLocation(ephemeralDir: string, volume: string, kind: CreatedSource['kind']): CreatedDiskLocation {
  if (!isSafeVolumeName(volume)) throw new Error(`unsafe volume name reached createdDiskLocation: ${JSON.stringify(volume)}`);
  const dirNames = kind === 'emptyDisk' ? ['empty-disks'] : ['disk-data', volume];
  const fileName = kind === 'emptyDisk' ? `${volume}.img` : 'disk.qcow2';
  return { path: join(ephemeralDir, ...dirNames, fileName), dirNames, fileName };
}
