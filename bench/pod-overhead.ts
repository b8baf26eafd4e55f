// Re-measures the figures domain/pod/overhead.ts sizes a VM pod's memory from: the peak RSS of every process of a
// running launcher (node, libvirtd, libvirt-dbus, dbus-daemon, QEMU; passt, swtpm, virtiofsd when the VMI has them)
// with the test guest under TCG, for 1 and 2 vCPUs. QEMU's figure is its RSS minus nothing: the test guest touches
// little of its RAM, so QEMU's RSS is mostly QEMU's own. Also prints each process's RSS while the guest runs (3 s
// after its marker), split into anonymous memory (heap, stacks: the process's own) and file-backed pages (code and
// shared libraries: the page cache holds them once however many processes map them), and the non-QEMU stack's sum.
// With BENCH_IMAGE, the same in the VM pod image (a container, the launcher as uid 107) with a NIC (passt) and a
// virtiofs share (virtiofsd) mounted by the guest. Prints figures; asserts nothing.
//   node dist/bench/pod-overhead.js      (root; BENCH_RUNS=N, default 2; BENCH_VCPUS=1 for one vCPU only;
//                                        BENCH_IMAGE=localhost/vm-launcher:dev to measure in the image instead)
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildTestDisk, repoRoot } from '../harness/guest-disk.js';
import { mappingRss } from './rss.js';
import { LauncherRun, processesMentioning, vmFixture } from '../harness/launcher-process.js';
import { bootUnavailable } from '../harness/requirements.js';
import { MEASURED_MIB } from '../domain/pod/index.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const VCPUS = (process.env.BENCH_VCPUS ?? '1,2').split(',').map(Number);
const IMAGE = process.env.BENCH_IMAGE;
/** The processes whose sum the issue's target is about (QEMU, passt, virtiofsd and swtpm are reported apart). */
const STACK = ['node', 'libvirtd', 'virtqemud', 'libvirt-dbus', 'dbus-daemon'];

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

interface Steady { rss: number; anon: number }

/** RSS and its anonymous part (KiB) per program name, from /proc/PID/smaps_rollup, summed over same-named processes. */
function steady(pids: number[]): Map<string, Steady> {
  const out = new Map<string, Steady>();
  for (const pid of pids) {
    try {
      const name = /Name:\s+(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const field = (f: string) => Number(new RegExp(`\\n${f}:\\s+(\\d+)`).exec(rollup)?.[1] ?? 0);
      const prev = out.get(name) ?? { rss: 0, anon: 0 };
      out.set(name, { rss: prev.rss + field('Rss'), anon: prev.anon + field('Anonymous') });
    } catch { /* exited meanwhile */ }
  }
  return out;
}

/** `pid` and all its descendants. */
function tree(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      parent.set(Number(entry), Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]));
    } catch { /* gone */ }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const [c, p] of parent) if (p === out[i]) out.push(c);
  return out;
}

type Measured = [Map<string, number>, Map<string, Steady>];

/** Samples `pids()` every 200 ms until `running` resolves, then once more for the steady figures, then `stop`s. */
async function watch(pids: () => number[], running: Promise<unknown>, stop: () => Promise<void>): Promise<Measured> {
  const peaks = new Map<string, number>();
  const timer = setInterval(() => sample(pids(), peaks), 200);
  try {
    await running;
    await new Promise((r) => setTimeout(r, 3000));
    sample(pids(), peaks);
    const now = steady(pids());
    await stop();
    return [peaks, now];
  } finally {
    clearInterval(timer);
  }
}

async function measure(vcpus: number): Promise<Measured> {
  const fx = vmFixture({ name: `overhead${vcpus}` });
  writeFileSync(fx.vmiPath, readFileSync(fx.vmiPath, 'utf8').replace('memory: { guest: 128Mi }', `memory: { guest: 128Mi }\n    cpu: { cores: ${vcpus} }`));
  const run = new LauncherRun(fx.args());
  try {
    return await watch(() => [...new Set([...tree(run.pid), ...processesMentioning(fx.runtimeDir)])],
      run.waitForConsole('GUEST-WAITING-FOR-POWER-BUTTON', 180_000),
      async () => { run.signal('SIGTERM'); await run.exitCode(120_000); });
  } finally {
    run.kill(fx.runtimeDir);
  }
}

const VOLUME_DIR = '/var/run/kubevirt-private/vmi-disks';
const podman = async (args: string[], timeout = 120_000): Promise<string> => {
  const r = await execa('podman', args, { env: { CONTAINERS_CONF: join(repoRoot, 'test', 'container', 'containers.conf') }, reject: false, all: true, timeout });
  if (r.exitCode !== 0) throw new Error(`podman ${args.join(' ')} failed (exit ${r.exitCode}): ${String(r.all).slice(-2000)}`);
  return String(r.stdout).trim();
};

/** Resolves once the container's log shows `text`; rejects when the container ended first or `ms` passed. */
async function containerSays(name: string, text: string, ms: number): Promise<void> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
    if ((await podman(['logs', name])).includes(text)) return;
    if ((await podman(['inspect', '--format', '{{.State.Running}}', name])) !== 'true') throw new Error(`the container ended before "${text}":\n${(await podman(['logs', name])).slice(-3000)}`);
  }
  throw new Error(`no "${text}" within ${ms} ms`);
}

/** The VM pod image: the test guest with a passt NIC and a virtiofs share it mounts, the launcher as the image runs it. */
async function measureImage(image: string, vcpus: number): Promise<Measured> {
  const work = mkdtempSync(join(tmpdir(), 'vml-overhead-'));
  chmodSync(work, 0o755);
  const name = `vml-overhead-${process.pid}-${vcpus}`;
  try {
    const root = join(work, 'rootdisk');
    const shared = join(work, 'shared');
    for (const d of [root, shared]) { mkdirSync(d); chownSync(d, 107, 107); }
    const disk = join(root, 'disk.img');
    buildTestDisk(disk, 'wait');
    // The test guest mounts the tags VIRTIOFS.TXT on its FAT partition names (as test/container/virtiofs.test.ts).
    writeFileSync(join(work, 'VIRTIOFS.TXT'), 'shared\n');
    execFileSync('mcopy', ['-o', '-i', `${disk}@@1M`, join(work, 'VIRTIOFS.TXT'), '::VIRTIOFS.TXT'], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' }, timeout: 30_000 });
    chownSync(disk, 107, 107);
    const vmi = join(work, 'vmi.yaml');
    writeFileSync(vmi, JSON.stringify({
      apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'overhead', namespace: 'bench' },
      spec: {
        domain: {
          cpu: { cores: vcpus }, memory: { guest: '128Mi' },
          devices: { disks: [{ name: 'rootdisk' }], interfaces: [{ name: 'default', masquerade: {}, ports: [{ port: 22 }] }], filesystems: [{ name: 'shared', virtiofs: {} }] },
        },
        networks: [{ name: 'default', pod: {} }],
        volumes: [{ name: 'rootdisk', persistentVolumeClaim: { claimName: 'root' } }, { name: 'shared', persistentVolumeClaim: { claimName: 'files' } }],
      },
    }));
    chmodSync(vmi, 0o644);
    await podman(['run', '-d', '--name', name, '-e', 'VM_LAUNCHER_ACCEL=tcg', '-e', 'VM_LAUNCHER_LOG_GUEST_CONSOLE=yes',
      '--sysctl', 'net.ipv4.ip_unprivileged_port_start=0', '-v', `${root}:${VOLUME_DIR}/rootdisk`, '-v', `${shared}:${VOLUME_DIR}/shared`,
      '-v', `${vmi}:/etc/vm-launcher/vmi.yaml:ro`, image]);
    const init = Number(await podman(['inspect', '--format', '{{.State.Pid}}', name]));
    return await watch(() => tree(init).filter((p) => p !== init), containerSays(name, 'GUEST-WAITING-FOR-POWER-BUTTON', 180_000),
      async () => { await podman(['stop', '-t', '60', name], 90_000); });
  } finally {
    await podman(['rm', '-f', '-t', '0', name]).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

const skip = bootUnavailable() ?? (IMAGE && !existsSync('/usr/bin/podman') ? 'podman is not installed' : undefined);
if (skip) {
  console.log(`SKIPPED: ${skip}`);
} else {
  const mib = (kib: number | undefined) => (kib === undefined ? '-' : (kib / 1024).toFixed(1));
  const all: Array<[number, ...Measured]> = [];
  for (let i = 0; i < RUNS; i++) for (const vcpus of VCPUS) all.push([vcpus, ...await (IMAGE ? measureImage(IMAGE, vcpus) : measure(vcpus))]);
  const header = ['process', ...all.map(([v], i) => `run${Math.floor(i / VCPUS.length) + 1} ${v}vCPU`)].join('\t');
  const names = [...new Set(all.flatMap(([, m]) => [...m.keys()]))].sort();
  console.log(`${IMAGE ? `in ${IMAGE}, with passt and virtiofsd` : 'on this host'}: peak RSS, MiB (VmHWM), test guest with 128Mi under TCG, ${RUNS} run(s) each`);
  console.log(header);
  for (const n of names) console.log([n, ...all.map(([, m]) => mib(m.get(n)))].join('\t'));
  const running = [...new Set(all.flatMap(([, , s]) => [...s.keys()]))].sort();
  console.log('\nRSS while the guest runs, MiB: total (anonymous + file-backed)');
  console.log(header);
  for (const n of running) {
    console.log([n, ...all.map(([, , s]) => { const x = s.get(n); return x ? `${mib(x.rss)} (${mib(x.anon)}+${mib(x.rss - x.anon)})` : '-'; })].join('\t'));
  }
  console.log([`non-QEMU stack (${STACK.join(', ')})`, ...all.map(([, , s]) => mib(STACK.reduce((t, n) => t + (s.get(n)?.rss ?? 0), 0)))].join('\t'));
  console.log(`domain/pod/overhead.ts uses: ${JSON.stringify(MEASURED_MIB)}`);
}
