// From "the guest runs" to "the guest is off", the imperative half: timers, libvirt's events and state poll, the
// power button, destroy, QEMU's exit. What each event means and how the run ends is decided in one table,
// supervision.ts (pure, unit-tested); this file feeds it and carries out what it says.
// A guest that QEMU paused on an I/O error (error_policy='stop': a full volume) is reported and resumed once space
// is back (io-pause.ts); it gets no power-button presses while paused, since it cannot act on them.
import type { Logger } from '../common/log.js';
import type { LibvirtClient, LibvirtDomain } from '../stack/libvirt-client.js';
import { DomainEventType, DomainState, SuspendedDetail, eventName } from '../stack/libvirt-events.js';
import type { Lifecycle } from './lifecycle.js';
import type { ShutdownSignals } from './signals.js';
import type { DaemonExit } from '../stack/daemon.js';
import { longTimeout } from '../../common/long-timer.js';
import { qemuExited, signalQemu, type QemuRef } from './qemu-process.js';
import { IoPause, type SpaceCheck } from './io-pause.js';
import { fromLifecycleEvent, fromPolledState, initialSupervision, step, type Outcome, type SupervisionAction, type SupervisionEvent } from './supervision.js';

export type { Outcome } from './supervision.js';

export interface SuperviseOptions {
  client: LibvirtClient;
  domain: LibvirtDomain;
  signals: ShutdownSignals;
  lifecycle: Lifecycle;
  logger: Logger;
  gracePeriodSeconds: number;
  daemonDied: Promise<DaemonExit>;
  /** ACPI requests are repeated this often until the guest reacts. */
  acpiRetryMs?: number;
  /** Safety net for a lost event: the domain's state is read this often. */
  statePollMs?: number;
  /**
   * QEMU's pid (verified) and the VM user's uid: its exit ends the wait after a power-off, and the forced power-off
   * signals it directly (re-verified as that user's QEMU before each signal).
   */
  qemu?: QemuRef;
  /** How long QEMU may take to exit after the forced power-off's SIGTERM before it gets SIGKILL. */
  destroyWaitMs?: number;
  /** Whether the filesystem volumes have room again (for resuming a guest paused on a full volume). */
  spaceCheck?: SpaceCheck;
  /** The guest agent: a guest still running a third of the grace period after the ACPI request is asked through it. */
  agent?: { readonly connected: boolean };
}

/** virDomainPausedReason: paused by QEMU on an I/O error. */
const PAUSED_IOERROR = 5;

export function supervise(o: SuperviseOptions): Promise<Outcome> {
  const { domain, signals, lifecycle, logger } = o;
  let state = initialSupervision();
  const timers: NodeJS.Timeout[] = [];
  const longTimers: Array<{ clear(): void }> = [];

  return new Promise<Outcome>((resolveOutcome) => {
    const handle = (event: SupervisionEvent) => {
      const next = step(state, event);
      state = next.state;
      for (const action of next.actions) perform(action);
    };

    const perform = (a: SupervisionAction) => {
      switch (a.kind) {
        case 'startAcpiShutdown': return startAcpi(a.graceSeconds);
        case 'pressPowerButton': return pressPowerButton();
        case 'askAgent': return askAgent();
        case 'destroy': return destroy(a.reason, a.message);
        case 'watchQemuExit': return watchQemuExit();
        case 'finish': return finish(a.outcome);
      }
    };

    const finish = (outcome: Outcome) => {
      for (const t of timers) { clearTimeout(t); clearInterval(t); }
      for (const t of longTimers) t.clear();
      ioPause.stop();
      signals.off('shutdown', onShutdownSignal);
      signals.off('force', onForceSignal);
      resolveOutcome(outcome);
    };

    const ioPause = new IoPause({
      domain, logger, lifecycle, ...(o.spaceCheck && { spaceCheck: o.spaceCheck }),
      shuttingDown: () => state.shutdownStartedAt !== undefined,
      // Resumed during a shutdown: now it can act on the power button.
      onResumed: () => { if (state.phase === 'shuttingDown') pressPowerButton(); },
    });

    o.client.onDomainEvent((e) => {
      if (e.path !== domain.path) return;
      logger.debug({ event: eventName(e.event), detail: e.detail }, 'libvirt domain event');
      if (e.event === DomainEventType.Suspended && e.detail === SuspendedDetail.IOError) ioPause.paused('event');
      if (e.event === DomainEventType.Resumed) ioPause.resumed();
      const event = fromLifecycleEvent(e.event, e.detail, Date.now());
      if (event) handle(event);
    });

    void o.daemonDied.then((e) => handle({ kind: 'daemonDied', name: e.name, code: e.code, signal: e.signal }));

    // Safety net for a lost event.
    timers.push(setInterval(() => {
      domain.state().then(({ state: domainState, reason }) => {
        if (domainState === DomainState.Paused && reason === PAUSED_IOERROR) ioPause.paused('state poll');
        const event = fromPolledState(domainState, reason, Date.now());
        if (event) handle(event);
      }, () => { /* the daemon watch reports a dead stack */ });
    }, o.statePollMs ?? 5000));

    // QEMU reported it is quitting (or was signalled by pid): its exit, even as a zombie, is the end.
    let watching = false;
    const watchQemuExit = () => {
      if (watching || !o.qemu) return;
      watching = true;
      const qemu = o.qemu;
      timers.push(setInterval(() => { if (qemuExited(qemu)) handle({ kind: 'qemuExited', at: Date.now() }); }, 20));
    };

    /**
     * The forced power-off. libvirt's Destroy sends QEMU SIGTERM, then reports the domain stopped only once QEMU's
     * zombie is reaped, polling every 200 ms (seconds under a slow init). The launcher sends the same SIGTERM itself
     * (QEMU flushes its disks and quits in ~10 ms), watches QEMU's exit, and asks libvirt to destroy in parallel
     * for its own books. QEMU still there after `destroyWaitMs` (stuck in I/O, a hung libvirtd) gets SIGKILL.
     */
    const destroy = (reason: string, message: string) => {
      logger.warn({ reason }, message);
      const qemu = o.qemu;
      if (qemu) signalQemu(qemu, 'SIGTERM');
      const waitMs = o.destroyWaitMs ?? 3000;
      timers.push(setTimeout(() => {
        if (state.phase === 'ended' || !qemu) return;
        logger.warn({ reason: 'DestroyTimedOut', qemuPid: qemu.pid }, `QEMU (pid ${qemu.pid}) did not exit within ${waitMs / 1000} s of SIGTERM and libvirt's Destroy: killing it (SIGKILL)`);
        signalQemu(qemu, 'SIGKILL');
      }, waitMs));
      domain.destroy().catch((e: Error) => {
        // Once QEMU has exited the launcher stops the stack: a Destroy still in flight then fails, as expected.
        if (state.phase !== 'ended') logger.error({ reason: 'DestroyFailed' }, `destroy failed: ${e.message}`);
      });
    };

    // The agent's request goes out once; a failure is retried at the next tick while the agent is connected.
    let asking = false;
    const askAgent = () => {
      if (asking || ioPause.isPaused) return;
      asking = true;
      domain.shutdownAgent().then(
        () => {
          logger.warn({ reason: 'AgentShutdownSent' }, 'the guest ignored the ACPI power button: asked the guest agent to power it off (guest-shutdown)');
          handle({ kind: 'agentShutdownSent' });
        },
        (e: Error) => { asking = false; logger.warn({ reason: 'AgentShutdownFailed' }, `shutdown through the guest agent failed (retried): ${e.message}`); },
      );
    };

    const pressPowerButton = () => {
      if (ioPause.isPaused) return; // a paused guest cannot act on it; it is pressed once the guest resumes
      domain.shutdownAcpi().then(
        () => logger.info({ reason: 'AcpiShutdownSent' }, 'ACPI power button pressed'),
        (e: Error) => { if (!ioPause.isPaused) logger.warn({ reason: 'AcpiShutdownFailed' }, `ACPI shutdown request failed: ${e.message}`); },
      );
    };

    const startAcpi = (grace: number) => {
      if (ioPause.isPaused) {
        logger.warn({ reason: 'ShutdownWhilePaused' }, `the guest is paused on an I/O error and cannot act on the power button: it is resumed and asked to shut down if space comes back within the grace period (${grace} s), else forced off then`);
      }
      pressPowerButton();
      timers.push(setInterval(() => handle({ kind: 'acpiRetry', at: Date.now(), agentConnected: o.agent?.connected ?? false }), o.acpiRetryMs ?? 3000));
      // Any grace period works: a Node timer alone would fire at once beyond 24.8 days.
      longTimers.push(longTimeout(() => handle({ kind: 'graceExpired', graceSeconds: grace }), grace * 1000));
    };

    function onShutdownSignal(sig: NodeJS.Signals): void {
      if (state.phase !== 'running') return;
      const grace = o.gracePeriodSeconds;
      void lifecycle.to('ShuttingDown', 'ShutdownRequested', `${sig}: shutting the guest down through ACPI (grace period ${grace} s)`);
      handle({ kind: 'shutdownRequested', signal: sig, at: Date.now(), graceSeconds: grace });
    }

    function onForceSignal(): void {
      handle({ kind: 'forceRequested', at: Date.now() });
    }

    signals.on('shutdown', onShutdownSignal);
    signals.on('force', onForceSignal);
    if (signals.requested) onShutdownSignal(signals.requested);
    if (signals.forced) onForceSignal();
  });
}
