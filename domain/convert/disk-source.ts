// Where a disk's bytes are, as libvirt is told: the volume's image or device itself, the emptyDisk the launcher
// creates, or the launcher's qcow2 overlay with the volume's raw image as its named, read-only backing store.
import type { DomainDisk } from '../libvirt/index.js';
import type { VolumeFacts } from '../model/index.js';
import { diskSourceType } from './disk-policy.js';

type Placed = Pick<DomainDisk, 'type' | 'source' | 'backingStore'> & { format: DomainDisk['driver']['type'] };

const sourceOf = (type: 'file' | 'block', path: string): DomainDisk['source'] => (type === 'block' ? { dev: path } : { file: path });

export function placeDisk(facts: VolumeFacts): Placed {
  const type = diskSourceType(facts.kind);
  if (facts.created?.kind === 'overlay') {
    return {
      type: 'file', source: { file: facts.created.path }, format: 'qcow2',
      backingStore: { type, format: 'raw', source: sourceOf(type, facts.path) },
    };
  }
  return { type, source: sourceOf(type, facts.path), format: 'raw' };
}
