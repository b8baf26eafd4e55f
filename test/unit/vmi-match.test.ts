// Pairing disks with volumes (domain/manifest/vmi-match.ts) at its edges: duplicate names word for word (a volume's names the
// volume, a disk's does not), which sources make a read-only disk (a claim's readOnly in every form, the disk's own),
// the short form naming the claim, and no storage size out of nothing.
import test from 'ava';
import { parseVmi } from '../../domain/manifest/index.js';
import { pvc, vmi as baseVmi, type Doc } from '../helpers/vmi-builder.js';

const vmi = (disks: unknown[], volumes: unknown[]) => baseVmi({ namespace: 'ns', disks, volumes });
/** One disk named data on one volume named data, each given its other fields. */
const dataVmi = (disk: Doc, volume: Doc) => baseVmi({ disks: [{ name: 'data', ...disk }], volumes: [{ name: 'data', ...volume }] });

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

// [what, disk fields, volume source, the disk's readonly]
const readOnlyTable: Array<[string, Doc, Doc, boolean]> = [
  ['a read-only claim on an ordinary disk', { disk: {} }, { persistentVolumeClaim: { claimName: 'c', readOnly: true } }, true],
  ['a claim without readOnly', { disk: {} }, { persistentVolumeClaim: { claimName: 'c' } }, false],
  ['a claim with readOnly: false', { disk: {} }, { persistentVolumeClaim: { claimName: 'c', readOnly: false } }, false],
  ['the short form (a claim name only)', { disk: {} }, { persistentVolumeClaim: 'c' }, false],
  ['a read-only disk on a writable claim', { disk: { readonly: true } }, { persistentVolumeClaim: { claimName: 'c', readOnly: false } }, true],
  ['a hostDisk', { disk: {} }, { hostDisk: { path: '/a/b.img', type: 'Disk' } }, false],
];

for (const [what, disk, volume, readonly] of readOnlyTable) {
  test(`readonly: ${what} -> ${readonly}`, (t) => {
    const r = parseVmi(dataVmi(disk, volume));
    t.deepEqual(r.problems, []);
    t.is(r.spec?.disks[0]?.readonly, readonly);
  });
}

test('the short form names the claim', (t) => {
  t.deepEqual(parseVmi(dataVmi({}, { persistentVolumeClaim: 'my-claim' })).spec?.disks[0]?.source, { kind: 'pvc', claimName: 'my-claim', readOnly: false });
});
