// The disk decision tables (domain/convert/disk-policy.ts), as tables: cache, io, discard, source type, domain type,
// target names; and every refusal of the disk policy with its message and fix.
import test from 'ava';
import {
  assignTargets, decideCache, decideDiscard, decideIo, diskSourceType, diskSuffix, domainTypeFor, targetPrefix,
} from '../../domain/convert/index.js';
import type { Bus, CacheMode, Decision, IoMode, VolumeKind } from '../../domain/model/index.js';

// [requested, directIo, expected value or reason]
const cacheTable: Array<[CacheMode | undefined, boolean, CacheMode | `!${string}`]> = [
  [undefined, true, 'none'],
  [undefined, false, 'writethrough'],
  ['none', true, 'none'],
  ['none', false, '!CacheNoneUnsupported'],
  ['writethrough', true, 'writethrough'],
  ['writethrough', false, 'writethrough'],
  ['writeback', true, 'writeback'],
  ['writeback', false, 'writeback'],
];

for (const [requested, directIo, expected] of cacheTable) {
  test(`cache: requested ${requested ?? '-'}, O_DIRECT ${directIo} -> ${expected}`, (t) => {
    const d = decideCache(requested, directIo);
    if (expected.startsWith('!')) {
      t.like(d, { ok: false, reason: expected.slice(1) });
      if (!d.ok) t.regex(d.fix, /writethrough/);
    } else {
      t.deepEqual(d, { ok: true, value: expected });
    }
  });
}

// [requested, cache, kind, fullyAllocated, expected]
const ioTable: Array<[IoMode | undefined, CacheMode, VolumeKind, boolean, IoMode | `!${string}`]> = [
  [undefined, 'none', 'block', true, 'native'],
  [undefined, 'none', 'filesystem', true, 'native'],
  [undefined, 'none', 'filesystem', false, 'threads'],
  [undefined, 'none', 'hostDisk', true, 'native'],
  [undefined, 'none', 'hostDisk', false, 'threads'],
  [undefined, 'writethrough', 'block', true, 'threads'],
  [undefined, 'writethrough', 'filesystem', true, 'threads'],
  [undefined, 'writeback', 'filesystem', false, 'threads'],
  ['native', 'none', 'filesystem', false, 'native'], // the user's choice where it can work
  ['native', 'writethrough', 'block', true, '!IoNativeNeedsCacheNone'],
  ['native', 'writeback', 'filesystem', true, '!IoNativeNeedsCacheNone'],
  ['threads', 'none', 'block', true, 'threads'],
  ['threads', 'writethrough', 'filesystem', false, 'threads'],
];

for (const [requested, cache, kind, full, expected] of ioTable) {
  test(`io: requested ${requested ?? '-'}, cache ${cache}, ${kind}, fully allocated ${full} -> ${expected}`, (t) => {
    const d = decideIo(requested, cache, kind, full);
    if (expected.startsWith('!')) t.like(d, { ok: false, reason: expected.slice(1) });
    else t.deepEqual(d, { ok: true, value: expected });
  });
}

test('discard: unmap unless fully allocated (block devices count as fully allocated)', (t) => {
  t.is(decideDiscard(false), 'unmap');
  t.is(decideDiscard(true), undefined);
});

test('disk source type from the volume kind', (t) => {
  t.is(diskSourceType('block'), 'block');
  t.is(diskSourceType('filesystem'), 'file');
  t.is(diskSourceType('hostDisk'), 'file');
});

test('domain type from the accelerator', (t) => {
  t.is(domainTypeFor('kvm'), 'kvm');
  t.is(domainTypeFor('qemu'), 'qemu');
});

test('target prefixes: virtio vd, sata and scsi share sd', (t) => {
  t.is(targetPrefix('virtio'), 'vd');
  t.is(targetPrefix('sata'), 'sd');
  t.is(targetPrefix('scsi'), 'sd');
});

const suffixes: Array<[number, string]> = [[0, 'a'], [1, 'b'], [25, 'z'], [26, 'aa'], [27, 'ab'], [51, 'az'], [52, 'ba'], [701, 'zz'], [702, 'aaa']];
for (const [index, suffix] of suffixes) {
  test(`disk suffix ${index} -> ${suffix} (as libvirt counts)`, (t) => t.is(diskSuffix(index), suffix));
}

test('disk suffix refuses negative and fractional indexes', (t) => {
  t.throws(() => diskSuffix(-1), { instanceOf: RangeError });
  t.throws(() => diskSuffix(1.5), { instanceOf: RangeError });
});

const targetTable: Array<[Bus[], string[]]> = [
  [[], []],
  [['virtio'], ['vda']],
  [['virtio', 'virtio', 'virtio'], ['vda', 'vdb', 'vdc']],
  [['sata', 'virtio', 'scsi', 'virtio', 'sata'], ['sda', 'vda', 'sdb', 'vdb', 'sdc']],
];
for (const [buses, targets] of targetTable) {
  test(`targets for [${buses.join(', ')}] -> [${targets.join(', ')}]`, (t) => t.deepEqual(assignTargets(buses), targets));
}

test('more than 26 disks go on like libvirt: vdz, vdaa, vdab', (t) => {
  const targets = assignTargets(Array.from({ length: 30 }, (): Bus => 'virtio'));
  t.deepEqual(targets.slice(24), ['vdy', 'vdz', 'vdaa', 'vdab', 'vdac', 'vdad']);
  t.is(new Set(targets).size, 30);
});

// A block device's writes never block on allocation, so it gets native io whatever its facts say about allocation.
// [requested io, cache, kind, fully allocated, expected io]
const blockIoTable: Array<[IoMode | undefined, CacheMode, VolumeKind, boolean, IoMode]> = [
  [undefined, 'none', 'block', false, 'native'],
  [undefined, 'writethrough', 'block', false, 'threads'],
  [undefined, 'none', 'filesystem', false, 'threads'],
  ['native', 'none', 'block', false, 'native'],
];
for (const [requested, cache, kind, full, io] of blockIoTable) {
  test(`io whatever the allocation: requested ${requested ?? '-'}, cache ${cache}, ${kind}, fully allocated ${full} -> ${io}`, (t) => {
    t.deepEqual(decideIo(requested, cache, kind, full), { ok: true, value: io });
  });
}

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
