// One daemon of the private stack: its own process group (a Ctrl-C or a signal to the
// launcher's group never reaches it), a clean environment, the VM user's uid, stderr kept
// in a log file and, line by line, in the launcher's debug log.
import { createWriteStream, type WriteStream } from 'node:fs';
import { followLines, signalGroup } from '../../hooks/index.js';
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
  logFile: string;
}

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
    this.log = createWriteStream(spec.logFile, { flags: 'a' });
    // No timeout: a daemon lives as long as the VM. It is stopped by stop(), always.
    this.process = execa(spec.file, spec.args, {
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
        this.log.write(line + '\n');
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

  private signalGroup(sig: NodeJS.Signals): void {
    try { signalGroup(this.pid, sig); } catch { /* not ours to signal any more */ }
  }
}
