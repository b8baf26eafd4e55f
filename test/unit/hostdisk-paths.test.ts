// hostDisk paths, one table: which paths are refused and why (hostDiskPathProblem), that a refused path reaches the
// user with its field, reason and fix, and that an accepted one reaches the disk spec unchanged.
import test from 'ava';
import { hostDiskPathProblem, parseVmi } from '../../domain/manifest/index.js';
import { hostDiskPathOf } from '../helpers/disk-source.js';
import { pvc, vmi } from '../helpers/vmi-builder.js';

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
