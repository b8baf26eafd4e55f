// Decisions no other test pinned (found alive by `npm run mutation`): a claim's readOnly, the vCPU count with
// threads, io for a block device whatever its allocation, and the text of every refusal's message and fix.
import test from 'ava';
import { buildDomain, decideCache, decideIo, diskSuffix } from '../../domain/convert/index.js';
import type { Decision, CacheMode, IoMode, VmSpec, VolumeFacts, VolumeKind } from '../../domain/model/index.js';
import { parseVmi } from '../../domain/manifest/index.js';
import { vmi as baseVmi, type Doc } from '../helpers/vmi-builder.js';

const vmi = (disk: Doc, volume: Doc, domain: Doc = {}): Doc =>
  baseVmi({ disks: [{ name: 'data', ...disk }], volumes: [{ name: 'data', ...volume }], domain });

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
    const r = parseVmi(vmi(disk, volume));
    t.deepEqual(r.problems, []);
    t.is(r.spec?.disks[0]?.readonly, readonly);
  });
}

test('the short form names the claim', (t) => {
  t.deepEqual(parseVmi(vmi({}, { persistentVolumeClaim: 'my-claim' })).spec?.disks[0]?.source, { kind: 'pvc', claimName: 'my-claim', readOnly: false });
});

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

// A block device's writes never block on allocation, so it gets native io whatever its facts say about allocation.
// [requested io, cache, kind, fully allocated, expected io]
const ioTable: Array<[IoMode | undefined, CacheMode, VolumeKind, boolean, IoMode]> = [
  [undefined, 'none', 'block', false, 'native'],
  [undefined, 'writethrough', 'block', false, 'threads'],
  [undefined, 'none', 'filesystem', false, 'threads'],
  ['native', 'none', 'block', false, 'native'],
];
for (const [requested, cache, kind, full, io] of ioTable) {
  test(`io whatever the allocation: requested ${requested ?? '-'}, cache ${cache}, ${kind}, fully allocated ${full} -> ${io}`, (t) => {
    t.deepEqual(decideIo(requested, cache, kind, full), { ok: true, value: io });
  });
}

test('a block device not fully allocated is built with native io and discard', (t) => {
  const { domain } = buildDomain(spec({ sockets: 1, cores: 1, threads: 1 }), facts('block', false), opts);
  t.like(domain?.devices.disks[0], { type: 'block', source: { dev: '/dev/data' }, driver: { cache: 'none', io: 'native', discard: 'unmap' } });
});

// Every refusal of the disk policy, with its message and a fix that names the field and what to do.
const refusals: Array<[string, () => Decision<string>, string, RegExp, RegExp]> = [
  ['cache none without O_DIRECT', () => decideCache('none', false), 'CacheNoneUnsupported',
    /^cache: none needs O_DIRECT, which the image's location refuses$/, /^remove cache .*writethrough.* or set cache: writethrough$/],
  ['io native with writethrough', () => decideIo('native', 'writethrough', 'block', true), 'IoNativeNeedsCacheNone',
    /^io: native needs cache: none, but the cache is writethrough$/, /^remove io .*threads.* or set io: threads$/],
];
for (const [what, decide, reason, message, fix] of refusals) {
  test(`refusal text: ${what}`, (t) => {
    const d = decide();
    if (d.ok) return t.fail('accepted');
    t.is(d.reason as string, reason);
    t.regex(d.message, message);
    t.regex(d.fix, fix);
  });
}

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
