// The size rules for a created or grown disk.img (KubeVirt's pkg/host-disk and ExpandDisks), and the annotations that
// carry a claim's size and preallocation into the VMI: tables of plain numbers.
import test from 'ava';
import { MIB, decideCreateSize, growthChange } from '../../domain/convert/index.js';
import { VOLUME_RESERVE_BYTES, decideGrowth } from '../../domain/convert/disk-image-size.js';
import { parseVmi } from '../../domain/manifest/index.js';
import type { DiskSpec, VolumeFacts } from '../../domain/model/index.js';
import { pvc, vmi as baseVmi, type Doc } from '../helpers/vmi-builder.js';

const wanted = (mib: number, source = 'hostDisk.capacity') => ({ bytes: mib * MIB, source });

test('create: the wanted size when the volume holds it beside the 128 KiB reserve', (t) => {
  const d = decideCreateSize({ wanted: wanted(50), availableBytes: 64 * MIB });
  t.like(d, { ok: true, value: { sizeBytes: 50 * MIB, why: 'hostDisk.capacity 50 MiB' } });
  t.is(d.ok && d.value.tolerated, undefined);
  // exactly the wanted size plus the reserve fits
  t.like(decideCreateSize({ wanted: wanted(50), availableBytes: 50 * MIB + VOLUME_RESERVE_BYTES }), { ok: true, value: { sizeBytes: 50 * MIB } });
});

test('create: a wanted size that is not whole MiB is rounded down, and below 1 MiB refused', (t) => {
  const d = decideCreateSize({ wanted: { bytes: 10 * MIB + 12345, source: 'hostDisk.capacity' }, availableBytes: 64 * MIB });
  t.like(d, { ok: true, value: { sizeBytes: 10 * MIB } });
  t.regex(d.ok ? d.value.why : '', /rounded down/);
  t.like(decideCreateSize({ wanted: { bytes: 1000, source: 'hostDisk.capacity' }, availableBytes: 64 * MIB }), { ok: false, reason: 'FieldInvalid' });
});

test('create: without a wanted size, what the volume holds less the reserve, in whole MiB', (t) => {
  t.like(decideCreateSize({ availableBytes: 64 * MIB }), { ok: true, value: { sizeBytes: 63 * MIB } });
  t.like(decideCreateSize({ availableBytes: 64 * MIB + VOLUME_RESERVE_BYTES }), { ok: true, value: { sizeBytes: 64 * MIB } });
  t.like(decideCreateSize({ availableBytes: 512 * 1024 }), { ok: false, reason: 'VolumeTooSmall' });
  t.like(decideCreateSize({}), { ok: false, reason: 'VolumeTooSmall' }, 'a filesystem without a size, and no size asked for');
  t.like(decideCreateSize({ wanted: wanted(8) }), { ok: true, value: { sizeBytes: 8 * MIB } }, 'no size to compare with: the wanted size');
});

test('create: the 10 % tolerance both ways, with the numbers in the refusal', (t) => {
  // 64 MiB free -> 63 MiB usable. 70 MiB wanted: 90 % is 63 MiB: tolerated, created at 63 MiB with a warning.
  const ok = decideCreateSize({ wanted: wanted(70), availableBytes: 64 * MIB });
  t.like(ok, { ok: true, value: { sizeBytes: 63 * MIB, tolerated: { reason: 'ToleratedSmallPV' } } });
  t.regex(ok.ok ? ok.value.tolerated!.message : '', /70 MiB.*64 MiB free.*63 MiB usable/);
  // 71 MiB wanted: 90 % is 63.9 MiB, more than 63 MiB: refused, with every number.
  const no = decideCreateSize({ wanted: wanted(71), availableBytes: 64 * MIB });
  t.like(no, { ok: false, reason: 'VolumeTooSmall' });
  t.regex(no.ok ? '' : no.message, /asks for 71 MiB; the volume has 64 MiB free, 63 MiB usable .*at least 63\.90 MiB/);
});

test('growth: to what the volume holds, capped by the claim, never shrinking', (t) => {
  // a sparse 32 MiB image holding 4 MiB on a volume with 100 MiB free: room 104 MiB less the reserve -> 103 MiB
  t.like(decideGrowth({ virtualSize: 32 * MIB, allocatedSize: 4 * MIB, availableBytes: 100 * MIB }), { fromBytes: 32 * MIB, toBytes: 103 * MIB, why: 'what the volume can hold' });
  t.like(decideGrowth({ virtualSize: 32 * MIB, allocatedSize: 4 * MIB, availableBytes: 100 * MIB, claimSize: wanted(64, 'annotation x') }), { toBytes: 64 * MIB, why: 'annotation x 64 MiB' });
  t.is(decideGrowth({ virtualSize: 32 * MIB, allocatedSize: 32 * MIB, availableBytes: 0 }), undefined, 'a full volume: nothing to grow');
  t.is(decideGrowth({ virtualSize: 200 * MIB, allocatedSize: 4 * MIB, availableBytes: 100 * MIB }), undefined, 'never shrink');
  t.is(decideGrowth({ virtualSize: 32 * MIB, allocatedSize: 4 * MIB }), undefined, 'a filesystem without a size');
});

const disk = (extra: Partial<DiskSpec> = {}): DiskSpec => ({ name: 'd', volumeName: 'd', field: 'f', device: 'disk', bus: 'virtio', readonly: false, source: { kind: 'pvc', claimName: 'c', readOnly: false }, ...extra });
const facts = (extra: Partial<VolumeFacts> = {}): VolumeFacts => ({
  volume: 'd', kind: 'filesystem', path: '/v/d/disk.img', virtualSize: 32 * MIB, allocatedSize: 32 * MIB, fullyAllocated: true, directIo: true, filesystemFree: 64 * MIB, ...extra,
});

test('growth: only writable images on filesystem PVCs; a fully allocated one stays fully allocated', (t) => {
  t.like(growthChange(disk(), facts()), { kind: 'grow', toBytes: 95 * MIB, preallocate: true });
  t.like(growthChange(disk(), facts({ fullyAllocated: false })), { preallocate: false });
  t.is(growthChange(disk(), facts({ kind: 'block' })), undefined);
  t.is(growthChange(disk(), facts({ kind: 'hostDisk' })), undefined);
  t.is(growthChange(disk({ readonly: true }), facts()), undefined);
  t.is(growthChange(disk({ device: 'cdrom' }), facts()), undefined);
});

const vmi = (annotations: Record<string, string>, volumes: Doc[] = [pvc('data', 'c')]) =>
  parseVmi(baseVmi({ name: 'v', annotations, memory: '64Mi', disks: volumes.map((v) => ({ name: v['name'] })), volumes }));

test('annotations: the claim size and preallocation per volume; a PVC disk may be created, a read-only one not', (t) => {
  const r = vmi({ 'claim-size.vm-launcher.io/data': '10Gi', 'preallocation.vm-launcher.io/data': 'true' });
  t.deepEqual(r.problems, []);
  t.deepEqual(r.spec?.disks[0]?.storage, { mayCreate: true, size: { bytes: 10 * 1024 * MIB, source: 'annotation claim-size.vm-launcher.io/data' }, preallocate: true });
  const ro = vmi({}, [{ name: 'data', persistentVolumeClaim: { claimName: 'c', readOnly: true } }]);
  t.deepEqual(ro.spec?.disks[0]?.storage, { mayCreate: false, preallocate: false });
});

test('annotations: hostDisk DiskOrCreate takes its size from capacity; Disk is never created', (t) => {
  const r = vmi({}, [{ name: 'h', hostDisk: { path: '/data/h.img', type: 'DiskOrCreate', capacity: '1Gi' } }]);
  t.deepEqual(r.spec?.disks[0]?.storage, { mayCreate: true, size: { bytes: 1024 * MIB, source: 'hostDisk.capacity' }, preallocate: false });
  const plain = vmi({}, [{ name: 'h', hostDisk: { path: '/data/h.img', type: 'Disk' } }]);
  t.is(plain.spec?.disks[0]?.storage?.mayCreate, false);
});

test('annotations: an unknown volume, a bad size, a bad flag and a claim size on a hostDisk are each FieldInvalid with the annotation as field', (t) => {
  const r = vmi({
    'claim-size.vm-launcher.io/nosuch': '1Gi',
    'claim-size.vm-launcher.io/data': 'lots',
    'preallocation.vm-launcher.io/data': 'yes',
    'claim-size.vm-launcher.io/h': '1Gi',
  }, [{ name: 'data', persistentVolumeClaim: { claimName: 'c' } }, { name: 'h', hostDisk: { path: '/data/h.img', type: 'DiskOrCreate' } }]);
  t.deepEqual(r.problems.map((p) => [p.reason, p.field]), [
    ['FieldInvalid', 'metadata.annotations["claim-size.vm-launcher.io/nosuch"]'],
    ['FieldInvalid', 'metadata.annotations["claim-size.vm-launcher.io/data"]'],
    ['FieldInvalid', 'metadata.annotations["preallocation.vm-launcher.io/data"]'],
    ['FieldInvalid', 'metadata.annotations["claim-size.vm-launcher.io/h"]'],
  ]);
});

test('a preallocated claim gets no discard even when its image has holes (KubeVirt drops discard=unmap for it)', async (t) => {
  const { buildDomain } = await import('../../domain/convert/build-domain.js');
  const spec = { name: 'v', namespace: 'n', annotations: {}, labels: {}, cpu: { sockets: 1, cores: 1, threads: 1 }, memoryBytes: 64 * MIB, terminationGracePeriodSeconds: 30 };
  const sparse = facts({ fullyAllocated: false });
  const withAnnotation = buildDomain({ ...spec, disks: [disk({ storage: { mayCreate: true, preallocate: true } })] }, new Map([['d', sparse]]), { accel: 'qemu', consoleLogPath: '/c' });
  const without = buildDomain({ ...spec, disks: [disk()] }, new Map([['d', sparse]]), { accel: 'qemu', consoleLogPath: '/c' });
  t.is(withAnnotation.domain?.devices.disks[0]?.driver.discard, undefined);
  t.is(without.domain?.devices.disks[0]?.driver.discard, 'unmap');
});

// Every refusal and every "why" word for word: the numbers in them are what a user acts on (pinned after mutation
// testing found them unchecked).
const KIB = 1024;
const createTexts: Array<[string, Parameters<typeof decideCreateSize>[0], Record<string, unknown>]> = [
  ['the reserve is 128 KiB: 64 KiB past a MiB boundary is not enough for that MiB',
    { availableBytes: 10 * MIB + 64 * KIB }, { ok: true, value: { sizeBytes: 9 * MIB, why: 'what the volume can hold (10.06 MiB free, 128 KiB kept in reserve)' } }],
  ['no size anywhere',
    {}, { ok: false, reason: 'VolumeTooSmall', message: 'the volume\'s filesystem reports no size, and no size was asked for',
      fix: 'give the size: hostDisk.capacity, or the annotation claim-size.vm-launcher.io/<volume> (see docs/storage.md: Creating and growing disk.img)' }],
  ['a volume with room for less than 1 MiB',
    { availableBytes: 512 * KIB }, { ok: false, reason: 'VolumeTooSmall', message: 'the volume has 0.50 MiB free; an image needs at least 1 MiB beside the 128 KiB reserve', fix: 'use a larger PVC' }],
  ['a wanted size below 1 MiB',
    { wanted: { bytes: 1000, source: 'hostDisk.capacity' }, availableBytes: 64 * MIB },
    { ok: false, reason: 'FieldInvalid', message: 'hostDisk.capacity is 1000 bytes: an image needs at least 1 MiB', fix: 'set hostDisk.capacity to 1Mi or more' }],
  ['the wanted size plus the reserve exactly: no tolerance needed',
    { wanted: wanted(50), availableBytes: 50 * MIB + VOLUME_RESERVE_BYTES }, { ok: true, value: { sizeBytes: 50 * MIB, why: 'hostDisk.capacity 50 MiB', tolerated: undefined } }],
  ['tolerated: the why and the warning',
    { wanted: wanted(70), availableBytes: 64 * MIB }, { ok: true, value: { sizeBytes: 63 * MIB, why: 'hostDisk.capacity 70 MiB, tolerated down to what the volume can hold',
      tolerated: { reason: 'ToleratedSmallPV', message: 'hostDisk.capacity asks for 70 MiB; the volume has 64 MiB free, 63 MiB usable after the 128 KiB reserve: creating 63 MiB, within the 10 % tolerance' } } }],
  ['refused below the tolerance: the PVC size that would do',
    { wanted: wanted(71), availableBytes: 64 * MIB }, { ok: false, reason: 'VolumeTooSmall',
      message: 'hostDisk.capacity asks for 71 MiB; the volume has 64 MiB free, 63 MiB usable after the 128 KiB reserve, below the 10 % tolerance (at least 63.90 MiB)',
      fix: 'use a PVC of at least 71.13 MiB (plus filesystem overhead), or lower hostDisk.capacity' }],
];
for (const [title, input, expected] of createTexts) {
  test(`create, word for word: ${title}`, (t) => {
    t.deepEqual(decideCreateSize(input), expected.ok ? { ok: true, value: Object.fromEntries(Object.entries(expected['value'] as object).filter(([, v]) => v !== undefined)) } : expected);
  });
}

test('growth: the boundaries (equal size is no growth; a claim exactly what the volume holds is named)', (t) => {
  // 32 MiB image, all of it on the volume, 0.5 MiB + the reserve free: room 32.5 MiB -> 32 MiB, not larger
  t.is(decideGrowth({ virtualSize: 32 * MIB, allocatedSize: 32 * MIB, availableBytes: 512 * KIB + VOLUME_RESERVE_BYTES }), undefined);
  t.deepEqual(decideGrowth({ virtualSize: 32 * MIB, allocatedSize: 32 * MIB, availableBytes: MIB + VOLUME_RESERVE_BYTES }), { fromBytes: 32 * MIB, toBytes: 33 * MIB, why: 'what the volume can hold' });
  // room is 104 MiB less the reserve; a claim of exactly that is the claim's size; one above it is the volume's
  const room = 104 * MIB - VOLUME_RESERVE_BYTES;
  t.is(decideGrowth({ virtualSize: 32 * MIB, allocatedSize: 4 * MIB, availableBytes: 100 * MIB, claimSize: { bytes: room, source: 'claim c' } })?.why, 'claim c 103 MiB');
  t.is(decideGrowth({ virtualSize: 32 * MIB, allocatedSize: 4 * MIB, availableBytes: 100 * MIB, claimSize: { bytes: room + 1, source: 'claim c' } })?.why, 'what the volume can hold');
});

test('growth change: needs the image\'s size and the volume\'s free space; the claim caps it; preallocation from either side', (t) => {
  const { virtualSize: _v, ...noSize } = facts();
  t.is(growthChange(disk(), noSize), undefined, 'no virtual size known');
  const { filesystemFree: _f, ...noFree } = facts();
  t.is(growthChange(disk(), noFree), undefined, 'a filesystem that reports no size');
  t.like(growthChange(disk({ storage: { mayCreate: true, preallocate: false, size: wanted(48, 'annotation a') } }), facts()), { toBytes: 48 * MIB, why: 'annotation a 48 MiB' });
  t.like(growthChange(disk({ storage: { mayCreate: true, preallocate: true } }), facts({ fullyAllocated: false })), { preallocate: true }, 'the claim is marked preallocated');
  t.like(growthChange(disk(), facts({ allocatedSize: undefined as unknown as number, fullyAllocated: false })), { toBytes: 63 * MIB }, 'nothing known allocated: only the free space counts');
});
