// Re-measures the figures domain/pod/overhead.ts sizes a VM pod's memory from: the peak RSS of every process of a
// running launcher (node, libvirtd, libvirt-dbus, dbus-daemon, QEMU; passt, swtpm, virtiofsd when the VMI has them)
// with the test guest under TCG, for 1 and 2 vCPUs. QEMU's figure is its RSS minus nothing: the test guest touches
// little of its RAM, so QEMU's RSS is mostly QEMU's own. Prints figures; asserts nothing.
//   node dist/bench/pod-overhead.js      (root; BENCH_RUNS=N, default 2)
import { readFileSync, writeFileSync } from 'node:fs';
import { children, mappingRss } from './rss.js';
import { LauncherRun, processesMentioning, vmFixture } from '../harness/launcher-process.js';
import { bootUnavailable } from '../harness/requirements.js';
import { MEASURED_MIB } from '../domain/pod/index.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 2);

/** Peak RSS (VmHWM) per program name, KiB, of the launcher and every process of its stack. */
function sample(pids: number[], peaks: Map<string, number>): void {
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const name = /Name:\s+(\S+)/.exec(status)?.[1] ?? '?';
      const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      peaks.set(name, Math.max(peaks.get(name) ?? 0, hwm));
      if (name.startsWith('qemu-system')) {
        // The guest's RAM is QEMU's mapping of exactly its size: what the guest touched is not QEMU's own overhead.
        const ram = mappingRss(pid, GUEST_KIB);
        const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
        peaks.set('qemu: guest RAM touched', Math.max(peaks.get('qemu: guest RAM touched') ?? 0, ram));
        peaks.set('qemu: own (RSS - guest RAM)', Math.max(peaks.get('qemu: own (RSS - guest RAM)') ?? 0, rss - ram));
      }
    } catch { /* exited meanwhile */ }
  }
}

const GUEST_KIB = 128 * 1024;

async function measure(vcpus: number): Promise<Map<string, number>> {
  const fx = vmFixture({ name: `overhead${vcpus}` });
  writeFileSync(fx.vmiPath, readFileSync(fx.vmiPath, 'utf8').replace('memory: { guest: 128Mi }', `memory: { guest: 128Mi }\n    cpu: { cores: ${vcpus} }`));
  const run = new LauncherRun(fx.args());
  const peaks = new Map<string, number>();
  const timer = setInterval(() => sample([run.pid, ...children(run.pid), ...processesMentioning(fx.runtimeDir)], peaks), 200);
  try {
    await run.waitForConsole('GUEST-WAITING-FOR-POWER-BUTTON', 180_000);
    await new Promise((r) => setTimeout(r, 3000));
    run.signal('SIGTERM');
    await run.exitCode(120_000);
  } finally {
    clearInterval(timer);
    run.kill(fx.runtimeDir);
  }
  return peaks;
}

const skip = bootUnavailable();
if (skip) {
  console.log(`SKIPPED: ${skip}`);
} else {
  const mib = (kib: number | undefined) => (kib === undefined ? '-' : (kib / 1024).toFixed(1));
  const all: Array<[number, Map<string, number>]> = [];
  for (let i = 0; i < RUNS; i++) for (const vcpus of [1, 2]) all.push([vcpus, await measure(vcpus)]);
  const names = [...new Set(all.flatMap(([, m]) => [...m.keys()]))].sort();
  console.log(`peak RSS, MiB (VmHWM), test guest with 128Mi under TCG, ${RUNS} run(s) each`);
  console.log(['process', ...all.map(([v], i) => `run${Math.floor(i / 2) + 1} ${v}vCPU`)].join('\t'));
  for (const n of names) console.log([n, ...all.map(([, m]) => mib(m.get(n)))].join('\t'));
  console.log(`domain/pod/overhead.ts uses: ${JSON.stringify(MEASURED_MIB)}`);
}
