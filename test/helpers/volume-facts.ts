// What inspecting a pod's volumes would have found, for unit tests that build a domain without real volumes: every
// disk a sparse raw image on a filesystem volume, at /v/<volume>/disk.img.
import type { VmSpec, VolumeFacts } from '../../domain/model/index.js';

export const fileFacts = (volume: string, directIo = true): VolumeFacts =>
  ({ volume, kind: 'filesystem', path: `/v/${volume}/disk.img`, fullyAllocated: false, directIo });

export const filesystemFacts = (spec: VmSpec, directIo = true): Map<string, VolumeFacts> =>
  new Map(spec.disks.map((d): [string, VolumeFacts] => [d.volumeName, fileFacts(d.volumeName, directIo)]));
