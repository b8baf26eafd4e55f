// DiskImageInUse reads /proc/locks; these feed it a file in /proc/locks' format instead.
import test from 'ava';
import { mkdtempSync, writeFileSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { heldByQemu } from '../../launcher/inspect/image-locks.js';

function scene(t: { teardown: (f: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'vml-locks-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const img = join(dir, 'disk.img');
  writeFileSync(img, '');
  const st = statSync(img);
  const dev = `${(((st.dev >>> 8) & 0xfff)).toString(16).padStart(2, '0')}:${(st.dev & 0xff).toString(16).padStart(2, '0')}`;
  const locks = join(dir, 'locks');
  const line = (ino: number, start: number) => `1: OFDLCK ADVISORY  READ -1 ${dev}:${ino} ${start} ${start}\n`;
  return { st, locks, line };
}

test('image locks: QEMU\'s bytes 100-299 on the image\'s inode, held all along, are a running QEMU', async (t) => {
  const { st, locks, line } = scene(t);
  for (const start of [100, 201, 299]) {
    writeFileSync(locks, `${line(st.ino + 1, start)}${line(st.ino, start)}`);
    t.true(await heldByQemu(st, locks, 30), `byte ${start}`);
  }
});

test('image locks: other bytes, another inode, a POSIX lock or no /proc/locks are not', async (t) => {
  const { st, locks, line } = scene(t);
  for (const text of [line(st.ino, 99), line(st.ino, 300), line(st.ino + 1, 100), line(st.ino, 100).replace('OFDLCK', 'POSIX '), '']) {
    writeFileSync(locks, text);
    t.false(await heldByQemu(st, locks, 30), JSON.stringify(text));
  }
  t.false(await heldByQemu(st, join(locks, 'absent'), 30));
});

test('image locks: a lock that goes away within the watch (a passing qemu-img info) is not a running QEMU', async (t) => {
  const { st, locks, line } = scene(t);
  writeFileSync(locks, line(st.ino, 100));
  const gone = setTimeout(() => writeFileSync(locks, ''), 100);
  t.false(await heldByQemu(st, locks, 300));
  clearTimeout(gone);
});
