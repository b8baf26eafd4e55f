// One daemon of the private stack: its own process group (a Ctrl-C or a signal to the
// launcher's group never reaches it), a clean environment, the VM user's uid, stderr kept
// in a log file and, line by line, in the launcher's debug log.
import { existsSync, type WriteStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { signalGroup } from '../../common/process-group.js';
import { followLines } from '../../common/stderr-lines.js';
import { execa, type Options, type ResultPromise } from 'execa';
import { withComponent, type Logger } from '../common/log.js';
import type { RunAs } from '../common/run-as.js';

export interface DaemonSpec {
  name: string;
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  runAs?: RunAs;
  /** The daemon's log file, opened by the launcher before the runtime dir was handed over (never by name later). */
  log: FileHandle;
}

/**
 * util-linux's setpriv sets the parent-death signal (PR_SET_PDEATHSIG, which node cannot reach) and then runs the
 * daemon: when the launcher dies, even by SIGKILL, the kernel kills its daemons. QEMU is not a child of the
 * launcher (libvirtd daemonizes it): a killed launcher's QEMU is stopped by the next launcher (stack/leftovers.ts).
 */
const SETPRIV = '/usr/bin/setpriv';
export const dieWithLauncher = (file: string, args: string[]): [string, string[]] =>
  (existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'KILL', '--', file, ...args]] : [file, args]);

export interface DaemonExit { name: string; code: number | null; signal: string | null; expected: boolean }

export class Daemon {
  readonly name: string;
  readonly process: ResultPromise<Options>;
  readonly exited: Promise<DaemonExit>;
  private stopping = false;
  private log: WriteStream;
  /** The last lines the daemon printed: logged when the launcher fails, since the runtime dir goes away. */
  readonly recent: string[] = [];

  constructor(spec: DaemonSpec, logger: Logger) {
    this.name = spec.name;
    this.log = spec.log.createWriteStream({ autoClose: true });
    // A full or broken runtime filesystem must not crash the launcher: the log file is a copy; the lines still
    // reach the launcher's log and `recent`.
    this.log.on('error', (e: NodeJS.ErrnoException) => {
      logger.warn({ reason: 'DaemonLogUnwritable', file: `logs/${spec.name}.log`, code: e.code }, `cannot write ${spec.name}'s log file: ${e.message}`);
    });
    // No timeout: a daemon lives as long as the VM. It is stopped by stop(), always.
    const [file, args] = dieWithLauncher(spec.file, spec.args);
    this.process = execa(file, args, {
      env: spec.env,
      extendEnv: false,
      cwd: spec.cwd,
      detached: true,
      cleanup: true,
      buffer: false,
      reject: false,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      ...(spec.runAs ? { uid: spec.runAs.uid, gid: spec.runAs.gid } : {}),
    });
    const dlog = withComponent(logger, spec.name);
    for (const stream of [this.process.stdout, this.process.stderr]) {
      if (!stream) continue;
      void followLines(stream, (line) => {
        if (this.log.writable && !this.log.errored) this.log.write(line + '\n');
        this.recent.push(line);
        if (this.recent.length > 30) this.recent.shift();
        dlog.debug(line);
      }, { maxLines: Infinity });
    }
    this.exited = this.process.then((r) => {
      this.log.end();
      return { name: this.name, code: r.exitCode ?? null, signal: r.signal ?? null, expected: this.stopping };
    });
  }

  get pid(): number | undefined { return this.process.pid; }

  get stdout() { return this.process.stdout; }

  /** SIGTERM to the daemon's whole group, SIGKILL after `graceMs`. Resolves once it is gone. */
  async stop(graceMs = 5000): Promise<DaemonExit> {
    this.stopping = true;
    this.signalGroup('SIGTERM');
    const timer = setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
      this.signalGroup('SIGKILL'); // anything the daemon left behind in its group
    }
  }

  /** SIGKILL to the daemon's whole group: for a stack with nothing left to do. Resolves once it is gone. */
  async kill(): Promise<DaemonExit> {
    this.stopping = true;
    this.signalGroup('SIGKILL');
    return this.exited;
  }

  private signalGroup(sig: NodeJS.Signals): void {
    try { signalGroup(this.pid, sig); } catch { /* not ours to signal any more */ }
  }
}
