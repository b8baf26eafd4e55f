// The private stack's memory settings reach the real daemons (docs/development.md: Memory): while the guest runs,
// every daemon was started with MALLOC_ARENA_MAX=1, and libvirtd started one RPC worker, one priority worker and
// one admin worker (libvirt's defaults: 5, 5 and 1; a pool may grow on demand), so libvirtd.conf was found and read. Thread counts, not RSS:
// RSS depends on the machine; the bench (bench/pod-overhead.ts) measures it.
import test from 'ava';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { LauncherRun, processesMentioning, vmFixture } from '../../harness/launcher-process.js';
import { bootUnavailable } from '../../harness/requirements.js';

const skip = bootUnavailable();

/** How many threads of `pid` have each name (/proc/PID/task/TID/comm). */
function threadNames(pid: number): Map<string, number> {
  const names = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const n = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    names.set(n, (names.get(n) ?? 0) + 1);
  }
  return names;
}

const comm = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();

if (skip) {
  test('stack memory settings', (t) => { t.log(`skipped: ${skip}`); t.pass(); });
} else {
  test('the daemons run with one malloc arena; libvirtd starts one thread per worker pool', async (t) => {
    t.timeout(4 * 60_000);
    const fx = vmFixture({ name: 'stackmem' });
    const run = new LauncherRun(fx.args());
    try {
      await run.waitForConsole('GUEST-BOOTED', 180_000);
      const daemons = processesMentioning(fx.runtimeDir).filter((p) => ['dbus-daemon', 'libvirtd', 'libvirt-dbus'].includes(comm(p)));
      t.deepEqual(daemons.map(comm).sort(), ['dbus-daemon', 'libvirt-dbus', 'libvirtd']);
      for (const pid of daemons) {
        t.true(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes('MALLOC_ARENA_MAX=1'), `${comm(pid)} has MALLOC_ARENA_MAX=1`);
      }
      const libvirtd = daemons.find((p) => comm(p) === 'libvirtd')!;
      const threads = threadNames(libvirtd);
      t.log(`libvirtd's threads: ${JSON.stringify(Object.fromEntries(threads))}`);
      // Names as libvirt sets them (truncated to 15 characters by the kernel). libvirt's defaults start 5 RPC and 5
      // priority workers (and 1 admin worker, so the admin pool cannot tell); with libvirtd.conf read 1 of each
      // starts, and a pool may grow by a worker or two while requests overlap (a full CI run saw 2 RPC workers):
      // fewer than 5 shows the file was read.
      for (const [name, key] of [['rpc-libvirtd', 'min_workers'], ['prio-rpc-libvir', 'prio_workers']] as const) {
        const n = threads.get(name) ?? 0;
        t.true(n >= 1 && n < 5, `${key} = 1: ${n} ${name} thread(s), libvirt's default starts 5`);
      }
      run.signal('SIGTERM');
      t.is(await run.exitCode(120_000), 0);
    } finally {
      run.kill(fx.runtimeDir);
      rmSync(fx.dir, { recursive: true, force: true });
    }
  });
}
