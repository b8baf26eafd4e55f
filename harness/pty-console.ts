// `vm-launcher console` under a real pseudo-terminal (harness/pty-run.py, python3's pty module), for tests that
// need what a person's terminal gives: raw mode, SIGHUP when the terminal goes, a process to kill.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './guest-disk.js';
import { cliPath } from './launcher-process.js';

export class PtyConsole {
  readonly relay: ChildProcess;
  /** What the terminal showed: the console's stdout and stderr, as a user sees them. */
  screen = '';
  readonly childPid: Promise<number>;
  readonly exit: Promise<number | null>;
  private waiters: Array<() => void> = [];

  constructor(runtimeDir: string, args: string[] = []) {
    this.relay = spawn('python3', [join(repoRoot, 'harness', 'pty-run.py'), cliPath, 'console', '--runtime-dir', runtimeDir, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    this.childPid = new Promise((resolve, reject) => {
      this.relay.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /PTY-CHILD-PID=(\d+)/.exec(err);
        if (m) resolve(Number(m[1]));
      });
      this.relay.on('exit', () => reject(new Error(`pty relay ended before its child started: ${err}`)));
    });
    this.childPid.catch(() => undefined);
    this.relay.stdout!.on('data', (d: Buffer) => { this.screen += d.toString('utf8'); this.waiters.forEach((w) => w()); });
    this.exit = new Promise((resolve) => this.relay.on('exit', (code) => { this.waiters.forEach((w) => w()); resolve(code); }));
  }

  type(text: string): void { this.relay.stdin!.write(text); }

  /** Resolves when the screen matches; rejects after `ms` with what the screen showed. */
  waitFor(re: RegExp, ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!re.test(this.screen)) return false;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
        return true;
      };
      const timer = setTimeout(() => { this.waiters = this.waiters.filter((w) => w !== check); reject(new Error(`no ${re} on the console's terminal within ${ms} ms; it showed: ${JSON.stringify(this.screen.slice(-600))}`)); }, ms);
      if (!check()) this.waiters.push(check);
    });
  }

  /** The console process itself, by signal (SIGKILL: nothing of it runs any more). */
  async killConsole(sig: NodeJS.Signals): Promise<void> { process.kill(await this.childPid, sig); }

  /** The terminal goes away (window closed, `kubectl exec` dropped): the console gets SIGHUP. */
  closeTerminal(): void { this.relay.kill('SIGKILL'); }

  dispose(): void {
    void this.childPid.then((p) => { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } });
    this.relay.kill('SIGKILL');
  }
}
