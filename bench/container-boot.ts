// The way pods start: the project's image through podman, a fresh container each time. podman run -> the test
// guest's GUEST-BOOTED, bare QEMU (the image's own qemu-system-x86_64 as entrypoint) against the launcher, with
// libvirt's capabilities cache cold (the image's empty cache dir) and warm (a cache dir kept between containers,
// as a node-local volume would be). Used by boot.ts; prints nothing itself.
import { spawn } from 'node:child_process';
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { buildTestDisk, repoRoot } from '../harness/guest-disk.js';
import { vmiYaml } from '../harness/launcher-process.js';

const CONTAINERS_CONF = process.env.CONTAINERS_CONF ?? join(repoRoot, 'test', 'container', 'containers.conf');
export const IMAGE = process.env.BENCH_IMAGE ?? process.env.VM_LAUNCHER_TEST_IMAGE ?? 'localhost/vm-launcher:dev';
/** An older build's image, measured beside IMAGE in the same rounds (the before column); absent: no such column. */
export const BASELINE_IMAGE = process.env.BENCH_BASELINE_IMAGE;
const env = { ...process.env, CONTAINERS_CONF };
const VOLUME_DIR = '/var/run/kubevirt-private/vmi-disks';
const CACHE_DIR = '/var/cache/vm-launcher';

const podman = (args: string[]) => execa('podman', args, { env, reject: false, timeout: 120_000, all: true });

/** Why the image rows cannot run here, or undefined. */
export async function containerUnavailable(): Promise<string | undefined> {
  if (IMAGE === 'none') return 'BENCH_IMAGE=none';
  if (process.getuid?.() !== 0) return 'the image rows need root (rootful podman, volumes owned by uid 107)';
  const version = await podman(['--version']).catch(() => undefined);
  if (!version || version.exitCode !== 0) return 'podman is not available (apt-get install podman runc)';
  for (const image of [IMAGE, ...(BASELINE_IMAGE ? [BASELINE_IMAGE] : [])]) {
    if ((await podman(['image', 'exists', image])).exitCode !== 0) {
      return `image ${image} is absent: build it with IMAGE=${image} scripts/container-build.sh, or name another with BENCH_IMAGE (BENCH_BASELINE_IMAGE)`;
    }
  }
  return undefined;
}

/** `cache` and `baselineCache`: each image keeps its own warm cache (their layouts differ). */
export interface ContainerScene { dir: string; volume: string; vmi: string; cache: string; baselineCache: string }

/** A volume with the test guest, a VMI naming it, and a cache dir for the warm rows, all uid 107's. */
export function containerScene(work: string): ContainerScene {
  const dir = join(work, 'pod');
  const volume = join(dir, 'rootdisk');
  const cache = join(dir, 'cache');
  const baselineCache = join(dir, 'baseline-cache');
  mkdirSync(volume, { recursive: true });
  mkdirSync(cache);
  mkdirSync(baselineCache);
  buildTestDisk(join(volume, 'disk.img'), 'wait');
  const vmi = join(dir, 'vmi.yaml');
  writeFileSync(vmi, vmiYaml('bench', ['rootdisk']));
  for (const p of [dir, volume, join(volume, 'disk.img'), cache, baselineCache]) chownSync(p, 107, 107);
  return { dir, volume, vmi, cache, baselineCache };
}

let n = 0;

/** podman run -> GUEST-BOOTED on the container's stdout (the launcher logs the console there), in ms. */
async function bootOnce(args: string[], name: string): Promise<number> {
  const t0 = performance.now();
  const p = spawn('podman', ['run', '--rm', '--name', name, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no GUEST-BOOTED within 180 s`)), 180_000);
      p.on('exit', (code) => reject(new Error(`${name}: podman run exited ${code} before GUEST-BOOTED`)));
      createInterface({ input: p.stdout! }).on('line', (l) => {
        if (l.includes('GUEST-BOOTED')) { clearTimeout(timer); resolve(performance.now() - t0); }
      });
    });
  } finally {
    await podman(['rm', '-f', '-t', '0', name]);
    p.kill('SIGKILL');
  }
}

/** Bare QEMU in the image: what the launcher's domain gives QEMU, minus libvirt. */
export function bareInImage(s: ContainerScene): Promise<number> {
  return bootOnce(['-v', `${s.volume}:/v`, '--entrypoint', 'qemu-system-x86_64', IMAGE,
    '-accel', 'tcg', '-m', '128', '-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio',
    '-drive', 'file=/v/disk.img,format=raw,if=virtio,cache=none,aio=threads'], `vml-bench-bare-${process.pid}-${n++}`);
}

/** The launcher in the image (or the baseline image); `warm`: libvirt's capabilities cache kept between containers. */
export function launcherInImage(s: ContainerScene, warm: boolean, baseline = false): Promise<number> {
  return bootOnce(['-e', 'VM_LAUNCHER_ACCEL=tcg', '-e', 'VM_LAUNCHER_LOG_GUEST_CONSOLE=yes', '-e', 'VM_LAUNCHER_LOG_FORMAT=json',
    '-v', `${s.volume}:${VOLUME_DIR}/rootdisk`, '-v', `${s.vmi}:/etc/vm-launcher/vmi.yaml:ro`,
    ...(warm ? ['-v', `${baseline ? s.baselineCache : s.cache}:${CACHE_DIR}`] : []), baseline ? BASELINE_IMAGE! : IMAGE], `vml-bench-launcher-${process.pid}-${n++}`);
}
