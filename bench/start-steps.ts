// Where a start goes, step by step (issue 22): bare QEMU's first console byte, then the launcher from exec to the
// guest's first console byte with a cold capabilities cache (an empty cache dir) and a warm one (the same dir again),
// each step in ms since the launcher was spawned, and node's own share (start-up, loading the launcher's bundle).
// Figures, not assertions; run it beside `npm run bench` on an idle machine.
//   node dist/bench/start-steps.js        (root; BENCH_RUNS=N warm runs, default 3)
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildTestDisk, chownTree } from '../harness/guest-disk.js';
import { cliPath, LauncherRun, vmFixture, type LogLine } from '../harness/launcher-process.js';
import { bootUnavailable } from '../harness/requirements.js';
import { median } from './stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** Bare QEMU with what the launcher's domain gives it: ms to its first console byte. */
async function bareFirstByte(image: string): Promise<number> {
  const t0 = performance.now();
  const q = spawn('qemu-system-x86_64', ['-accel', 'tcg', '-m', '128', '-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio',
    '-drive', `file=${image},format=raw,if=virtio,cache=none,aio=threads`], { stdio: ['ignore', 'pipe', 'ignore'] });
  const ms = await new Promise<number>((resolve) => q.stdout!.once('data', () => resolve(performance.now() - t0)));
  q.kill('SIGKILL');
  await new Promise((r) => q.on('exit', r));
  return ms;
}

/**
 * What libvirt's create costs in QEMU itself, without libvirt: on x86 libvirt 9.0 and 11.3 read the started vCPU's
 * every feature back with one qom-get each (qemuProcessFetchGuestCPU; QEMU before 10.1 has no qom-list-get). The
 * same commands from a plain QMP client against a paused QEMU, timed: the part of the start no launcher can remove.
 */
async function qmpFloor(work: string): Promise<{ features: number; qomGetMs: number; roundTripUs: number }> {
  const sock = join(work, 'qmp.sock');
  const q = spawn('qemu-system-x86_64', ['-accel', 'tcg', '-S', '-m', '128', '-nodefaults', '-no-user-config', '-display', 'none',
    '-qmp', `unix:${sock},server=on,wait=off`], { stdio: 'ignore' });
  try {
    const conn = await retryConnect(sock);
    const lines = createInterface({ input: conn });
    const replies: Array<(r: { return?: unknown; error?: unknown }) => void> = [];
    lines.on('line', (l) => { const r = JSON.parse(l) as { return?: unknown; error?: unknown }; if ('return' in r || 'error' in r) replies.shift()?.(r); });
    const cmd = (execute: string, args?: object) => new Promise<{ return?: unknown; error?: unknown }>((resolve) => {
      replies.push(resolve);
      conn.write(JSON.stringify({ execute, ...(args && { arguments: args }) }) + '\n');
    });
    await cmd('qmp_capabilities');
    const path = '/machine/unattached/device[0]';
    let t = performance.now();
    for (let i = 0; i < 100; i++) await cmd('query-status');
    const roundTripUs = (performance.now() - t) * 10;
    const props = ((await cmd('qom-list', { path })).return as Array<{ name: string; type: string }>).filter((p) => p.type === 'bool');
    t = performance.now();
    for (const p of props) await cmd('qom-get', { path, property: p.name });
    const qomGetMs = performance.now() - t;
    conn.destroy();
    return { features: props.length, qomGetMs, roundTripUs };
  } finally {
    q.kill('SIGKILL');
  }
}

async function retryConnect(path: string): Promise<Socket> {
  for (let i = 0; ; i++) {
    try {
      return await new Promise<Socket>((resolve, reject) => { const c = connect(path, () => resolve(c)); c.once('error', reject); });
    } catch (e) {
      if (i > 100) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

type Steps = Array<[string, number]>;

/** One launcher start: every step's ms since spawn, from its StartupTimings and its log lines' timestamps. */
async function launcherSteps(cacheDir: string, name: string): Promise<Steps> {
  const fx = vmFixture({ mode: 'wait', name });
  const args = fx.args().map((a, i, all) => (all[i - 1] === '--cache-dir' ? cacheDir : a));
  const spawnedAt = Date.now();
  const run = new LauncherRun(args, { VM_LAUNCHER_LOG_LEVEL: 'debug' });
  try {
    const first = await run.waitFor((l) => l.reason === 'FirstConsoleOutput', 180_000, 'first console byte');
    const t = run.lines.find((l) => l.reason === 'StartupTimings')!;
    const at = (pred: (l: LogLine) => boolean) => {
      const l = run.lines.find(pred);
      return l?.timestamp ? Date.parse(String(l.timestamp)) - spawnedAt : NaN;
    };
    const n = t.nodeStartMs as number;
    const steps: Steps = [
      ['bin ran, signals caught (node start-up)', t.signalsDecidedMs as number],
      ['launcher loaded, plan resolved (incl. accel probe)', n],
      ['preflight done (manifest, volumes, qemu-img)', n + (t.preflightMs as number)],
      ['runtime dir claimed, stack starting', at((l) => l.reason === 'StartingStack')],
      ['dbus-daemon printed its address', at((l) => l.component === 'dbus-daemon')],
      ['libvirtd printed its first line', at((l) => l.component === 'libvirtd')],
      ['stack ready (libvirt-dbus owns org.libvirt)', n + (t.stackReadyMs as number)],
      ['domain defined (capabilities probe when cold)', n + (t.defineMs as number)],
      ['QEMU started paused (libvirt create)', n + (t.qemuStartedMs as number)],
      ['disks checked (QEMU holds what preflight saw)', n + (t.disksCheckedMs as number)],
      ['serial console held', n + (t.consoleHeldMs as number)],
      ['guest resumed', n + (t.createMs as number)],
      ['first console byte', n + (first.firstConsoleByteMs as number)],
    ];
    run.signal('SIGTERM');
    await run.exitCode(120_000);
    return steps;
  } finally {
    run.kill(fx.runtimeDir);
    rmSync(fx.dir, { recursive: true, force: true });
  }
}

/** Wall ms of a command, median of 5. */
function wall(cmd: string, args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    execFileSync(cmd, args, { stdio: 'ignore' });
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function main(): Promise<void> {
  const skip = bootUnavailable();
  if (skip) { console.log(`start-steps skipped: ${skip}`); return; }
  const work = mkdtempSync(join(tmpdir(), 'vml-steps-'));
  chmodSync(work, 0o755);
  const image = join(work, 'bare.img');
  buildTestDisk(image, 'wait');
  chownTree(work, 107, 107);
  console.log(`start-steps: TCG, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, node ${process.version}`);
  console.log(`node -e 0: ${wall(process.execPath, ['-e', '0']).toFixed(0)} ms; vm-launcher version (node + the bundle loaded): ${wall(cliPath, ['version']).toFixed(0)} ms`);
  const bare: number[] = [];
  for (let i = 0; i < RUNS; i++) bare.push(await bareFirstByte(image));
  const floor = await qmpFloor(work);
  const cache = join(work, 'cache');
  // Absent: the launcher makes it, as on a fresh node.
  const cold = await launcherSteps(cache, 'steps-cold');
  const warm: Steps[] = [];
  for (let i = 0; i < RUNS; i++) warm.push(await launcherSteps(cache, `steps-warm${i}`));
  rmSync(work, { recursive: true, force: true });
  const f = (ms: number) => (Number.isNaN(ms) ? '-' : String(Math.round(ms)));
  console.log(`\n| step (ms since spawn) | cold cache | warm cache (median of ${RUNS}) |\n| --- | --- | --- |`);
  cold.forEach(([label, ms], i) => console.log(`| ${label} | ${f(ms)} | ${f(median(warm.map((w) => w[i]![1])))} |`));
  const b = median(bare);
  const cf = cold.at(-1)![1];
  const wf = median(warm.map((w) => w.at(-1)![1]));
  console.log(`| bare QEMU: first console byte (median of ${RUNS}) | ${f(b)} | ${f(b)} |`);
  console.log(`| launcher overhead to the first console byte | ${f(cf - b)} | ${f(wf - b)} |`);
  const create = median(warm.map((w) => w[w.findIndex(([l]) => l.startsWith('QEMU started paused'))]![1] - w[w.findIndex(([l]) => l.startsWith('domain defined'))]![1]));
  console.log(`\nlibvirt's create (QEMU started paused, warm, median): ${f(create)} ms. Inside it, QEMU itself without libvirt: ` +
    `${floor.features} qom-get (one per x86 CPU feature, as libvirt reads them back on every start) took ${f(floor.qomGetMs)} ms; ` +
    `one QMP round trip (query-status) ${f(floor.roundTripUs)} us.`);
}

main().catch((e: Error) => { console.error(e.message); process.exit(1); });
