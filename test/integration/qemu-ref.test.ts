// QEMU is libvirtd's child, not the launcher's: the launcher signals it by pid, and a pid is not an identity (once
// QEMU's zombie is reaped the kernel hands the pid out again, on a host even to another launcher's QEMU of the same
// user). A real process named qemu-system-x86_64 (a copy of sleep) stands in for QEMU: what is tested is which pids
// are signalled. A ref whose start time differs is what a reused pid looks like.
import test from 'ava';
import { execa } from 'execa';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureQemuGone, qemuExited, qemuRef, signalQemu, stillQemu } from '../../launcher/run/qemu-process.js';
import { isRoot } from '../../harness/requirements.js';

const me = process.getuid!();
const vmUid = isRoot ? 107 : me;

async function fakeQemu(dir: string) {
  const bin = join(dir, 'qemu-system-x86_64');
  copyFileSync('/bin/sleep', bin);
  chmodSync(bin, 0o755);
  chmodSync(dir, 0o755);
  const child = execa(bin, ['60'], { ...(vmUid !== me ? { uid: vmUid, gid: vmUid } : {}), reject: false });
  let ref;
  for (let i = 0; i < 100 && !(ref = qemuRef(child.pid!, vmUid)); i++) await new Promise((r) => setTimeout(r, 20));
  return { child, ref: ref! };
}

test('a QEMU ref signals its own process only: a pid with another start time (reused) or another user is left alone', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vml-qemuref-'));
  const { child, ref } = await fakeQemu(dir);
  const sleeper = execa('sleep', ['60'], { reject: false });
  try {
    t.truthy(ref, 'the stand-in is a QEMU of the VM user');
    t.true(stillQemu(ref));
    t.is(qemuRef(sleeper.pid!, me), undefined, 'a program not named qemu-system-*');
    t.is(qemuRef(child.pid!, vmUid + 1), undefined, 'a QEMU of another user');
    const reused = { ...ref, start: ref.start - 1 };
    t.false(stillQemu(reused));
    t.true(qemuExited(reused), 'a reused pid reads as the recorded QEMU having exited');
    t.false(signalQemu(reused, 'SIGKILL'));
    t.false(await ensureQemuGone(reused, 200));
    t.is(child.exitCode ?? null, null, 'the process behind the reused pid still runs');
    t.false(qemuExited(ref));
    t.true(await ensureQemuGone(ref, 2000));
    t.is((await child).signal, 'SIGTERM', 'SIGTERM first: QEMU flushes and quits on it');
    t.true(qemuExited(ref));
    t.false(await ensureQemuGone(ref, 200), 'already gone: nothing sent');
  } finally {
    child.kill('SIGKILL');
    sleeper.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
