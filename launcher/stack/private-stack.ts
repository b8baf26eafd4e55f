// The private libvirt stack of one launcher: dbus-daemon, libvirtd (session mode, as the VM
// user) and libvirt-dbus, all under the runtime dir. Started in dependency order, each one
// awaited until it really answers; stopped in reverse order.
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { existsSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { Logger } from '../common/log.js';
import type { RunAs } from '../common/run-as.js';
import { waitForBusName } from './libvirt-client.js';
import { Daemon, type DaemonExit } from './daemon.js';
import type { RuntimeLayout } from '../plan/runtime-layout.js';
import { stackEnv } from './stack-env.js';
import { readyOrFail, socketAccepts } from './wait.js';
import { fail, LauncherError, problem } from '../../domain/problem.js';

export interface StackOptions {
  layout: RuntimeLayout;
  runAs?: RunAs;
  logger: Logger;
  signal: AbortSignal;
  /** KubeVirt gives libvirt 10 s to come up. */
  startTimeoutMs?: number;
  /** Each daemon's log file (stack/runtime-dir.ts opened them; the config files are already written there). */
  logFiles: ReadonlyMap<string, FileHandle>;
  /** Told each daemon's pid as it starts (the owner marker records them). */
  onSpawn?: (name: string, pid: number | undefined) => void;
}

const firstExisting = (...paths: string[]): string => paths.find((p) => existsSync(p)) ?? paths[0]!;

export class PrivateStack {
  readonly daemons: Daemon[] = [];
  /** Resolves with the first daemon that exits when nobody asked it to. */
  readonly unexpectedExit: Promise<DaemonExit>;
  private reportExit!: (e: DaemonExit) => void;

  constructor(private readonly opts: StackOptions) {
    this.unexpectedExit = new Promise((resolve) => { this.reportExit = resolve; });
  }

  async start(): Promise<void> {
    const { layout: l, runAs, logger, signal } = this.opts;
    const timeout = this.opts.startTimeoutMs ?? 10_000;
    const env = stackEnv(l);
    const spawn = (name: string, file: string, args: string[]) => {
      const log = this.opts.logFiles.get(name) ?? fail('InternalError', `no log file for ${name}`);
      const d = new Daemon({ name, file, args, env, cwd: l.home, runAs, log }, logger);
      this.daemons.push(d);
      this.opts.onSpawn?.(name, d.pid);
      void d.exited.then((e) => { if (!e.expected) this.reportExit(e); });
      return d;
    };

    // dbus-daemon and libvirtd do not need each other to come up: start both at once.
    const bus = spawn('dbus-daemon', firstExisting('/usr/bin/dbus-daemon', '/bin/dbus-daemon'),
      [`--config-file=${l.busConfig}`, '--nofork', '--nopidfile', '--print-address=1']);
    const libvirtd = spawn('libvirtd', firstExisting('/usr/sbin/libvirtd', '/usr/bin/libvirtd'), ['--timeout', '0']);
    const busReady = (async () => {
      // --print-address prints once the bus listens.
      const lines = createInterface({ input: bus.stdout! });
      await once(lines, 'line');
      lines.close();
    })();
    await Promise.all([
      readyOrFail('dbus-daemon', busReady, bus.exited, signal, timeout),
      readyOrFail('libvirtd', socketAccepts(l.libvirtSocket, signal), libvirtd.exited, signal, timeout),
    ]);
    const dbusReadyCtl = new AbortController();
    const onAbort = () => dbusReadyCtl.abort(new LauncherError(problem('Aborted', 'start-up aborted')));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const named = waitForBusName(l.busAddress, 'org.libvirt', dbusReadyCtl.signal);
      const libvirtDbus = spawn('libvirt-dbus', firstExisting('/usr/sbin/libvirt-dbus', '/usr/bin/libvirt-dbus'), ['--session']);
      await readyOrFail('libvirt-dbus', named, libvirtDbus.exited, signal, timeout);
    } finally {
      signal.removeEventListener('abort', onAbort);
      dbusReadyCtl.abort();
    }
  }

  /**
   * Stops every daemon. Never throws. While QEMU may run, newest first with SIGTERM, so libvirtd can stop it.
   * Once QEMU has exited, the stack is killed at once, all daemons together: nothing a clean stop would do is kept
   * (the stack's state lives in the runtime dir, removed next; the capabilities cache was written at define), and
   * libvirtd's own SIGTERM path waits for its worker still polling QEMU's zombie until init reaps it (libvirt's
   * Destroy and shutdown both do: 1.8 s under this host's init, the 0.3 s SIGKILL grace every time).
   */
  async stop(guestOff: boolean): Promise<void> {
    if (guestOff) {
      await Promise.all(this.daemons.map((d) => d.kill()));
      return;
    }
    for (const d of [...this.daemons].reverse()) await d.stop(5000).catch(() => undefined);
  }
}
