// Pairing disks with volumes (domain/manifest/vmi-match.ts) at its edges: duplicate names word for word (a volume's names the
// volume, a disk's does not), which sources make a read-only disk, and no storage size out of nothing.
import test from 'ava';
import { parseVmi } from '../../domain/manifest/index.js';
import { pvc, vmi as baseVmi } from '../helpers/vmi-builder.js';

const vmi = (disks: unknown[], volumes: unknown[]) => baseVmi({ namespace: 'ns', disks, volumes });

test('vmi-match: two disks of one name, two volumes of one name: word for word, the volume\'s names its volume', (t) => {
  const disks = parseVmi(vmi([{ name: 'a' }, { name: 'a', volumeName: 'b' }], [pvc('a'), pvc('b')])).problems.find((p) => p.reason === 'DiskNameDuplicate');
  t.deepEqual({ ...disks }, {
    reason: 'DiskNameDuplicate', severity: 'error', field: 'spec.domain.devices.disks[1].name',
    message: 'spec.domain.devices.disks[1].name: another disk is already named a', fix: 'give every disk a unique name',
  });
  const volumes = parseVmi(vmi([{ name: 'a' }], [pvc('a'), pvc('a')])).problems.find((p) => p.reason === 'VolumeNameDuplicate');
  t.deepEqual({ ...volumes }, {
    reason: 'VolumeNameDuplicate', severity: 'error', field: 'spec.volumes[1].name', volume: 'a',
    message: 'spec.volumes[1].name: another volume is already named a', fix: 'give every volume a unique name',
  });
});

test('vmi-match: only a read-only claim (or the disk itself) makes a disk read-only; a hostDisk or an emptyDisk stays writable', (t) => {
  const disk = (volume: Record<string, unknown>) => parseVmi(vmi([{ name: 'd' }], [volume])).spec?.disks[0];
  t.like(disk(pvc('d', 'd', { readOnly: true })), { readonly: true, storage: { mayCreate: false } });
  t.like(disk(pvc('d')), { readonly: false, storage: { mayCreate: true } });
  t.like(disk({ name: 'd', hostDisk: { path: '/data/d.img', type: 'Disk' } }), { readonly: false });
  t.like(disk({ name: 'd', emptyDisk: { capacity: '1Gi' } }), { readonly: false });
});

test('vmi-match: a hostDisk without a capacity has no storage size (not a size of undefined)', (t) => {
  const d = parseVmi(vmi([{ name: 'd' }], [{ name: 'd', hostDisk: { path: '/data/d.img', type: 'Disk' } }])).spec?.disks[0];
  t.truthy(d?.storage);
  t.false('size' in d!.storage!);
});
