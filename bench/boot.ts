// npm run bench: bare QEMU against vm-launcher, side by side in one run, on the same test guest under TCG, and the
// machine it ran on. Prints one markdown table ready to paste (the README's performance table) and the details:
// - start: bare qemu-system-x86_64 vs the launcher -> the guest's GUEST-BOOTED, on the host with libvirt's
//   capabilities cache cold (an empty cache dir each run) and warm, and in the image through podman (a fresh
//   container each run, cache cold, and warm from a cache dir kept between containers; skipped with the reason
//   when podman or the image is missing);
// - stop: exit after the grace deadline (a guest that ignores ACPI), exit after the guest's power-off;
// - memory: each process's RSS while the guest runs.
// Medians of BENCH_RUNS runs (default 3). BENCH_GRACE: the deadline rows' grace period (default 5 s).
// BENCH_BASELINE_CLI: another build's dist/vm-launcher.mjs, measured beside this one in the stop and memory rows.
// BENCH_IMAGE: the image for the podman rows (default VM_LAUNCHER_TEST_IMAGE, else localhost/vm-launcher:dev);
// BENCH_IMAGE=none leaves them out. BENCH_BASELINE_IMAGE: an older build's image, beside it in the image rows.
// Figures, not assertions.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildTestDisk, chownTree } from '../harness/guest-disk.js';
import { cliPath, LauncherRun, vmFixture } from '../harness/launcher-process.js';
import { bootUnavailable } from '../harness/requirements.js';
import { median } from './stats.js';
import { loadAverage, machineLines } from './machine.js';
import { PROGRAMS, rssByProgram, sampleStack } from './rss.js';
import { bareInImage, BASELINE_IMAGE, containerScene, containerUnavailable, IMAGE, launcherInImage } from './container-boot.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const GRACE = Number(process.env.BENCH_GRACE ?? 5);
const BASELINE = process.env.BENCH_BASELINE_CLI;

async function bareQemu(image: string): Promise<number> {
  const t0 = performance.now();
  // What the launcher's domain gives QEMU, minus libvirt: virtio disk, raw, cache none, 128 MiB, serial console.
  const q = spawn('qemu-system-x86_64', [
    '-accel', 'tcg', '-m', '128', '-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio',
    '-drive', `file=${image},format=raw,if=virtio,cache=none,aio=threads`,
  ], { stdio: ['ignore', 'pipe', 'ignore'] });
  const markerMs = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bare QEMU: no marker in 90 s')), 90_000);
    createInterface({ input: q.stdout! }).on('line', (l) => {
      if (l.includes('GUEST-BOOTED')) { clearTimeout(timer); resolve(performance.now() - t0); }
    });
  });
  q.kill('SIGKILL');
  await new Promise((r) => q.on('exit', r));
  return markerMs;
}

interface BootRun {
  markerMs: number; exitCode: number | null;
  /** The kernel's "reboot: Power down" (read through the launcher's log) -> the launcher's exit. */
  powerOffToExitMs: number;
  rssKiB: Map<string, number>;
  pssKiB: Map<string, number>;
  stopMs?: Record<string, number>;
}

/** Boot to the power-button wait, sample every process's RSS, SIGTERM: the guest shuts down through ACPI. */
async function launcherBoot(cacheDir: string, cli: string, name: string): Promise<BootRun> {
  const fx = vmFixture({ mode: 'wait', name });
  const args = fx.args().map((a, i, all) => (all[i - 1] === '--cache-dir' ? cacheDir : a));
  const t0 = performance.now();
  const run = new LauncherRun(args, {}, [], cli);
  try {
    await run.waitForConsole('GUEST-BOOTED', 180_000);
    const markerMs = performance.now() - t0;
    await run.waitForConsole('GUEST-WAITING-FOR-POWER-BUTTON', 60_000);
    // The test guest prints its marker just before it opens the power button's device: a press in between is lost
    // (pressed again 3 s later). Measure the launcher, not that race; the guest runs idle meanwhile.
    await new Promise((r) => setTimeout(r, 700));
    const samples = sampleStack(run.pid, fx.runtimeDir);
    const rssKiB = rssByProgram(samples);
    const pssKiB = rssByProgram(samples, 'pssKiB');
    let powerOffAt = NaN;
    void run.waitForConsole('reboot: Power down', 60_000).then(() => { powerOffAt = performance.now(); }, () => undefined);
    run.signal('SIGTERM');
    const exitCode = await run.exitCode(120_000);
    return { markerMs, exitCode, powerOffToExitMs: performance.now() - powerOffAt, rssKiB, pssKiB, stopMs: run.lines.at(-1)?.stopMs as Record<string, number> | undefined };
  } finally {
    run.kill(fx.runtimeDir);
    rmSync(fx.dir, { recursive: true, force: true });
  }
}

/** A guest that ignores ACPI: SIGTERM, the grace deadline GRACE s later; how long after it the launcher exits. */
async function deadlineExit(cacheDir: string, cli: string, name: string): Promise<{ afterDeadlineMs: number; exitCode: number | null }> {
  const fx = vmFixture({ mode: 'ignore', name });
  const args = fx.args('--grace-period', String(GRACE)).map((a, i, all) => (all[i - 1] === '--cache-dir' ? cacheDir : a));
  const run = new LauncherRun(args, {}, [], cli);
  try {
    await run.waitForConsole('GUEST-IGNORING-ACPI', 180_000);
    const sentAt = performance.now();
    run.signal('SIGTERM');
    const exitCode = await run.exitCode(120_000);
    return { afterDeadlineMs: performance.now() - sentAt - GRACE * 1000, exitCode };
  } finally {
    run.kill(fx.runtimeDir);
    rmSync(fx.dir, { recursive: true, force: true });
  }
}

const s = (ms: number) => (Number.isNaN(ms) ? '-' : `${(ms / 1000).toFixed(2)} s`);
const mib = (kib: number | undefined) => (kib === undefined || Number.isNaN(kib) ? '-' : `${(kib / 1024).toFixed(1)}`);
const versus = (bare: number, launcher: number) => `${s(launcher)} (${launcher >= bare ? '+' : '-'}${s(Math.abs(launcher - bare))})`;

async function main(): Promise<void> {
  const skip = bootUnavailable();
  if (skip) { console.log(`bench skipped: ${skip}`); return; }
  const work = mkdtempSync(join(tmpdir(), 'vml-bench-'));
  chmodSync(work, 0o755);
  const bareImage = join(work, 'bare.img');
  buildTestDisk(bareImage, 'wait');
  const warmCache = join(work, 'cache');
  mkdirSync(warmCache);
  chownTree(work, 107, 107);
  const coldCache = (i: number, who: string) => { const d = join(work, `cold-${who}-${i}`); mkdirSync(d); chownTree(d, 107, 107); return d; };
  const builds: Array<{ label: string; cli: string }> = [{ label: 'this build', cli: cliPath }, ...(BASELINE ? [{ label: 'baseline', cli: BASELINE }] : [])];
  const imageSkip = await containerUnavailable();
  const scene = imageSkip ? undefined : containerScene(work);
  const machine = machineLines();
  const loads: string[] = [];

  console.log(`bench: ${RUNS} run(s) each, TCG, test guest; builds: ${builds.map((b) => `${b.label} ${b.cli}`).join(', ')}`);
  // The first launcher run fills the warm cache (not counted).
  await launcherBoot(warmCache, cliPath, 'bench-fill');
  const bare: number[] = [];
  const imageBare: number[] = [];
  const imageCold: number[] = [];
  const imageWarm: number[] = [];
  const baseImageCold: number[] = [];
  const baseImageWarm: number[] = [];
  const host = new Map(builds.map((b) => [b.label, { cold: [] as BootRun[], warm: [] as BootRun[], deadline: [] as Array<{ afterDeadlineMs: number; exitCode: number | null }> }]));
  for (let i = 0; i < RUNS; i++) {
    loads.push(loadAverage());
    bare.push(await bareQemu(bareImage));
    for (const b of builds) {
      const h = host.get(b.label)!;
      h.cold.push(await launcherBoot(coldCache(i, b.label.replace(/\W/g, '')), b.cli, `bench-cold-${i}`));
      h.warm.push(await launcherBoot(warmCache, b.cli, `bench-warm-${i}`));
      h.deadline.push(await deadlineExit(warmCache, b.cli, `bench-deadline-${i}`));
    }
    if (scene) {
      if (i === 0) await launcherInImage(scene, true); // fills the image's warm cache (not counted)
      if (i === 0 && BASELINE_IMAGE) await launcherInImage(scene, true, true);
      imageBare.push(await bareInImage(scene));
      imageCold.push(await launcherInImage(scene, false));
      imageWarm.push(await launcherInImage(scene, true));
      if (BASELINE_IMAGE) {
        baseImageCold.push(await launcherInImage(scene, false, true));
        baseImageWarm.push(await launcherInImage(scene, true, true));
      }
    }
  }
  loads.push(loadAverage());
  rmSync(work, { recursive: true, force: true });

  const me = host.get('this build')!;
  const base = BASELINE ? host.get('baseline') : undefined;
  const med = (xs: BootRun[], k: 'markerMs' | 'powerOffToExitMs') => median(xs.map((r) => r[k]));
  const deadline = (h: typeof me) => median(h.deadline.map((r) => r.afterDeadlineMs));
  const rss = (xs: BootRun[], name: string) => median(xs.map((r) => r.rssKiB.get(name) ?? NaN).filter((v) => !Number.isNaN(v)));
  const b = median(bare);
  const hasBaseline = Boolean(base || BASELINE_IMAGE);
  const baseCol = (v: string) => (hasBaseline ? ` ${v} |` : '');

  console.log(`\n### Performance (median of ${RUNS}, TCG, the test guest)\n`);
  console.log(`| measure | bare QEMU | vm-launcher |${baseCol('baseline')}`);
  console.log(`| --- | --- | --- |${baseCol('---')}`);
  console.log(`| host, cold capabilities cache: start -> guest booted | ${s(b)} | ${versus(b, med(me.cold, 'markerMs'))} |${baseCol(base ? versus(b, med(base.cold, 'markerMs')) : '')}`);
  console.log(`| host, warm capabilities cache: start -> guest booted | ${s(b)} | ${versus(b, med(me.warm, 'markerMs'))} |${baseCol(base ? versus(b, med(base.warm, 'markerMs')) : '')}`);
  if (scene) {
    const ib = median(imageBare);
    const baseImage = (xs: number[]) => (xs.length ? versus(ib, median(xs)) : '');
    console.log(`| image (podman run), cold cache: start -> guest booted | ${s(ib)} | ${versus(ib, median(imageCold))} |${baseCol(baseImage(baseImageCold))}`);
    console.log(`| image (podman run), warm cache: start -> guest booted | ${s(ib)} | ${versus(ib, median(imageWarm))} |${baseCol(baseImage(baseImageWarm))}`);
  } else {
    console.log(`| image (podman run) | skipped: ${imageSkip} | |${baseCol('')}`);
  }
  console.log(`| guest ignores ACPI: exit after the grace deadline (${GRACE} s) | | ${s(deadline(me))} |${baseCol(base ? s(deadline(base)) : '')}`);
  console.log(`| guest powers off: exit after its power-off | | ${s(med(me.warm, 'powerOffToExitMs'))} |${baseCol(base ? s(med(base.warm, 'powerOffToExitMs')) : '')}`);
  const seen = new Set([...me.warm, ...(base?.warm ?? [])].flatMap((r) => [...r.rssKiB.keys()]));
  const names = [...PROGRAMS.filter((p) => seen.has(p)), ...[...seen].filter((p) => !(PROGRAMS as readonly string[]).includes(p)).sort()];
  const stack = (xs: BootRun[], k: 'rssKiB' | 'pssKiB' = 'rssKiB') => median(xs.map((r) => [...r[k]].filter(([n]) => !n.startsWith('qemu-system')).reduce((a, [, v]) => a + v, 0)));
  for (const n of names) console.log(`| RSS while the guest runs: ${n === 'node' ? 'node (vm-launcher)' : n} | | ${mib(rss(me.warm, n))} MiB |${baseCol(base ? `${mib(rss(base.warm, n))} MiB` : '')}`);
  console.log(`| RSS: the stack without QEMU | | ${mib(stack(me.warm))} MiB |${baseCol(base ? `${mib(stack(base.warm))} MiB` : '')}`);
  // PSS splits each shared page (node's and libvirt's code, mapped by several processes) among them: the sum is what
  // the stack itself occupies, closer to what the pod's memory cgroup is charged than the sum of RSS.
  console.log(`| PSS: the stack without QEMU | | ${mib(stack(me.warm, 'pssKiB'))} MiB |${baseCol(base ? `${mib(stack(base.warm, 'pssKiB'))} MiB` : '')}`);

  console.log('\nMachine:');
  for (const l of machine) console.log(l);
  console.log(`- load average (1, 5, 15 min) before each round and at the end: ${loads.join(' | ')}`);
  const codes = (h: typeof me) => `${h.cold.map((r) => r.exitCode).join(',')} / ${h.warm.map((r) => r.exitCode).join(',')} / ${h.deadline.map((r) => r.exitCode).join(',')}`;
  for (const bl of builds) console.log(`- exit codes, ${bl.label} (cold / warm / deadline): ${codes(host.get(bl.label)!)} (expected 0 / 0 / 4)`);
  const steps = me.warm.map((r) => r.stopMs).filter(Boolean) as Array<Record<string, number>>;
  if (steps.length) {
    const keys = Object.keys(steps[0]!);
    console.log(`- teardown after the guest's end, this build (median ms per step, the exit line's stopMs): ${keys.map((k) => `${k} ${median(steps.map((x) => x[k] ?? NaN))}`).join(', ')}`);
  }
  if (scene) console.log(`- image: ${IMAGE}${BASELINE_IMAGE ? ` (baseline image ${BASELINE_IMAGE})` : ''}; bare QEMU in it runs as uid 107 like the launcher's QEMU`);
  if (scene) console.log(`- raw image rows, ms: bare ${imageBare.map(Math.round).join(' ')}; cold ${imageCold.map(Math.round).join(' ')}; warm ${imageWarm.map(Math.round).join(' ')}`
    + (BASELINE_IMAGE ? `; baseline cold ${baseImageCold.map(Math.round).join(' ')}; baseline warm ${baseImageWarm.map(Math.round).join(' ')}` : ''));
  console.log(`- raw, ms: bare ${bare.map(Math.round).join(' ')}; deadline ${me.deadline.map((r) => Math.round(r.afterDeadlineMs)).join(' ')}; power-off ${me.warm.map((r) => Math.round(r.powerOffToExitMs)).join(' ')}`
    + (base ? `; baseline deadline ${base.deadline.map((r) => Math.round(r.afterDeadlineMs)).join(' ')}; baseline power-off ${base.warm.map((r) => Math.round(r.powerOffToExitMs)).join(' ')}` : ''));
}

main().catch((e: Error) => { console.error(e.message); process.exit(1); });
