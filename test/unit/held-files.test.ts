// What the disk identity check reads from `stat -L --printf '%d %i %r %f'` over QEMU's descriptors.
import test from 'ava';
import { parseHeldFiles } from '../../launcher/run/disk-identity.js';

test('held-files › regular files, block devices and the rest are told apart by the mode', (t) => {
  const text = '65024 1196067 0 81a4\n6 3 259 21b6\n6 9 1793 61b0\n0 12345 0 c1ff\n';
  t.deepEqual(parseHeldFiles(text), [
    { dev: 65024, ino: 1196067, rdev: 0, type: 'file' },
    { dev: 6, ino: 3, rdev: 259, type: 'other' },
    { dev: 6, ino: 9, rdev: 1793, type: 'block' },
    { dev: 0, ino: 12345, rdev: 0, type: 'other' },
  ]);
});

test('held-files › lines that are not four numbers (a stat error, an empty line) are skipped', (t) => {
  t.deepEqual(parseHeldFiles('stat: cannot statx: No such file\n\n1 2 3\n7 8 0 81a4'), [{ dev: 7, ino: 8, rdev: 0, type: 'file' }]);
});
