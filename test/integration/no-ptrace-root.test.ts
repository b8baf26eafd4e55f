// A root launcher with a container's default capabilities: no CAP_SYS_PTRACE (podman and Kubernetes do not grant
// it), so /proc/PID/exe and /proc/PID/fd of QEMU (uid 107) are closed to it. It must still recognise its QEMU and
// still compare the disks QEMU opened with what preflight inspected (issue 21, medium 3). Real stack, real guest.
import test from 'ava';
import { chownSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { LauncherRun, processesMentioning, vmFixture } from '../../harness/launcher-process.js';
import { readBootCount, sha256 } from '../../harness/guest-disk.js';
import { bootUnavailable, isRoot } from '../../harness/requirements.js';
import { hooksDir } from '../helpers/hooks-dir.js';

/** Runs the launcher without CAP_SYS_PTRACE: out of the bounding set, so root's exec cannot regain it. */
const NO_PTRACE = ['setpriv', '--bounding-set', '-sys_ptrace', '--'];

function setprivUnavailable(): string | undefined {
  try {
    const caps = execFileSync(NO_PTRACE[0]!, [...NO_PTRACE.slice(1), 'grep', '^CapEff', '/proc/self/status'], { encoding: 'utf8' });
    // CAP_SYS_PTRACE is bit 19.
    return (BigInt(`0x${caps.split(/\s+/)[1]}`) & (1n << 19n)) === 0n ? undefined : 'setpriv did not drop CAP_SYS_PTRACE';
  } catch (e) {
    return `setpriv (util-linux) cannot drop CAP_SYS_PTRACE here: ${(e as Error).message}`;
  }
}

const skip = bootUnavailable() ?? (isRoot ? undefined : 'the point is root without CAP_SYS_PTRACE: run as root') ?? setprivUnavailable();
const boot = skip ? test.skip : test.serial;
if (skip) test('no-ptrace root: real guest tests', (t) => { t.log(`skipped: ${skip}`); t.pass(); });

boot('root without CAP_SYS_PTRACE starts the guest (QEMU recognised, its disks checked) and shuts it down cleanly', async (t) => {
  const fx = vmFixture({ mode: 'wait' });
  const run = new LauncherRun(fx.args(), {}, NO_PTRACE);
  try {
    const started = await run.waitFor((l) => l.reason === 'StartupTimings', 120_000, 'StartupTimings');
    const qemuPid = started.qemuPid as number;
    t.throws(() => execFileSync('setpriv', [...NO_PTRACE.slice(1), 'readlink', `/proc/${qemuPid}/exe`], { stdio: 'pipe' }),
      undefined, 'without CAP_SYS_PTRACE, root cannot read QEMU\'s exe link: the test is meaningful');
    await run.waitForConsole('GUEST-WAITING-FOR-POWER-BUTTON', 90_000);
    run.signal('SIGTERM');
    t.is(await run.exitCode(), 0, run.tail());
    t.is(run.lines.at(-1)?.reason, 'GuestShutdown');
  } finally {
    run.kill(fx.runtimeDir);
  }
  t.deepEqual(processesMentioning(fx.runtimeDir), []);
});

boot('root without CAP_SYS_PTRACE still catches disk.img swapped for a link after preflight (DiskImageChanged)', async (t) => {
  const fx = vmFixture({ mode: 'poweroff' });
  const outside = join(fx.dir, 'outside.img');
  execFileSync('cp', ['--sparse=always', fx.image, outside]);
  chownSync(outside, 107, 107);
  const before = sha256(outside);
  const hooks = hooksDir(fx.dir, 'preStart', `rm -f ${fx.image}\nln -s ${outside} ${fx.image}`);
  const run = new LauncherRun(fx.args('--hooks-dir', hooks), {}, NO_PTRACE);
  try {
    t.is(await run.exitCode(120_000), 5, run.tail());
    t.is(run.lines.at(-1)?.reason, 'DiskImageChanged');
    t.is(sha256(outside), before, 'the outside file was not written');
    t.is(readBootCount(outside), 0);
  } finally {
    run.kill(fx.runtimeDir);
  }
});
