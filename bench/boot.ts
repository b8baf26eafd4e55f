// npm run bench: bare QEMU against vm-launcher, side by side on the same test disk, under TCG.
// Prints start -> first console byte and start -> boot marker for both, the launcher's own
// breakdown, SIGTERM -> exit with a guest that honours ACPI, guest power-off -> exit, and the
// launcher's peak RSS. Figures, not assertions.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildTestDisk, chownTree } from '../harness/guest-disk.js';
import { LauncherRun, vmFixture, type VmFixture } from '../harness/launcher-process.js';
import { bootUnavailable } from '../harness/requirements.js';
import { median } from './stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface BareResult { firstByteMs: number; markerMs: number }

async function bareQemu(image: string): Promise<BareResult> {
  const t0 = performance.now();
  // What the launcher's domain gives QEMU, minus libvirt: virtio disk, raw, cache none, 128 MiB, serial console.
  const q = spawn('qemu-system-x86_64', [
    '-accel', 'tcg', '-m', '128', '-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio',
    '-drive', `file=${image},format=raw,if=virtio,cache=none,aio=threads`,
  ], { stdio: ['ignore', 'pipe', 'ignore'] });
  let firstByteMs = NaN;
  q.stdout!.once('data', () => { firstByteMs = performance.now() - t0; });
  const markerMs = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bare QEMU: no marker in 90 s')), 90_000);
    createInterface({ input: q.stdout! }).on('line', (l) => {
      if (l.includes('GUEST-BOOTED')) { clearTimeout(timer); resolve(performance.now() - t0); }
    });
  });
  q.kill('SIGKILL');
  await new Promise((r) => q.on('exit', r));
  return { firstByteMs, markerMs };
}

interface LauncherResult {
  firstByteMs: number; markerMs: number; nodeStartMs: number; preflightMs: number; stackReadyMs: number; defineMs: number; createMs: number;
  sigtermToExitMs: number; powerOffToExitMs: number; peakRssMiB: number; exitCode: number | null;
}

function vmHwmKiB(pid: number): number {
  try { return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0); } catch { return 0; }
}

async function launcher(fx: VmFixture, cacheDir: string): Promise<LauncherResult> {
  const args = fx.args().map((a, i, all) => (all[i - 1] === '--cache-dir' ? cacheDir : a));
  const t0 = performance.now();
  const run = new LauncherRun(args);
  let peak = 0;
  const rss = setInterval(() => { peak = Math.max(peak, vmHwmKiB(run.pid)); }, 100);
  // The launcher logs the moment it reads the console file's first byte.
  await run.waitFor((l) => l.reason === 'FirstConsoleOutput', 120_000, 'first console byte');
  const firstByteAt = performance.now() - t0;
  await run.waitForConsole('GUEST-BOOTED', 120_000);
  const markerMs = performance.now() - t0;
  await run.waitForConsole('GUEST-WAITING-FOR-POWER-BUTTON', 60_000);
  // The test guest prints its marker just before it opens the power button's device: a press in
  // between is lost (the launcher presses again 3 s later). Measure the launcher, not that race.
  await new Promise((r) => setTimeout(r, 500));
  const timings = run.lines.find((l) => l.reason === 'StartupTimings')!;
  const sentAt = performance.now();
  let powerOffAt = NaN;
  void run.waitForConsole('Power down', 60_000).then(() => { powerOffAt = performance.now(); }, () => undefined);
  run.signal('SIGTERM');
  const exitCode = await run.exitCode();
  const exitAt = performance.now();
  clearInterval(rss);
  return {
    firstByteMs: firstByteAt, markerMs,
    nodeStartMs: timings.nodeStartMs as number, preflightMs: timings.preflightMs as number, stackReadyMs: timings.stackReadyMs as number,
    defineMs: timings.defineMs as number, createMs: timings.createMs as number,
    sigtermToExitMs: exitAt - sentAt, powerOffToExitMs: exitAt - powerOffAt, peakRssMiB: peak / 1024, exitCode,
  };
}

async function main(): Promise<void> {
  const skip = bootUnavailable();
  if (skip) { console.log(`bench skipped: ${skip}`); return; }
  const work = mkdtempSync(join(tmpdir(), 'vml-bench-'));
  chmodSync(work, 0o755);
  const bareImage = join(work, 'bare.img');
  buildTestDisk(bareImage, 'wait');
  // The first run fills an empty capabilities cache (cold); the measured runs reuse it (warm).
  const warmCache = join(work, 'cache');
  mkdirSync(warmCache);
  chownTree(work, 107, 107);

  const bare: BareResult[] = [];
  const warm: LauncherResult[] = [];
  console.log(`bench: ${RUNS} runs each, TCG, test guest ${bareImage}`);
  const cold = await launcher(vmFixture({ mode: 'wait', name: 'bench-cold' }), warmCache);
  for (let i = 0; i < RUNS; i++) {
    bare.push(await bareQemu(bareImage));
    warm.push(await launcher(vmFixture({ mode: 'wait', name: `bench-${i}` }), warmCache));
  }
  rmSync(work, { recursive: true, force: true });

  const b = { first: median(bare.map((r) => r.firstByteMs)), marker: median(bare.map((r) => r.markerMs)) };
  const m = (k: keyof LauncherResult) => median(warm.map((r) => r[k] as number));
  const f = (n: number) => `${(n / 1000).toFixed(2)} s`;
  const rows: Array<[string, string, string, string]> = [
    ['start -> first console byte', f(b.first), f(m('firstByteMs')), `${(m('firstByteMs') / b.first).toFixed(2)}x (+${f(m('firstByteMs') - b.first)})`],
    ['start -> GUEST-BOOTED marker', f(b.marker), f(m('markerMs')), `${(m('markerMs') / b.marker).toFixed(2)}x (+${f(m('markerMs') - b.marker)})`],
  ];
  console.log('\n| measure (median) | bare qemu | vm-launcher | ratio b/a |\n| --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  // The launcher's own timings count from its t0, after node started and loaded the modules.
  const n = m('nodeStartMs');
  console.log('\n| vm-launcher breakdown (median, warm capabilities cache) | ms since process start |\n| --- | --- |');
  console.log(`| node started, modules loaded | ${n} |`);
  console.log(`| preflight (manifest, stat, qemu-img) | ${n + m('preflightMs')} |`);
  console.log(`| private stack ready (dbus-daemon, libvirtd, libvirt-dbus) | ${n + m('stackReadyMs')} |`);
  console.log(`| domain defined | ${n + m('defineMs')} |`);
  console.log(`| domain created (QEMU running) | ${n + m('createMs')} |`);
  console.log(`| first console byte | ${Math.round(m('firstByteMs'))} |`);
  console.log(`\n| stop and footprint | value | goal |\n| --- | --- | --- |`);
  console.log(`| SIGTERM -> exit (guest honours ACPI) | ${f(m('sigtermToExitMs'))} | - |`);
  console.log(`| guest power-off -> launcher exit | ${f(m('powerOffToExitMs'))} | < 0.5 s |`);
  console.log(`| launcher peak RSS | ${m('peakRssMiB').toFixed(1)} MiB | < 60 MiB |`);
  console.log(`| launcher overhead to first console byte | ${f(m('firstByteMs') - b.first)} | < 1 s |`);
  console.log(`| cold capabilities cache: define after stack ready | ${cold.defineMs - cold.stackReadyMs} ms (warm: ${m('defineMs') - m('stackReadyMs')} ms) | paid once per cache dir |`);
  console.log(`| exit codes | ${[cold, ...warm].map((r) => r.exitCode).join(', ')} | all 0 |`);
}

main().catch((e: Error) => { console.error(e.message); process.exit(1); });
