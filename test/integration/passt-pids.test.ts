// The passt pid files are the VM user's: a root launcher reads them without following a link or waiting on a FIFO,
// believes only the VM user's own regular files, and signals only a passt that runs as the VM user. A real process
// named passt (a copy of sleep) stands in for passt: what is tested is which pids are signalled, not passt.
import test from 'ava';
import { execa } from 'execa';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chownSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ensurePasstGone, isPasstOf, passtRefs, readPasstPids } from '../../launcher/run/passt-process.js';
import { isRoot } from '../../harness/requirements.js';

const me = process.getuid!();
// As root the VM user is uid 107 (another user than the launcher); otherwise the launcher's own uid.
const vmUid = isRoot ? 107 : me;

/** A process whose comm is `passt`, run as `uid` (root only can pick another uid). */
async function fakePasst(dir: string, uid: number) {
  const bin = join(dir, 'passt');
  copyFileSync('/bin/sleep', bin);
  chmodSync(bin, 0o755);
  chmodSync(dir, 0o755);
  const child = execa(bin, ['60'], { ...(uid !== me ? { uid, gid: uid } : {}), reject: false });
  for (let i = 0; i < 100 && !(await isPasstOf(child.pid!, uid)); i++) await new Promise((r) => setTimeout(r, 20));
  return { child }; // wrapped: a subprocess is a promise, and returning it would wait for its end
}

test('pid files: a link, a FIFO, a foreign owner and junk are not believed; the VM user\'s own file is', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vml-passt-'));
  try {
    const run = join(dir, 'passt');
    mkdirSync(run);
    const target = join(dir, 'elsewhere');
    writeFileSync(target, '4242\n');
    symlinkSync(target, join(run, 'a-link-passt.pid'));
    execFileSync('mkfifo', [join(run, 'b-fifo-passt.pid')]);
    writeFileSync(join(run, 'c-junk-passt.pid'), 'not a pid\n');
    writeFileSync(join(run, 'd-good-passt.pid'), '31337\n');
    writeFileSync(join(run, 'e-ignored.txt'), '777\n');
    if (isRoot) {
      for (const f of ['b-fifo-passt.pid', 'c-junk-passt.pid', 'd-good-passt.pid']) chownSync(join(run, f), vmUid, vmUid);
      writeFileSync(join(run, 'f-roots-passt.pid'), '999\n'); // root's, not the VM user's
    }
    const t0 = Date.now();
    t.deepEqual(await readPasstPids(dir, vmUid), [31337]);
    t.true(Date.now() - t0 < 5000, 'the FIFO was not waited on');
    t.deepEqual(await readPasstPids(join(dir, 'nowhere'), vmUid), [], 'no passt dir: no pids');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('only a passt of the VM user is stopped: not another program, not another user\'s passt, not a reused pid', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vml-passt-'));
  const sleeper = execa('sleep', ['60'], { reject: false });
  const { child: passt } = await fakePasst(dir, vmUid);
  try {
    t.true(await isPasstOf(passt.pid!, vmUid));
    t.false(await isPasstOf(sleeper.pid!, me), 'a program not named passt');
    t.false(await isPasstOf(passt.pid!, vmUid + 1), 'a passt of another user');
    t.deepEqual(await passtRefs([sleeper.pid!, passt.pid!], vmUid + 1), [], 'no passt of another uid is taken');
    const refs = await passtRefs([sleeper.pid!, passt.pid!], vmUid);
    t.deepEqual(refs.map((r) => r.pid), [passt.pid!], 'only the passt, not the other program');
    // Its pid with another start time: what a pid handed out again after passt exited looks like.
    t.deepEqual(await ensurePasstGone([{ ...refs[0]!, start: refs[0]!.start - 1 }], vmUid), [], 'a reused pid is not signalled');
    t.is(passt.exitCode ?? null, null, 'the process behind the reused pid still runs');
    t.deepEqual(await ensurePasstGone(refs, vmUid + 1), [], 'nothing stopped for another uid');
    t.is(sleeper.exitCode ?? null, null, 'the other program still runs');
    t.deepEqual(await ensurePasstGone(refs, vmUid), [passt.pid!]);
    const r = await passt;
    t.is(r.signal, 'SIGTERM');
  } finally {
    sleeper.kill('SIGKILL');
    passt.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
