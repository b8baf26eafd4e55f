// Runs the real launcher (dist/vm-launcher.mjs, the bundled bin, which loads dist/vm-launcher-main.mjs) as a child process and reads its JSON log.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildTestDisk, chownTree, repoRoot, type GuestMode } from './guest-disk.js';

/** The bin users get: the bundle (see package.json `bundle`). */
export const cliPath = join(repoRoot, 'dist', 'vm-launcher.mjs');
/** Shared by all tests of one user: libvirt's QEMU capabilities probe is paid once per test run. */
export const sharedCacheDir = join(tmpdir(), `vm-launcher-test-cache-${process.getuid?.() ?? 0}`);

export interface LogLine { level: string; msg: string; component?: string; reason?: string; [k: string]: unknown }

export class LauncherRun {
  readonly proc: ChildProcess;
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: Array<{ pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];

  /**
   * `wrap`: a command that execs the launcher (e.g. `setpriv --bounding-set -sys_ptrace --`): same pid, same group.
   * `cli`: another build's bin (the bench compares against a baseline build).
   */
  constructor(args: string[], env: Record<string, string> = {}, wrap: readonly string[] = [], cli = cliPath) {
    // Own process group, like a pod's launcher: tests can signal the whole group.
    // The bin itself, so its shebang's V8 flags apply as they do for users.
    const [cmd, ...cmdArgs] = [...wrap, cli, ...args];
    this.proc = spawn(cmd!, cmdArgs, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Tests wait for the guest's lines in the log: the console goes there too (by default only to the console file).
      env: { ...process.env, VM_LAUNCHER_LOG_FORMAT: 'json', VM_LAUNCHER_LOG_GUEST_CONSOLE: 'yes', ...env },
    });
    createInterface({ input: this.proc.stdout! }).on('line', (text) => {
      let line: LogLine;
      try { line = JSON.parse(text) as LogLine; } catch { line = { level: 'raw', msg: text }; }
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => (w.pred(line) ? (w.resolve(line), false) : true));
    });
    createInterface({ input: this.proc.stderr! }).on('line', (l) => this.stderr.push(l));
    this.exit = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number { return this.proc.pid!; }

  waitFor(pred: (l: LogLine) => boolean, timeoutMs: number, what = 'log line'): Promise<LogLine> {
    const found = this.lines.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last lines:\n${this.tail()}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (l) => { clearTimeout(timer); resolve(l); } });
      void this.exit.then(() => setTimeout(() => { clearTimeout(timer); reject(new Error(`launcher exited while waiting for ${what}; last lines:\n${this.tail()}`)); }, 200));
    });
  }

  waitForConsole(text: string, timeoutMs = 60_000): Promise<LogLine> {
    return this.waitFor((l) => l.component === 'guest-console' && l.msg.includes(text), timeoutMs, `guest console "${text}"`);
  }

  async exitCode(timeoutMs = 90_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      this.exit,
      new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`launcher did not exit within ${timeoutMs} ms; last lines:\n${this.tail()}`)), timeoutMs); }),
    ]);
    clearTimeout(timer);
    return r.code;
  }

  signal(sig: NodeJS.Signals): void { process.kill(this.pid, sig); }
  signalGroup(sig: NodeJS.Signals): void { process.kill(-this.pid, sig); }

  /** Last log lines, for failure messages. */
  tail(n = 25): string {
    return [...this.lines.slice(-n).map((l) => `${l.component ?? ''} ${l.reason ?? ''} ${l.msg}`), ...this.stderr.slice(-5)].join('\n');
  }

  /** Kills the launcher and whatever it started (test clean-up after a failure). */
  kill(marker: string): void {
    try { process.kill(-this.pid, 'SIGKILL'); } catch { /* gone */ }
    for (const pid of processesMentioning(marker)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }
}

/**
 * Pids of live processes whose command line or environment mentions `marker` (a runtime dir:
 * every daemon of a stack gets XDG_RUNTIME_DIR below it; QEMU's command line names its files there).
 */
export function processesMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      let env = '';
      try { env = readFileSync(`/proc/${entry}/environ`, 'utf8'); } catch { /* not ours to read */ }
      const state = /State:\s+(\w)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
      if ((cmd.includes(marker) || env.includes(marker)) && state !== 'Z') pids.push(Number(entry));
    } catch { /* exited meanwhile */ }
  }
  return pids;
}

/** The direct children of `pid` named `comm` (Linux lists a thread's children in /proc), with `arg` in their argv. */
export function childrenNamed(pid: number, comm: string, arg?: string): number[] {
  const is = (c: number) => {
    try {
      return readFileSync(`/proc/${c}/comm`, 'utf8').trim() === comm && (arg === undefined || readFileSync(`/proc/${c}/cmdline`, 'utf8').split('\0').includes(arg));
    } catch {
      return false;
    }
  };
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number).filter(is);
  } catch {
    return [];
  }
}

/** Waits for a child `comm` of `pid` (with `arg` in its argv) and stops it (SIGSTOP): it now takes as long as the test likes. */
export async function freezeChild(pid: number, comm: string, timeoutMs: number, arg?: string): Promise<number> {
  const giveUp = Date.now() + timeoutMs;
  while (Date.now() < giveUp) {
    const [c] = childrenNamed(pid, comm, arg);
    if (c) { process.kill(c, 'SIGSTOP'); return c; }
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`no ${comm}${arg ? ` ${arg}` : ''} child of ${pid} within ${timeoutMs} ms`);
}

export interface VmFixture {
  dir: string;
  volumesDir: string;
  devicesDir: string;
  runtimeDir: string;
  vmiPath: string;
  image: string;
  args: (...extra: string[]) => string[];
}

/** A temp dir with a filesystem volume `volume` holding the test guest's disk, and a VMI using it. */
export function vmFixture(opts: { mode?: GuestMode; volume?: string; name?: string; grace?: number; withDisk?: boolean; efi?: boolean } = {}): VmFixture {
  const volume = opts.volume ?? 'rootdisk';
  const dir = mkdtempSync(join(tmpdir(), 'vml-'));
  chmodSync(dir, 0o755); // QEMU's user (107) must reach the volumes below it
  removeAtExit(dir);
  const volumesDir = join(dir, 'vols');
  const devicesDir = join(dir, 'dev');
  mkdirSync(join(volumesDir, volume), { recursive: true });
  mkdirSync(devicesDir);
  const image = join(volumesDir, volume, 'disk.img');
  if (opts.withDisk !== false) buildTestDisk(image, opts.mode ?? 'wait', 32, { efi: opts.efi ?? false });
  chownTree(volumesDir, 107, 107);
  const vmiPath = join(dir, 'vmi.yaml');
  writeFileSync(vmiPath, vmiYaml(opts.name ?? 'testvm', [volume], opts.grace ?? 30));
  const runtimeDir = join(dir, 'rt');
  return {
    dir, volumesDir, devicesDir, runtimeDir, vmiPath, image,
    args: (...extra) => ['run', '--vmi', vmiPath, '--volumes-dir', volumesDir, '--devices-dir', devicesDir, '--runtime-dir', runtimeDir,
      '--cache-dir', sharedCacheDir, '--accel', 'tcg', ...extra],
  };
}

/** Fixture dirs (a 32 MiB guest disk each) go when the test file's process ends; VM_LAUNCHER_KEEP_FIXTURES=1 keeps them to look at. */
const fixtureDirs = new Set<string>();
function removeAtExit(dir: string): void {
  if (process.env.VM_LAUNCHER_KEEP_FIXTURES === '1') return;
  if (fixtureDirs.size === 0) {
    process.once('exit', () => {
      for (const d of fixtureDirs) {
        try { rmSync(d, { recursive: true, force: true }); } catch { /* a file of another user: left for the OS's tmp cleaning */ }
      }
    });
  }
  fixtureDirs.add(dir);
}

export function vmiYaml(name: string, volumes: string[], grace = 30): string {
  return [
    'apiVersion: kubevirt.io/v1',
    'kind: VirtualMachineInstance',
    `metadata: { name: ${name}, namespace: tests }`,
    'spec:',
    `  terminationGracePeriodSeconds: ${grace}`,
    '  domain:',
    '    memory: { guest: 128Mi }',
    '    devices:',
    '      disks:',
    ...volumes.map((v, i) => `        - { name: ${v}, disk: { bus: virtio }${i === 0 ? ', bootOrder: 1' : ''} }`),
    '  volumes:',
    ...volumes.map((v) => `    - { name: ${v}, persistentVolumeClaim: { claimName: ${v}-claim } }`),
    '',
  ].join('\n');
}

/** `vm-launcher probe ready|live` against a runtime dir: its exit code (0 ok, 1 not). */
export function probe(kind: 'ready' | 'live', runtimeDir: string): number {
  try {
    execFileSync(cliPath, ['probe', kind, '--runtime-dir', runtimeDir], { stdio: 'ignore' });
    return 0;
  } catch (e) {
    return (e as { status: number }).status;
  }
}
