// buildDomain on a VmSpec, asserted on the domain model: the vCPU topology (threads from the manifest), what a disk's
// facts decide (a block device: native io and discard whatever its allocation; a CD-ROM: read-only), and every build
// problem with its field, volume, message and fix (a refused disk, a disk without facts, a bad disk index).
import test from 'ava';
import { buildDomain, diskSuffix } from '../../domain/convert/index.js';
import type { VmSpec, VolumeFacts, VolumeKind } from '../../domain/model/index.js';
import { parseVmi } from '../../domain/manifest/index.js';
import { vmi as baseVmi, type Doc } from '../helpers/vmi-builder.js';

const vmi = (disk: Doc, volume: Doc, domain: Doc = {}): Doc =>
  baseVmi({ disks: [{ name: 'data', ...disk }], volumes: [{ name: 'data', ...volume }], domain });

const spec = (cpu: VmSpec['cpu']): VmSpec => ({
  name: 'vm1', namespace: 'default', annotations: {}, labels: {}, cpu, memoryBytes: 2 ** 27, terminationGracePeriodSeconds: 30,
  disks: [{ name: 'data', volumeName: 'data', field: 'spec.domain.devices.disks[0]', device: 'disk', bus: 'virtio', readonly: false, source: { kind: 'pvc', claimName: 'data', readOnly: false } }],
});
const facts = (kind: VolumeKind, fullyAllocated: boolean, directIo = true): Map<string, VolumeFacts> =>
  new Map([['data', { volume: 'data', kind, path: kind === 'block' ? '/dev/data' : '/v/data/disk.img', fullyAllocated, directIo }]]);
const opts = { accel: 'qemu' as const, consoleLogPath: '/run/console.log' };

// [sockets, cores, threads, vCPUs]
const cpuTable: Array<[number, number, number, number]> = [[1, 1, 1, 1], [1, 1, 2, 2], [2, 3, 2, 12], [4, 1, 4, 16], [1, 8, 1, 8]];
for (const [sockets, cores, threads, vcpu] of cpuTable) {
  test(`vCPUs: ${sockets} sockets x ${cores} cores x ${threads} threads = ${vcpu}`, (t) => {
    const { domain } = buildDomain(spec({ sockets, cores, threads }), facts('filesystem', false), opts);
    t.is(domain?.vcpu, vcpu);
    t.deepEqual(domain?.cpu.topology, { sockets, cores, threads });
  });
}

test('the threads count comes from the manifest', (t) => {
  const r = parseVmi(vmi({}, { persistentVolumeClaim: 'c' }, { cpu: { sockets: 1, cores: 2, threads: 2 } }));
  t.deepEqual(r.spec?.cpu, { sockets: 1, cores: 2, threads: 2 });
});

test('a block device not fully allocated is built with native io and discard', (t) => {
  const { domain } = buildDomain(spec({ sockets: 1, cores: 1, threads: 1 }), facts('block', false), opts);
  t.like(domain?.devices.disks[0], { type: 'block', source: { dev: '/dev/data' }, driver: { cache: 'none', io: 'native', discard: 'unmap' } });
});

test('a refused disk carries the policy field, volume, message and fix into the build problems', (t) => {
  const s = spec({ sockets: 1, cores: 1, threads: 1 });
  const disk = { ...s.disks[0]!, cache: 'none' as const, io: 'native' as const };
  const r = buildDomain({ ...s, disks: [disk] }, facts('filesystem', true, false), opts);
  t.is(r.domain, undefined);
  t.deepEqual(r.problems.map((p) => [p.reason, p.field, p.volume, p.message]), [
    ['CacheNoneUnsupported', 'spec.domain.devices.disks[0].cache', 'data', "disk data: cache: none needs O_DIRECT, which the image's location refuses"],
  ]);
  t.regex(r.problems[0]?.fix ?? '', /cache/);
  const io = buildDomain({ ...s, disks: [{ ...disk, cache: 'writethrough' }] }, facts('filesystem', true, true), opts);
  t.deepEqual(io.problems.map((p) => [p.reason, p.field, p.message]), [
    ['IoNativeNeedsCacheNone', 'spec.domain.devices.disks[0].io', 'disk data: io: native needs cache: none, but the cache is writethrough'],
  ]);
  t.regex(io.problems[0]?.fix ?? '', /io: threads/);
});

test('a disk without facts is a problem naming the volume, with a fix', (t) => {
  const r = buildDomain(spec({ sockets: 1, cores: 1, threads: 1 }), new Map(), opts);
  t.deepEqual(r.problems.map((p) => [p.reason, p.field, p.volume, p.message]), [
    ['VolumeFactsMissing', 'spec.domain.devices.disks[0]', 'data', 'disk data: nothing is known about volume data'],
  ]);
  t.regex(r.problems[0]?.fix ?? '', /inspect the volume/);
});

test('a bad disk index is refused with the index in the message', (t) => {
  t.throws(() => diskSuffix(-1), { instanceOf: RangeError, message: 'disk index must be a non-negative integer, not -1' });
  t.throws(() => diskSuffix(2 ** 53), { instanceOf: RangeError, message: /not 9007199254740992$/ });
});

test('a CD-ROM is read-only even when its spec says otherwise', (t) => {
  const s = spec({ sockets: 1, cores: 1, threads: 1 });
  const cdrom = { ...s.disks[0]!, device: 'cdrom' as const, bus: 'sata' as const, readonly: false };
  const { domain } = buildDomain({ ...s, disks: [cdrom] }, facts('filesystem', true), opts);
  t.like(domain?.devices.disks[0], { device: 'cdrom', readonly: true });
});
