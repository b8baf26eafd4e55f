// Real volumes for `vm-launcher check` / `vm-launcher domain`: a temp dir with <vols>/ and <dev>/, images made with
// qemu-img, tmpfs/overlay mounts and loop devices when root, and the CLI run as a child process.
// Every mount and loop device is recorded and undone by `cleanup()` (tests call it from t.teardown, and the
// test file's after.always sweeps whatever a crashed test left).
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants, openSync, closeSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { sha256 } from '../../harness/guest-disk.js';
import { cliPath } from '../../harness/launcher-process.js';
import { isRoot } from '../../harness/requirements.js';

export const VM_UID = 107;
export const VM_GID = 107;

// ---------------------------------------------------------------------------------------------------------------
// The CLI

export interface CliResult { code: number | null; stdout: string; stderr: string }

/** A few CLI runs at a time: this machine may have 2 CPUs, and a node start costs ~0.3 s of CPU. */
const MAX_PARALLEL = 3;
let running = 0;
const queue: Array<() => void> = [];
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_PARALLEL) await new Promise<void>((resolve) => queue.push(resolve));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    queue.shift()?.();
  }
}

export function runCli(args: string[], timeoutMs = 60_000, env: Record<string, string> = {}): Promise<CliResult> {
  return slot(() => new Promise((resolve) => {
    execFile(process.execPath, [cliPath, ...args], {
      timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8',
      env: { ...process.env, VM_LAUNCHER_LOG_FORMAT: 'json', ...env },
    }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? (err as unknown as { code: number }).code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  }));
}

export interface ProblemJson { reason: string; severity: 'error' | 'warning'; message: string; field?: string; volume?: string; fix?: string }
export interface VolumeJson {
  volume: string; disk: string; kind?: string; path?: string; format?: string; virtualSize?: number; allocatedSize?: number;
  fullyAllocated?: boolean; directIo?: boolean; filesystemSize?: number; filesystemFree?: number; cache?: string; io?: string;
  problems: ProblemJson[];
}
export interface CheckJson { ok: boolean; vmi: unknown; durationMs: number; problems: ProblemJson[]; volumes: VolumeJson[]; allProblems: number }

export const allReasons = (r: CheckJson): string[] => [...r.problems, ...r.volumes.flatMap((v) => v.problems)].map((p) => p.reason);
export const allProblemsOf = (r: CheckJson): ProblemJson[] => [...r.problems, ...r.volumes.flatMap((v) => v.problems)];

// ---------------------------------------------------------------------------------------------------------------
// A scene: one temp dir per test

export interface Scene {
  dir: string;
  volumesDir: string;
  devicesDir: string;
  vmiPath: string;
  /** The shared options of check/domain for this scene. */
  opts: () => string[];
  writeVmi: (text: string) => void;
  check: () => Promise<{ code: number | null; json: CheckJson; raw: CliResult }>;
  checkText: () => Promise<CliResult>;
  domain: () => Promise<CliResult>;
  cleanup: () => void;
}

const undo: Array<() => void> = [];

/** Everything any scene mounted or attached and did not undo yet (the test file's after.always calls it). */
export function cleanupAll(): void {
  while (undo.length) {
    try { undo.pop()?.(); } catch { /* best effort */ }
  }
}

export function scene(prefix = 'vml-check-'): Scene {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // mkdtemp makes 0700: QEMU's user (107) must be able to walk down to the image, as in a pod.
  chmodSync(dir, 0o755);
  const volumesDir = join(dir, 'vols');
  const devicesDir = join(dir, 'dev');
  mkdirSync(volumesDir, { mode: 0o755 });
  mkdirSync(devicesDir, { mode: 0o755 });
  const vmiPath = join(dir, 'vmi.yaml');
  const mine: Array<() => void> = [];
  const s: Scene = {
    dir, volumesDir, devicesDir, vmiPath,
    opts: () => ['--vmi', vmiPath, '--volumes-dir', volumesDir, '--devices-dir', devicesDir, '--accel', 'tcg'],
    writeVmi: (text) => writeFileSync(vmiPath, text),
    check: async () => {
      const raw = await runCli(['check', '--json', ...s.opts()]);
      let json: CheckJson;
      try {
        json = JSON.parse(raw.stdout) as CheckJson;
      } catch {
        throw new Error(`check --json printed no JSON (exit ${raw.code}):\n${raw.stdout}\n${raw.stderr}`);
      }
      return { code: raw.code, json, raw };
    },
    checkText: () => runCli(['check', ...s.opts()]),
    domain: () => runCli(['domain', ...s.opts()]),
    cleanup: () => {
      while (mine.length) {
        const f = mine.pop();
        const i = f ? undo.indexOf(f) : -1;
        if (i >= 0) undo.splice(i, 1);
        try { f?.(); } catch { /* best effort */ }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  sceneUndo.set(s, mine);
  return s;
}

const sceneUndo = new WeakMap<Scene, Array<() => void>>();
function onCleanup(s: Scene, f: () => void): void {
  sceneUndo.get(s)?.push(f);
  undo.push(f);
}

/** `<vols>/<name>/`, owned by QEMU's user like a PVC with fsGroup. */
export function fsVolume(s: Scene, name: string): string {
  const d = join(s.volumesDir, name);
  mkdirSync(d, { recursive: true, mode: 0o755 });
  if (isRoot) chownSync(d, VM_UID, VM_GID);
  return d;
}

export function qemuImg(...args: string[]): void {
  execFileSync('qemu-img', ['create', '-q', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Owned by QEMU's user (when root) and mode 0660, as an image on a PVC is. */
export function giveToVm(path: string): void {
  chmodSync(path, 0o660);
  if (isRoot) chownSync(path, VM_UID, VM_GID);
}

// ---------------------------------------------------------------------------------------------------------------
// Images must come out of check byte-for-byte and stat-for-stat as they went in

export interface FileState { sha256: string; size: number; blocks: number; mtimeMs: number; ctimeMs: number; mode: number; uid: number; gid: number }

/** Files up to this size are hashed whole; bigger (sparse) ones by their first and last 16 MiB plus their block count. */
const FULL_HASH_LIMIT = 256 * 1024 * 1024;
const SAMPLE = 16 * 1024 * 1024;

function contentHash(path: string, size: number): string {
  if (size <= FULL_HASH_LIMIT) return sha256(path);
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(SAMPLE);
    for (const at of [0, size - SAMPLE]) {
      const n = readSync(fd, buf, 0, SAMPLE, at);
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return `sampled:${h.digest('hex')}`;
}

export function fileState(path: string): FileState {
  // Hash first, then stat: on ramfs, reading a hole allocates it, and that read is the test's, not check's.
  const pre = lstatSync(path);
  // An image made unreadable on purpose (as non-root: mode 0000, its owner cannot read it either) is compared by
  // its metadata alone: size, blocks, mtime and ctime still show any write.
  const hash = !pre.isFile() ? '-' : (pre.mode & 0o444) === 0 && !isRoot ? 'unreadable' : contentHash(path, pre.size);
  const st = lstatSync(path);
  return { sha256: hash, size: st.size, blocks: st.blocks, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, mode: st.mode, uid: st.uid, gid: st.gid };
}

export function snapshot(paths: string[]): Map<string, FileState> {
  return new Map(paths.map((p) => [p, fileState(p)]));
}

/** The paths whose content or metadata changed since `before` (empty when nothing did). */
export function changed(before: Map<string, FileState>): string[] {
  const out: string[] = [];
  for (const [p, st] of before) {
    const now = fileState(p);
    for (const k of Object.keys(st) as Array<keyof FileState>) {
      if (now[k] !== st[k]) out.push(`${p}: ${k} ${st[k]} -> ${now[k]}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Mounts and loop devices (root only)

export function mountTmpfs(s: Scene, at: string, size: string): void {
  mkdirSync(at, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', at]);
  onCleanup(s, () => execFileSync('umount', ['-l', at]));
  if (isRoot) chownSync(at, VM_UID, VM_GID);
}

/**
 * A directory whose files refuse O_DIRECT, with a real size in statfs. tmpfs accepts O_DIRECT since Linux 6.6 and
 * ramfs reports a size of zero, so this is an overlay: the files sit on a ramfs lower layer (no O_DIRECT), statfs
 * answers for a 16 MiB tmpfs upper layer. `populate` fills the lower layer before the overlay is mounted (nothing
 * written through the overlay: a copy-up would move the file to tmpfs).
 */
export function mountNoDirectIo(s: Scene, at: string, populate: (lower: string) => void): void {
  const base = join(s.dir, `.nodirect-${basename(at)}`);
  const lower = join(base, 'lower');
  const upper = join(base, 'upper');
  mkdirSync(lower, { recursive: true });
  mkdirSync(upper, { recursive: true });
  execFileSync('mount', ['-t', 'ramfs', '-o', 'mode=0755', 'ramfs', lower]);
  onCleanup(s, () => execFileSync('umount', ['-l', lower]));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0755', 'tmpfs', upper]);
  onCleanup(s, () => execFileSync('umount', ['-l', upper]));
  mkdirSync(join(upper, 'u'));
  mkdirSync(join(upper, 'w'));
  populate(lower);
  if (isRoot) chownSync(lower, VM_UID, VM_GID);
  mkdirSync(at, { recursive: true });
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${join(upper, 'u')},workdir=${join(upper, 'w')}`, at]);
  onCleanup(s, () => execFileSync('umount', ['-l', at]));
}

/** Whether this process can open `path` with O_DIRECT (read-only: changes nothing). */
export function directIoWorks(path: string): boolean {
  try {
    closeSync(openSync(path, constants.O_RDONLY | constants.O_DIRECT));
    return true;
  } catch {
    return false;
  }
}

/** Attaches `file` to a free loop device; detached by the scene's cleanup. Returns /dev/loopN. */
export function attachLoop(s: Scene, file: string): string {
  const dev = execFileSync('losetup', ['-f', '--show', file], { encoding: 'utf8' }).trim();
  onCleanup(s, () => execFileSync('losetup', ['-d', dev]));
  return dev;
}

/** A device node `<dev>/<name>` for the same block device as `dev` (our own node: /dev's permissions stay as they are). */
export function blockNode(s: Scene, name: string, dev: string, owner: { uid: number; gid: number; mode: number }): string {
  const majMin = readFileSync(`/sys/class/block/${basename(dev)}/dev`, 'utf8').trim().split(':');
  const node = join(s.devicesDir, name);
  execFileSync('mknod', [node, 'b', majMin[0] ?? '', majMin[1] ?? '']);
  chownSync(node, owner.uid, owner.gid);
  chmodSync(node, owner.mode);
  return node;
}

// ---------------------------------------------------------------------------------------------------------------
// Manifests

export interface DiskDef {
  volume: string;
  /** Disk name; defaults to the volume name (KubeVirt form). A different name uses the compact form's volumeName. */
  disk?: string;
  bus?: 'virtio' | 'sata' | 'scsi';
  cdrom?: boolean;
  readonly?: boolean;
  bootOrder?: number;
  serial?: string;
  cache?: 'none' | 'writethrough' | 'writeback';
  io?: 'native' | 'threads';
  /** Leave the volume out of spec.volumes (for VolumeUsedTwice: two disks, one volume). */
  noVolume?: boolean;
}

/** A VMI as JSON (YAML's superset): no quoting surprises with odd names. */
export function vmiJson(name: string, disks: DiskDef[], extra: { uid?: string } = {}): string {
  const doc = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name, namespace: 'tests', ...(extra.uid && { uid: extra.uid }) },
    spec: {
      terminationGracePeriodSeconds: 30,
      domain: {
        memory: { guest: '128Mi' },
        devices: {
          disks: disks.map((d) => ({
            name: d.disk ?? d.volume,
            ...(d.disk !== undefined && d.disk !== d.volume && { volumeName: d.volume }),
            ...(d.cdrom
              ? { cdrom: { bus: d.bus ?? 'sata' } }
              : { disk: { bus: d.bus ?? 'virtio', ...(d.readonly && { readonly: true }) } }),
            ...(d.bootOrder !== undefined && { bootOrder: d.bootOrder }),
            ...(d.serial !== undefined && { serial: d.serial }),
            ...(d.cache !== undefined && { cache: d.cache }),
            ...(d.io !== undefined && { io: d.io }),
          })),
        },
      },
      volumes: disks.filter((d) => !d.noVolume).map((d) => ({ name: d.volume, persistentVolumeClaim: { claimName: `${d.volume}-claim` } })),
    },
  };
  return JSON.stringify(doc, null, 2);
}

// ---------------------------------------------------------------------------------------------------------------
// Domain XML

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => name === 'disk' || name === 'controller' });

export interface XmlDisk {
  '@type': string; '@device': string;
  driver: Record<string, string>;
  source: Record<string, string>;
  target: Record<string, string>;
  boot?: Record<string, string>;
  serial?: string;
  readonly?: unknown;
}

export function xmlDisks(xml: string): XmlDisk[] {
  const doc = parser.parse(xml) as { domain?: { devices?: { disk?: XmlDisk[] } } };
  return doc.domain?.devices?.disk ?? [];
}

export function parseDomain(xml: string): Record<string, unknown> {
  return (parser.parse(xml) as { domain: Record<string, unknown> }).domain;
}

/** libvirt's own schema check; `undefined` when virt-xml-validate is not installed (the caller skips). */
export function virtXmlValidate(xml: string): { ok: boolean; output: string } {
  const d = mkdtempSync(join(tmpdir(), 'vml-xml-'));
  const file = join(d, 'domain.xml');
  try {
    writeFileSync(file, xml);
    try {
      const out = execFileSync('virt-xml-validate', [file, 'domain'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
      return { ok: true, output: out };
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; message: string };
      return { ok: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}` || err.message };
    }
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

export { existsSync };
