// The launcher's main job with the real stack and a real guest (TCG): boot, clean ACPI
// shutdown on SIGTERM, the grace deadline, SIGINT to the process group, QEMU killed,
// a signal during start-up, and two launchers side by side. No mocks.
import test from 'ava';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { probe, LauncherRun, processesMentioning, sharedCacheDir, vmFixture, type VmFixture } from '../../harness/launcher-process.js';
import { readBootCount } from '../../harness/guest-disk.js';
import { bootUnavailable, loopUnavailable } from '../../harness/requirements.js';

const skip = bootUnavailable();
const boot = skip ? test.skip : test.serial;
if (skip) test('run: real guest tests', (t) => { t.log(`SKIPPED: ${skip}`); t.pass(); });

const EXIT = { Clean: 0, Refused: 3, Forced: 4, Failed: 5, Aborted: 6 };

/** libvirt's QEMU log for a domain: the newest <domain>.log below the shared cache dir, whatever its per-user layout. */
function qemuLogPath(domain: string): string {
  const found = readdirSync(sharedCacheDir, { recursive: true }).map(String)
    .filter((f) => f.endsWith(`qemu/log/${domain}.log`)).map((f) => join(sharedCacheDir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!found[0]) throw new Error(`no libvirt log for ${domain} below ${sharedCacheDir}`);
  return found[0];
}

async function assertNothingLeft(t: { deepEqual: (a: unknown, b: unknown, m?: string) => void; false: (a: boolean, m?: string) => void }, fx: VmFixture): Promise<void> {
  // QEMU's command line names the console file in the runtime dir; every daemon's names its config there.
  await new Promise((r) => setTimeout(r, 300));
  t.deepEqual(processesMentioning(fx.runtimeDir), [], 'no process of the stack survives the launcher');
  t.false(existsSync(fx.runtimeDir), 'the runtime dir is removed');
}

boot('boots from a filesystem volume; SIGTERM gives a clean ACPI shutdown, and what the guest wrote survives', async (t) => {
  const fx = vmFixture({ mode: 'wait' });
  const before = readBootCount(fx.image);
  const run = new LauncherRun(fx.args());
  try {
    await run.waitForConsole('GUEST-WAITING-FOR-POWER-BUTTON', 90_000);
    t.truthy(run.lines.find((l) => l.component === 'guest-console' && l.msg.includes('GUEST-BOOTED')));
    t.truthy(run.lines.find((l) => l.reason === 'Started' && l.phase === 'Running'));
    run.signal('SIGTERM');
    t.is(await run.exitCode(), EXIT.Clean, run.tail());
    t.truthy(run.lines.find((l) => l.component === 'guest-console' && l.msg.includes('GUEST-ACPI-SHUTDOWN')));
    t.is(run.lines.at(-1)?.reason, 'GuestShutdown');
    await assertNothingLeft(t, fx);
  } finally {
    run.kill(fx.runtimeDir);
  }
  t.is(readBootCount(fx.image), before + 1, 'the guest recorded its boot on its disk');

  // A second run boots the same disk: the counter the first run wrote is there.
  const again = new LauncherRun(fx.args());
  try {
    const line = await again.waitForConsole('GUEST-BOOT-COUNT=', 90_000);
    t.regex(line.msg, new RegExp(`GUEST-BOOT-COUNT=${before + 2}\\b`));
    again.signal('SIGTERM');
    t.is(await again.exitCode(), EXIT.Clean, again.tail());
  } finally {
    again.kill(fx.runtimeDir);
  }
  t.is(readBootCount(fx.image), before + 2);
});

boot('probes: ready and live while the guest runs, neither after exit', async (t) => {
  const fx = vmFixture({ mode: 'wait' });
  // A preStart hook holds the launcher before the guest starts, long enough to probe it there.
  const hooks = join(fx.dir, 'hooks');
  mkdirSync(join(hooks, 'preStart.d'), { recursive: true, mode: 0o755 });
  writeFileSync(join(hooks, 'preStart.d', '10-hold'), '#!/bin/sh\nsleep 4\n', { mode: 0o755 });
  const run = new LauncherRun(fx.args('--hooks-dir', hooks));
  try {
    await run.waitFor((l) => l.phase === 'Defining', 30_000, 'Defining');
    t.is(probe('ready', fx.runtimeDir), 1, 'not ready before the guest runs');
    t.is(probe('live', fx.runtimeDir), 0, 'alive while starting');
    await run.waitForConsole('GUEST-BOOTED', 90_000);
    t.is(probe('ready', fx.runtimeDir), 0);
    t.is(probe('live', fx.runtimeDir), 0);
    run.signal('SIGTERM');
    t.is(await run.exitCode(), EXIT.Clean, run.tail());
    t.is(probe('live', fx.runtimeDir), 1);
  } finally {
    run.kill(fx.runtimeDir);
  }
});

boot('a daemon of the stack dies: the launcher stops the rest and exits 5 with the reason', async (t) => {
  const fx = vmFixture({ mode: 'wait' });
  const run = new LauncherRun(fx.args());
  try {
    await run.waitForConsole('GUEST-BOOTED', 90_000);
    const libvirtd = processesMentioning(fx.runtimeDir).filter((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'libvirtd');
    t.is(libvirtd.length, 1, 'one private libvirtd');
    process.kill(libvirtd[0]!, 'SIGKILL');
    t.is(await run.exitCode(), EXIT.Failed, run.tail());
    const last = run.lines.at(-1)!;
    t.is(last.reason, 'DaemonExited');
    t.regex(last.msg, /libvirtd/);
    await assertNothingLeft(t, fx);
  } finally {
    run.kill(fx.runtimeDir);
  }
});

boot('a guest that ignores ACPI is destroyed at the grace deadline', async (t) => {
  const fx = vmFixture({ mode: 'ignore' });
  const run = new LauncherRun(fx.args('--grace-period', '5'));
  try {
    await run.waitForConsole('GUEST-IGNORING-ACPI', 90_000);
    const sentAt = Date.now();
    run.signal('SIGTERM');
    t.is(await run.exitCode(), EXIT.Forced, run.tail());
    const took = (Date.now() - sentAt) / 1000;
    t.true(took >= 5 && took < 15, `forced off after ${took.toFixed(1)} s, grace 5 s`);
    t.truthy(run.lines.find((l) => l.reason === 'GracePeriodExpired'));
    t.true(run.lines.filter((l) => l.reason === 'AcpiShutdownSent').length >= 2, 'the power button was pressed more than once');
    await assertNothingLeft(t, fx);
  } finally {
    run.kill(fx.runtimeDir);
  }
});

boot('at the grace deadline the launcher itself signals QEMU: a frozen libvirtd does not hold the forced power-off (exit 4, nothing left)', async (t) => {
  const fx = vmFixture({ mode: 'ignore', name: 'frozen-destroy' });
  const run = new LauncherRun(fx.args('--grace-period', '5'));
  let libvirtd: number | undefined;
  try {
    await run.waitForConsole('GUEST-IGNORING-ACPI', 90_000);
    run.signal('SIGTERM');
    // After the second press (3 s) and before the deadline (5 s), libvirtd stops answering: its Destroy would hang.
    await run.waitFor((l) => l.reason === 'AcpiShutdownSent' && run.lines.filter((x) => x.reason === 'AcpiShutdownSent').length >= 2, 30_000, 'second ACPI press');
    libvirtd = processesMentioning(fx.runtimeDir).find((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'libvirtd');
    t.truthy(libvirtd, 'the private libvirtd runs');
    process.kill(libvirtd!, 'SIGSTOP');
    t.is(await run.exitCode(), EXIT.Forced, run.tail());
    t.is(run.lines.at(-1)?.reason, 'GracePeriodExpired');
    t.falsy(run.lines.find((l) => l.reason === 'DestroyTimedOut'), 'QEMU quit on the launcher\'s SIGTERM, not on a kill after Destroy timed out');
    // QEMU names who signalled it in its log (libvirt's, in the cache dir for this VM user and KVM access,
    // launcher/stack/cache-dir.ts): the launcher, libvirtd being frozen.
    const qemuLog = readFileSync(qemuLogPath('tests_frozen-destroy'), 'utf8');
    t.regex(qemuLog.split('\n').filter((l) => l.includes('terminating on signal')).at(-1) ?? '', new RegExp(`terminating on signal 15 from pid ${run.pid}\\b`));
    await assertNothingLeft(t, fx);
  } finally {
    if (libvirtd) try { process.kill(libvirtd, 'SIGCONT'); } catch { /* gone */ }
    run.kill(fx.runtimeDir);
  }
});

boot('SIGINT to the whole process group (Ctrl-C) still gives the guest its ACPI shutdown', async (t) => {
  const fx = vmFixture({ mode: 'wait' });
  const run = new LauncherRun(fx.args());
  try {
    await run.waitForConsole('GUEST-WAITING-FOR-POWER-BUTTON', 90_000);
    run.signalGroup('SIGINT');
    t.is(await run.exitCode(), EXIT.Clean, run.tail());
    t.truthy(run.lines.find((l) => l.component === 'guest-console' && l.msg.includes('GUEST-ACPI-SHUTDOWN')), 'QEMU was not hit by the signal: the guest shut down itself');
    await assertNothingLeft(t, fx);
  } finally {
    run.kill(fx.runtimeDir);
  }
});

boot('QEMU killed with SIGKILL: the launcher exits non-zero with the reason', async (t) => {
  const fx = vmFixture({ mode: 'wait' });
  const run = new LauncherRun(fx.args());
  try {
    const started = await run.waitFor((l) => l.reason === 'StartupTimings', 90_000, 'start');
    const qemuPid = started.qemuPid as number;
    t.true(Number.isInteger(qemuPid), 'the launcher knows QEMU\'s pid');
    await run.waitForConsole('GUEST-BOOTED', 90_000);
    process.kill(qemuPid, 'SIGKILL');
    t.is(await run.exitCode(), EXIT.Failed, run.tail());
    const last = run.lines.at(-1)!;
    t.is(last.reason, 'QemuExited');
    t.regex(last.msg, /QEMU stopped unexpectedly/);
    // The runtime dir is gone: what QEMU and the daemons said last is in the log.
    const qemuLog = run.lines.find((l) => l.reason === 'QemuLogTail');
    t.truthy(qemuLog, 'QEMU\'s log tail is logged');
    t.regex(JSON.stringify(qemuLog?.lines), /shutting down, reason=crashed/);
    await assertNothingLeft(t, fx);
  } finally {
    run.kill(fx.runtimeDir);
  }
});

boot('QEMU killed with SIGTERM (not by its guest) is a failure, not a clean power-off: exit 5, QemuTerminatedByHost', async (t) => {
  const fx = vmFixture({ mode: 'wait' });
  const run = new LauncherRun(fx.args());
  try {
    const started = await run.waitFor((l) => l.reason === 'StartupTimings', 90_000, 'start');
    await run.waitForConsole('GUEST-WAITING-FOR-POWER-BUTTON', 90_000);
    // QEMU quits cleanly on SIGTERM (it flushes its disks), but the guest never asked to power off.
    process.kill(started.qemuPid as number, 'SIGTERM');
    t.is(await run.exitCode(), EXIT.Failed, run.tail());
    t.is(run.lines.at(-1)?.reason, 'QemuTerminatedByHost');
    t.falsy(run.lines.find((l) => l.reason === 'GuestPoweredOff' || l.reason === 'GuestShutdown'));
    t.falsy(run.lines.find((l) => l.component === 'guest-console' && l.msg.includes('GUEST-ACPI-SHUTDOWN')), 'the guest was not shut down');
    await assertNothingLeft(t, fx);
  } finally {
    run.kill(fx.runtimeDir);
  }
});

boot('a signal during start-up aborts cleanly', async (t) => {
  const fx = vmFixture({ mode: 'wait' });
  const run = new LauncherRun(fx.args());
  try {
    await run.waitFor((l) => l.phase === 'StartingStack', 30_000, 'StartingStack');
    run.signal('SIGTERM');
    t.is(await run.exitCode(), EXIT.Aborted, run.tail());
    t.is(run.lines.at(-1)?.reason, 'Aborted');
    t.falsy(run.lines.find((l) => l.component === 'guest-console'), 'the guest never started');
    await assertNothingLeft(t, fx);
  } finally {
    run.kill(fx.runtimeDir);
  }
});

boot('a signal while a preStart hook runs cancels the hook and aborts cleanly', async (t) => {
  const fx = vmFixture({ mode: 'wait' });
  const hooks = join(fx.dir, 'hooks');
  mkdirSync(join(hooks, 'preStart.d'), { recursive: true, mode: 0o755 });
  writeFileSync(join(hooks, 'preStart.d', '10-slow'), '#!/bin/sh\nsleep 60\n', { mode: 0o755 });
  const run = new LauncherRun(fx.args('--hooks-dir', hooks));
  try {
    await run.waitFor((l) => l.hook === '10-slow' && /started/.test(l.msg), 60_000, 'preStart hook started');
    const sentAt = Date.now();
    run.signal('SIGTERM');
    t.is(await run.exitCode(), EXIT.Aborted, run.tail());
    t.true(Date.now() - sentAt < 10_000, 'the hook did not hold the launcher');
    t.falsy(run.lines.find((l) => l.component === 'guest-console'), 'the guest never started');
    await assertNothingLeft(t, fx);
  } finally {
    run.kill(fx.runtimeDir);
  }
});

boot('a runtime dir too long for libvirt\'s sockets is refused before anything starts', async (t) => {
  const fx = vmFixture({ mode: 'wait' });
  const long = join(fx.dir, 'a-runtime-dir-name-long-enough-to-overflow');
  const args = fx.args().map((a, i, all) => (all[i - 1] === '--runtime-dir' ? long : a));
  const run = new LauncherRun(args);
  try {
    t.is(await run.exitCode(), EXIT.Refused, run.tail());
    t.truthy(run.lines.find((l) => l.reason === 'RuntimeDirTooLong' && typeof l.fix === 'string'));
    t.false(existsSync(long), 'nothing was created');
  } finally {
    run.kill(long);
  }
});

boot('two launchers with different volumes run at the same time', async (t) => {
  const a = vmFixture({ mode: 'wait', volume: 'disk-a', name: 'vm-a' });
  const b = vmFixture({ mode: 'wait', volume: 'disk-b', name: 'vm-b' });
  const ra = new LauncherRun(a.args());
  const rb = new LauncherRun(b.args());
  try {
    await Promise.all([ra.waitForConsole('GUEST-WAITING-FOR-POWER-BUTTON', 120_000), rb.waitForConsole('GUEST-WAITING-FOR-POWER-BUTTON', 120_000)]);
    ra.signal('SIGTERM');
    t.is(await ra.exitCode(), EXIT.Clean, ra.tail());
    // b is untouched by a's shutdown.
    t.falsy(rb.lines.find((l) => l.phase === 'ShuttingDown'));
    rb.signal('SIGTERM');
    t.is(await rb.exitCode(), EXIT.Clean, rb.tail());
    await assertNothingLeft(t, a);
    await assertNothingLeft(t, b);
  } finally {
    ra.kill(a.runtimeDir);
    rb.kill(b.runtimeDir);
  }
  t.is(readBootCount(a.image), 1);
  t.is(readBootCount(b.image), 1);
});

boot('a second launcher on a disk a running VM uses is refused (DiskImageInUse); the first VM is untouched', async (t) => {
  const fx = vmFixture({ mode: 'wait' });
  const first = new LauncherRun(fx.args());
  const secondRuntime = join(fx.dir, 'rt2');
  let second: LauncherRun | undefined;
  try {
    await first.waitForConsole('GUEST-BOOTED', 90_000);
    second = new LauncherRun(fx.args().map((a, i, all) => (all[i - 1] === '--runtime-dir' ? secondRuntime : a)));
    t.is(await second.exitCode(), EXIT.Refused, second.tail());
    t.truthy(second.lines.find((l) => l.reason === 'DiskImageInUse'), second.tail());
    t.falsy(first.lines.find((l) => l.phase === 'ShuttingDown'), 'the running VM was not disturbed');
    first.signal('SIGTERM');
    t.is(await first.exitCode(), EXIT.Clean, first.tail());
    await assertNothingLeft(t, fx);
  } finally {
    second?.kill(secondRuntime);
    first.kill(fx.runtimeDir);
  }
});

boot('a guest that powers off by itself ends the launcher with exit 0', async (t) => {
  const fx = vmFixture({ mode: 'poweroff' });
  const run = new LauncherRun(fx.args());
  try {
    t.is(await run.exitCode(), EXIT.Clean, run.tail());
    t.is(run.lines.at(-1)?.reason, 'GuestPoweredOff');
    await assertNothingLeft(t, fx);
  } finally {
    run.kill(fx.runtimeDir);
  }
});

const loopSkip = skip ?? loopUnavailable();
(loopSkip ? test.skip : test.serial)('boots from a block volume (loop device)', async (t) => {
  const fx = vmFixture({ mode: 'wait', volume: 'rootdisk' });
  // The disk image becomes a loop device; the volume directory goes away: the pod has a block PV.
  const backing = join(fx.dir, 'backing.img');
  execFileSync('mv', [fx.image, backing]);
  execFileSync('rm', ['-r', join(fx.volumesDir, 'rootdisk')]);
  const loop = execFileSync('losetup', ['-f', '--show', backing], { encoding: 'utf8' }).trim();
  const run = new LauncherRun(fx.args());
  try {
    execFileSync('chown', ['107:107', loop]);
    execFileSync('ln', ['-s', loop, join(fx.devicesDir, 'rootdisk')]);
    await run.waitForConsole('GUEST-WAITING-FOR-POWER-BUTTON', 90_000);
    t.truthy(run.lines.find((l) => l.reason === 'PreflightPassed' && String(l.volumes).includes('rootdisk:block')));
    run.signal('SIGTERM');
    t.is(await run.exitCode(), EXIT.Clean, run.tail());
    await assertNothingLeft(t, fx);
  } finally {
    run.kill(fx.runtimeDir);
    execFileSync('losetup', ['-d', loop]);
  }
  t.is(readBootCount(backing), 1);
});
if (loopSkip && !skip) test('run: block volume', (t) => { t.log(`SKIPPED: ${loopSkip}`); t.pass(); });
