// DiskImageInUse reads /proc/locks; these feed it a file in /proc/locks' format instead.
import test from 'ava';
import { mkdtempSync, writeFileSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { heldByQemu, imageLockHolder } from '../../launcher/inspect/image-locks.js';

function scene(t: { teardown: (f: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'vml-locks-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const img = join(dir, 'disk.img');
  writeFileSync(img, '');
  const st = statSync(img);
  const dev = `${(((st.dev >>> 8) & 0xfff)).toString(16).padStart(2, '0')}:${(st.dev & 0xff).toString(16).padStart(2, '0')}`;
  const locks = join(dir, 'locks');
  const line = (ino: number, start: number) => `1: OFDLCK ADVISORY  READ -1 ${dev}:${ino} ${start} ${start}\n`;
  const lock = (type: string, mode: string, pid: number, start: number, end: number | 'EOF') => `2: ${type} ADVISORY  ${mode} ${pid} ${dev}:${st.ino} ${start} ${end}\n`;
  return { st, locks, line, lock, id: `${dev}:${st.ino}` };
}

test('image locks: QEMU\'s bytes (100-104, 200-204) on the image\'s inode, held all along, are a running QEMU', async (t) => {
  const { st, locks, line } = scene(t);
  for (const start of [100, 104, 201, 204]) {
    writeFileSync(locks, `${line(st.ino + 1, start)}${line(st.ino, start)}`);
    t.true(await heldByQemu(st, locks, 30), `byte ${start}`);
  }
});

test('image locks: other bytes, another inode, a POSIX lock or no /proc/locks are not', async (t) => {
  const { st, locks, line } = scene(t);
  for (const text of [line(st.ino, 99), line(st.ino, 300), line(st.ino, 150), line(st.ino, 299), line(st.ino, 105), line(st.ino + 1, 100), line(st.ino, 100).replace('OFDLCK', 'POSIX '), '']) {
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

// Issue 21: any OFD lock on bytes 100-299 read as "open in a running QEMU". Only QEMU's pattern is QEMU; a lock
// QEMU's own locking would trip on is "another process"; a lock on bytes QEMU never touches is nobody's business.
test('image locks: a lock that is not QEMU\'s pattern on QEMU\'s bytes is another process, named when the kernel names it', async (t) => {
  const { st, locks, line, lock, id } = scene(t);
  const cases: Array<[string, string, string | undefined]> = [
    ['an OFD WRITE lock on byte 100', lock('OFDLCK', 'WRITE', -1, 100, 100), 'an OFD WRITE lock on bytes 100-100 held by an owner the kernel does not name (an OFD lock)'],
    ['an OFD READ lock over 100-299', lock('OFDLCK', 'READ', -1, 100, 299), 'an OFD READ lock on bytes 100-299 held by an owner the kernel does not name (an OFD lock)'],
    ['a POSIX WRITE lock on the whole file, by this process', lock('POSIX ', 'WRITE', process.pid, 0, 'EOF'), `a POSIX WRITE lock on bytes 0-EOF held by pid ${process.pid} (node)`],
    ['a POSIX READ lock on byte 201 by a gone pid', lock('POSIX ', 'READ', 999999999, 201, 201), 'a POSIX READ lock on bytes 201-201 held by pid 999999999'],
    ['QEMU\'s pattern beside a foreign write lock', line(st.ino, 100) + lock('OFDLCK', 'WRITE', -1, 101, 101), 'an OFD WRITE lock on bytes 101-101 held by an owner the kernel does not name (an OFD lock)'],
    ['an OFD WRITE lock on byte 150 (QEMU never locks it)', lock('OFDLCK', 'WRITE', -1, 150, 150), undefined],
    ['a waiter (->) on byte 100 holds nothing', `2: -> POSIX  ADVISORY  WRITE 42 ${id} 100 100\n`, undefined],
  ];
  for (const [title, text, what] of cases) {
    writeFileSync(locks, text);
    t.deepEqual(await imageLockHolder(st, locks, 30), what === undefined ? undefined : { by: 'other', what }, title);
    t.false(await heldByQemu(st, locks, 30), title);
  }
  writeFileSync(locks, line(st.ino, 100) + line(st.ino, 201));
  t.deepEqual(await imageLockHolder(st, locks, 30), { by: 'qemu' });
  // A running VM's adjacent locks merged by the kernel (seen with QEMU 7.2: "READ -1 ... 100 101"): still QEMU's.
  writeFileSync(locks, lock('OFDLCK', 'READ', -1, 100, 101) + lock('OFDLCK', 'READ', -1, 200, 204));
  t.deepEqual(await imageLockHolder(st, locks, 30), { by: 'qemu' });
  // A READ range that leaves QEMU's block is not its pattern.
  writeFileSync(locks, lock('OFDLCK', 'READ', -1, 104, 105));
  t.like(await imageLockHolder(st, locks, 30), { by: 'other' });
});
