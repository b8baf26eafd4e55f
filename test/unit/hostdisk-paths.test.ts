// The input guards of the pure core, one table each: quantities and hostDisk paths. Written to kill the mutants
// `npm run mutation` found alive (docs/mutation-equivalents.md lists the ones that cannot be killed).
import test from 'ava';
import { parseQuantity, hostDiskPathProblem, parseVmi } from '../../domain/manifest/index.js';
import { hostDiskPathOf } from '../helpers/disk-source.js';
import { pvc, vmi } from '../helpers/vmi-builder.js';

// [input, bytes] (undefined: refused). Each row pins a part of the grammar or the arithmetic.
const quantities: Array<[string | number | unknown[], number | undefined]> = [
  ['1.25Gi', 1.25 * 2 ** 30], // two-digit fraction
  ['0.125Ki', 128],
  ['.25Ki', 256], // fraction without a whole part, two digits
  ['1.', 1], // a trailing dot is a valid quantity
  ['1e12', 1e12], // multi-digit exponent
  ['5E+10', 5e10],
  ['1e-12', 1], // rounded up to a whole byte
  ['1e100', 1e100], // the largest exponent accepted
  ['1e-100', 1],
  ['1e101', undefined], // the exponent guard: BigInt math on 10^huge would hang
  ['1e-101', undefined],
  ['1e99999999999999999999', undefined], // not even a safe integer
  ['1n', 1], // nano: 1e-9 of a byte rounds up to 1, never to a gigabyte
  ['2000000000n', 2],
  ['1u', 1], // micro
  ['2500000u', 3],
  ['1500m', 2],
  ['1M', 1e6],
  ['1T', 1e12],
  ['1P', 1e15],
  ['1Pi', 2 ** 50],
  ['1Ei', 2 ** 60],
  [0, 0],
  [0.1, 1],
  [['1Gi'], undefined], // a one-element array must not be read as its only string
  [true as unknown as number, undefined],
];

for (const [input, bytes] of quantities) {
  test(`quantity ${JSON.stringify(input)} -> ${bytes ?? 'refused'}`, (t) => {
    t.is(parseQuantity(input as string), bytes);
  });
}

// [path, why it is refused (a part of the message) or undefined when the path is accepted]
const hostDiskPaths: Array<[string, string | undefined]> = [
  ['/var/data/disk.img', undefined],
  ['/a/b c.img', undefined], // a space is not a control character
  ['/a/..b.img', undefined], // only a whole `..` segment climbs
  ['/a/.b.img', undefined],
  ['/a/b\u0080.img', undefined], // outside ASCII's control range
  ['/a/b\0.img', 'contains a NUL byte'],
  ['\0/a', 'contains a NUL byte'],
  ['/a/b\x01.img', 'contains a control character'],
  ['/a/b\n.img', 'contains a control character'],
  ['/a/b\t.img', 'contains a control character'],
  ['/a/b\x1f.img', 'contains a control character'],
  ['/a/b\x7f.img', 'contains a control character'],
  ['a/b.img', 'is not absolute'],
  ['', 'is not absolute'],
  ['./b.img', 'is not absolute'],
  ['/', 'names a directory, not a file'],
  ['/a/', 'names a directory, not a file'],
  ['/a/../b.img', 'contains a .. segment'],
  ['/..', 'contains a .. segment'],
  ['/a/b/..', 'contains a .. segment'],
  ['/a/./b.img', 'is not normalized (. or empty segments)'],
  ['/a//b.img', 'is not normalized (. or empty segments)'],
  ['//a.img', 'is not normalized (. or empty segments)'],
  ['/a/.', 'is not normalized (. or empty segments)'],
];

for (const [path, why] of hostDiskPaths) {
  test(`hostDisk path ${JSON.stringify(path)}: ${why ?? 'accepted'}`, (t) => {
    t.is(hostDiskPathProblem(path), why);
  });
}

const hostDiskVmi = (path: string): unknown => vmi({
  disks: [{ name: 'root' }, { name: 'data' }],
  volumes: [pvc('root'), { name: 'data', hostDisk: { path, type: 'Disk' } }],
});

for (const [path, why] of hostDiskPaths.filter(([, w]) => w !== undefined)) {
  test(`a manifest with hostDisk path ${JSON.stringify(path)} is refused with the field, the reason and a fix`, (t) => {
    const r = parseVmi(hostDiskVmi(path));
    t.is(r.spec, undefined);
    t.deepEqual(r.problems.map((p) => [p.reason, p.field, p.volume]), [['HostDiskPathInvalid', 'spec.volumes[1].hostDisk.path', 'data']]);
    const [p] = r.problems;
    t.is(p?.message, `spec.volumes[1].hostDisk.path: ${JSON.stringify(path)} ${why}`);
    t.regex(p?.fix ?? '', /absolute, normalized path/);
    // The disk whose path is unsafe is not handed on for inspection; the other one is.
    t.deepEqual(r.disks?.map((d) => d.name), ['root']);
  });
}

test('an accepted hostDisk path reaches the disk spec unchanged', (t) => {
  const r = parseVmi(hostDiskVmi('/var/data/disk.img'));
  t.deepEqual(r.problems, []);
  t.is(r.spec && hostDiskPathOf(r.spec.disks[1]!), '/var/data/disk.img');
});
