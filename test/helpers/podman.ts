// What container tests share: podman with this machine's settings, the launcher's JSON log as podman writes it
// (k8s-file), waiting on log lines, stopping a container the way the kubelet does, and the image under test.
import { execa, type Options as ExecaOptions } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from '../../harness/guest-disk.js';

export const CONTAINERS_CONF = join(repoRoot, 'test', 'container', 'containers.conf');
export const IMAGE = process.env.VM_LAUNCHER_TEST_IMAGE ?? 'localhost/vm-launcher:dev';
export const VOLUME_DIR = '/var/run/kubevirt-private/vmi-disks';
const env = { ...process.env, CONTAINERS_CONF };

export function hasCommand(cmd: string): boolean {
  return ['/usr/bin', '/usr/sbin', '/bin', '/sbin', '/usr/local/bin'].some((d) => existsSync(join(d, cmd)));
}

/** Why podman tests cannot run here, or undefined. */
export function podmanUnavailable(): string | undefined {
  if (!hasCommand('podman')) return 'podman is not installed (apt-get install podman runc)';
  if (process.getuid?.() !== 0) return 'the container tests need root (rootful podman, chown of volumes)';
  return undefined;
}

export async function podman(args: string[], opts: ExecaOptions = {}) {
  return execa('podman', args, { env, reject: false, timeout: 120_000, all: true, ...opts });
}

/** Prints a command's output when it failed, so a red test says why. */
export function must(r: { exitCode?: number; all?: unknown; command: string }, what: string): void {
  if (r.exitCode !== 0) throw new Error(`${what} failed (exit ${r.exitCode}): ${r.command}\n${String(r.all ?? '').slice(-3000)}`);
}

/** The image under test: VM_LAUNCHER_TEST_IMAGE as given, else built (podman's layer cache makes a rebuild quick). */
export async function ensureImage(): Promise<string> {
  if (process.env.VM_LAUNCHER_TEST_IMAGE) {
    must(await podman(['image', 'exists', IMAGE]), `image ${IMAGE} (VM_LAUNCHER_TEST_IMAGE)`);
    return `${IMAGE} (given)`;
  }
  const r = await execa(join(repoRoot, 'scripts', 'container-build.sh'), [], { env: { ...env, IMAGE }, reject: false, all: true, timeout: 15 * 60_000 });
  must(r, 'scripts/container-build.sh');
  return String(r.stdout).trim().split('\n').at(-1) ?? IMAGE;
}

export interface LogLine { level?: string; msg?: string; component?: string; reason?: string; exitCode?: number; timestamp?: string; [k: string]: unknown }

/** Reads a k8s-file container log ("TIME stdout F|P TEXT" lines): the launcher's JSON lines. */
export function readLog(file: string): LogLine[] {
  if (!existsSync(file)) return [];
  const out: LogLine[] = [];
  let partial = '';
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\S+ (stdout|stderr) ([FP]) ?(.*)$/.exec(raw);
    if (!m) continue;
    partial += m[3];
    if (m[2] === 'P') continue;
    const text = partial;
    partial = '';
    try { out.push(JSON.parse(text) as LogLine); } catch { out.push({ level: 'raw', msg: text }); }
  }
  return out;
}

export function tail(lines: LogLine[], n = 25): string {
  return lines.slice(-n).map((l) => `${l.component ?? ''} ${l.reason ?? ''} ${l.msg ?? ''}`).join('\n');
}

export const consoleHas = (text: string) => (l: LogLine) => l.component === 'guest-console' && (l.msg ?? '').includes(text);

/** The first log line `pred` accepts; `alive` says whether the container still runs (checked every 2 s). */
export async function waitForLog(file: string, pred: (l: LogLine) => boolean, timeoutMs: number, what: string, alive?: () => Promise<boolean>): Promise<LogLine> {
  const deadline = Date.now() + timeoutMs;
  let checks = 0;
  for (;;) {
    const found = readLog(file).find(pred);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last lines:\n${tail(readLog(file))}`);
    if (alive && ++checks % 8 === 0 && !(await alive())) {
      await new Promise((r) => setTimeout(r, 300));
      const late = readLog(file).find(pred);
      if (late) return late;
      throw new Error(`the container exited while waiting for ${what}; last lines:\n${tail(readLog(file))}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function running(name: string): Promise<boolean> {
  const r = await podman(['inspect', '--format', '{{.State.Running}}', name]);
  return r.exitCode === 0 && String(r.stdout).trim() === 'true';
}

/** Stops a container the way the kubelet does (SIGTERM, SIGKILL after `grace` s); its exit code and the time taken. */
export async function stop(name: string, grace: number): Promise<{ exitCode: number; seconds: number }> {
  const t0 = Date.now();
  must(await podman(['stop', '-t', String(grace), name], { timeout: (grace + 30) * 1000 }), 'podman stop');
  const seconds = (Date.now() - t0) / 1000;
  const r = await podman(['inspect', '--format', '{{.State.ExitCode}}', name]);
  must(r, 'podman inspect');
  return { exitCode: Number(String(r.stdout).trim()), seconds };
}

/** A free TCP port on 127.0.0.1 (tests publish container ports there and nowhere else). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no free port'))));
    });
  });
}
