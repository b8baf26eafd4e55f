// A launcher killed while libvirtd probes QEMU's capabilities leaves the probe (`qemu-system-* -machine none`,
// daemonized into its own session, never recorded in the owner marker) running as the VM user. The next launcher
// on the same runtime dir stops it: a process of the VM user, started after the dead launcher, whose command line
// names a path in that runtime dir (issue 21, medium 6). Real stack, real QEMU.
import test from 'ava';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LauncherRun, vmFixture } from '../../harness/launcher-process.js';
import { bootUnavailable, isRoot } from '../../harness/requirements.js';

const skip = bootUnavailable() ?? (isRoot ? undefined : 'the stack runs as uid 107 only under a root launcher: run as root');
const boot = skip ? test.skip : test.serial;
if (skip) test('leftover probe: real stack tests', (t) => { t.log(`skipped: ${skip}`); t.pass(); });

/** Live QEMU capabilities probes whose command line names `dir`. */
function probesIn(dir: string): number[] {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).filter((e) => {
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8');
      return cmd.includes('qemu-system') && cmd.includes('-machine\0none') && cmd.includes(`${dir}/`)
        && !/State:\s+Z/.test(readFileSync(`/proc/${e}/status`, 'utf8'));
    } catch {
      return false;
    }
  }).map(Number);
}

boot('a launcher killed during the capabilities probe: the next launcher stops the probe QEMU it left', async (t) => {
  const fx = vmFixture({ mode: 'wait' });
  // A cache of its own: the probe runs (a warm shared cache would skip it).
  const cacheParent = mkdtempSync(join(tmpdir(), 'vml-probe-cache-'));
  chmodSync(cacheParent, 0o755);
  const args = fx.args();
  args[args.indexOf('--cache-dir') + 1] = join(cacheParent, 'cache');
  const first = new LauncherRun(args);
  let second: LauncherRun | undefined;
  try {
    const giveUp = Date.now() + 60_000;
    while (probesIn(fx.runtimeDir).length === 0 && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 5));
    t.true(probesIn(fx.runtimeDir).length > 0, `libvirtd started its capabilities probe: ${first.tail()}`);
    process.kill(first.pid, 'SIGKILL');
    await first.exit;
    await new Promise((r) => setTimeout(r, 1000));
    const left = probesIn(fx.runtimeDir);
    t.true(left.length > 0, 'the probe outlives its killed launcher (the case this test is about)');
    second = new LauncherRun(args);
    await second.waitFor((l) => l.reason === 'Started', 120_000, 'Started');
    const stopped = second.lines.find((l) => l.reason === 'LeftoversStopped');
    t.truthy(stopped, second.tail());
    t.deepEqual(left.filter((p) => existsSync(`/proc/${p}`) && !/State:\s+Z/.test(readFileSync(`/proc/${p}/status`, 'utf8'))), [], 'the old probe is gone');
    await second.waitForConsole('GUEST-WAITING-FOR-POWER-BUTTON', 90_000);
    second.signal('SIGTERM');
    t.is(await second.exitCode(), 0, second.tail());
  } finally {
    first.kill(fx.runtimeDir);
    second?.kill(fx.runtimeDir);
    rmSync(cacheParent, { recursive: true, force: true });
  }
});
