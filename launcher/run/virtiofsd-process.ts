// One virtiofsd per shared volume, started by the launcher (libvirt only connects QEMU to its socket): as the VM
// user, never root, with `--sandbox none` (the pod is the sandbox, as in KubeVirt: an unprivileged virtiofsd cannot
// mount /proc in a new namespace, and runs as the same user as QEMU, which already holds the volume), in its own
// process group, killed with the launcher even by SIGKILL (setpriv's parent-death signal). Its stderr reaches the
// log line by line with the volume's name. Readiness is the socket appearing: connecting to it would be taken as
// QEMU's one connection.
import { lstat } from 'node:fs/promises';
import { execa, type Options, type ResultPromise } from 'execa';
import { fail } from '../../domain/problem.js';
import { signalGroup } from '../../common/process-group.js';
import { followLines } from '../../common/stderr-lines.js';
import { withBindings, withComponent, type Logger } from '../common/log.js';
import type { RunAs } from '../common/run-as.js';
import { dieWithLauncher } from '../stack/daemon.js';
import type { ShareInspection, Virtiofsd } from '../inspect/inspect-shares.js';

const START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 2000;

/** The command line: KubeVirt's (--sandbox none, --cache auto), read-only when the claim is. */
export function virtiofsdArgs(s: Pick<ShareInspection, 'socketPath' | 'share'> & { dir: string }): string[] {
  return [
    '--socket-path', s.socketPath, '--shared-dir', s.dir, '--sandbox', 'none', '--cache', 'auto',
    ...(s.share.readOnly ? ['--readonly'] : []),
  ];
}

/** virtiofsd's `[time LEVEL target] message` as a log level and the message. */
function parseLine(line: string): { level: 'error' | 'warn' | 'info' | 'debug'; msg: string } {
  const m = /^\[\S+\s+(ERROR|WARN|INFO|DEBUG|TRACE)\s+\S+\]\s?(.*)$/.exec(line);
  if (!m) return { level: 'info', msg: line };
  const level = m[1] === 'ERROR' ? 'error' : m[1] === 'WARN' ? 'warn' : m[1] === 'INFO' ? 'info' : 'debug';
  return { level, msg: m[2] ?? '' };
}

export interface VirtiofsdExit { volume: string; code: number | null; signal: string | null; expected: boolean; lastLines: string[] }

export class VirtiofsdProcess {
  readonly volume: string;
  readonly exited: Promise<VirtiofsdExit>;
  private readonly process: ResultPromise<Options>;
  private stopping = false;
  private readonly lastLines: string[] = [];

  constructor(private readonly share: ShareInspection & { dir: string }, binary: Virtiofsd, runAs: RunAs | undefined, logger: Logger) {
    this.volume = share.share.volumeName;
    const log = withBindings(withComponent(logger, 'virtiofsd'), { volume: this.volume });
    const [file, args] = dieWithLauncher(binary.path, virtiofsdArgs(share));
    this.process = execa(file, args, {
      env: {}, extendEnv: false, cwd: '/', detached: true, buffer: false, reject: false,
      stdin: 'ignore', stdout: 'pipe', stderr: 'pipe',
      ...(runAs && { uid: runAs.uid, gid: runAs.gid }),
    });
    for (const stream of [this.process.stdout, this.process.stderr]) {
      if (!stream) continue;
      void followLines(stream, (line) => {
        this.lastLines.push(line);
        if (this.lastLines.length > 10) this.lastLines.shift();
        const { level, msg } = parseLine(line);
        log[level]({ reason: 'VirtiofsdOutput' }, msg);
      }, { maxLines: 10_000 });
    }
    this.exited = this.process.then((r) => ({
      volume: this.volume, code: r.exitCode ?? null, signal: r.signal ?? null, expected: this.stopping, lastLines: [...this.lastLines],
    }));
  }

  get pid(): number | undefined { return this.process.pid; }

  /** Resolves once the socket exists; fails (VirtiofsdFailed) when virtiofsd exits first or never listens. */
  async ready(signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    let exit: VirtiofsdExit | undefined;
    void this.exited.then((e) => { exit = e; });
    while (!exit && !signal.aborted && Date.now() < deadline) {
      if ((await lstat(this.share.socketPath).catch(() => null))?.isSocket()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    if (signal.aborted) fail('Aborted', `start-up aborted while virtiofsd for volume ${this.volume} started`);
    // Its last words arrive with its exit: wait for them (bounded) before reporting.
    const e = exit ?? await Promise.race([this.exited, new Promise<undefined>((r) => setTimeout(r, 200))]);
    const said = (e?.lastLines ?? this.lastLines).join(' | ') || 'nothing';
    if (e) fail('VirtiofsdFailed', `virtiofsd for volume ${this.volume} exited while starting (code ${e.code}, signal ${e.signal}); it said: ${said}`);
    fail('VirtiofsdFailed', `virtiofsd for volume ${this.volume} did not create its socket ${this.share.socketPath} within ${START_TIMEOUT_MS} ms; it said: ${said}`);
  }

  /** SIGTERM to its group, SIGKILL after a grace; true when it had to be killed. Never throws. */
  async stop(): Promise<boolean> {
    this.stopping = true;
    this.signal('SIGTERM');
    let killed = false;
    const timer = setTimeout(() => { killed = true; this.signal('SIGKILL'); }, STOP_GRACE_MS);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
      this.signal('SIGKILL'); // anything it left in its group
    }
    return killed;
  }

  private signal(sig: NodeJS.Signals): void {
    try { signalGroup(this.pid, sig); } catch { /* gone */ }
  }
}

/** Starts one virtiofsd per share (each recorded through `onSpawn`), pushed to `started` at once so cleanup sees them. */
export async function startVirtiofsd(
  shares: readonly ShareInspection[], binary: Virtiofsd | undefined, runAs: RunAs | undefined, logger: Logger,
  signal: AbortSignal, started: VirtiofsdProcess[], onSpawn: (volume: string, pid: number | undefined) => void,
): Promise<void> {
  if (shares.length === 0) return;
  const found = binary ?? fail('InternalError', 'shares reached run without a virtiofsd (a bug: preflight refuses that)');
  await Promise.all(shares.map(async (s) => {
    const dir = s.dir ?? fail('InternalError', `share ${s.share.name} reached run without its directory (a bug)`);
    const p = new VirtiofsdProcess({ ...s, dir }, found, runAs, logger);
    started.push(p);
    onSpawn(p.volume, p.pid);
    await p.ready(signal);
    logger.info({ reason: 'VirtiofsdStarted', volume: p.volume, pid: p.pid, socket: s.socketPath, dir: s.dir, readOnly: s.share.readOnly },
      `virtiofsd shares ${s.dir} with the guest as tag ${s.share.name}${s.share.readOnly ? ' (read-only)' : ''}`);
  }));
}

/** At exit, after QEMU: stops every virtiofsd; the volumes of those that had to be killed. */
export async function stopVirtiofsd(started: readonly VirtiofsdProcess[]): Promise<string[]> {
  const killed = await Promise.all(started.map(async (p) => ((await p.stop()) ? [p.volume] : [])));
  return killed.flat();
}
