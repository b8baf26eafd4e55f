// From "the guest runs" to "the guest is off": follows libvirt's lifecycle events, turns a
// shutdown request into ACPI power-button presses (repeated: guests ignore them while
// booting) and, at the grace deadline, into a destroy. Decides the launcher's exit code.
// A guest that QEMU paused on an I/O error (error_policy='stop': a full volume) is reported and resumed once space
// is back (io-pause.ts); it gets no power-button presses while paused, since it cannot act on them.
import type { Logger } from '../common/log.js';
import type { LibvirtClient, LibvirtDomain } from '../stack/libvirt-client.js';
import { DomainEventType, DomainState, StoppedDetail, SuspendedDetail, eventName, stoppedDetailName } from '../stack/libvirt-events.js';
import { ExitCode } from '../../domain/reasons.js';
import type { Lifecycle } from './lifecycle.js';
import type { ShutdownSignals } from './signals.js';
import type { DaemonExit } from '../stack/daemon.js';
import { longTimeout, type StopReason } from '../../hooks/index.js';
import { ensureQemuGone, qemuExited } from './qemu-process.js';
import { IoPause, type SpaceCheck } from './io-pause.js';

export interface Outcome {
  exitCode: ExitCode;
  reason: string;
  message: string;
  stop: StopReason;
  /** The guest is known to be off (else the caller must make sure QEMU is gone). */
  guestOff: boolean;
}

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
  /** QEMU's pid (verified): its exit ends the wait after a power-off, and it is killed if Destroy does not answer. */
  qemuPid?: number;
  /** How long Destroy may take before QEMU is killed by pid (libvirtd may hang). */
  destroyWaitMs?: number;
  /** Whether the filesystem volumes have room again (for resuming a guest paused on a full volume). */
  spaceCheck?: SpaceCheck;
  /** The guest agent: a guest still running a third of the grace period after the ACPI request is asked through it. */
  agent?: { readonly connected: boolean };
}

/** When the agent is asked after the ACPI request: a third of the grace period, at most 15 s. */
export const agentShutdownDelayMs = (graceSeconds: number): number => Math.min(graceSeconds * 1000 / 3, 15_000);

/** virDomainShutoffReason, for the state poll. */
const ShutoffReason = { Shutdown: 1, Destroyed: 2, Crashed: 3, Failed: 6 } as const;
/** virDomainPausedReason: paused by QEMU on an I/O error. */
const PAUSED_IOERROR = 5;

export function supervise(o: SuperviseOptions): Promise<Outcome> {
  const { domain, signals, lifecycle, logger } = o;
  let shutdownStartedAt: number | undefined;
  let destroyedBy: string | undefined;
  let agentAsked = false;
  const timers: NodeJS.Timeout[] = [];
  const longTimers: Array<{ clear(): void }> = [];

  return new Promise<Outcome>((resolveOutcome) => {
    let done = false;
    const finish = (outcome: Outcome) => {
      if (done) return;
      done = true;
      for (const t of timers) { clearTimeout(t); clearInterval(t); }
      for (const t of longTimers) t.clear();
      ioPause.stop();
      signals.off('shutdown', startShutdown);
      signals.off('force', forceNow);
      resolveOutcome(outcome);
    };

    const onStopped = (how: 'shutdown' | 'destroyed' | 'crashed' | 'failed', detail: string) => {
      if (how === 'shutdown') {
        const requested = shutdownStartedAt !== undefined;
        const secs = requested ? ((Date.now() - shutdownStartedAt!) / 1000).toFixed(1) : undefined;
        finish({
          exitCode: ExitCode.Clean, stop: 'clean', guestOff: true,
          reason: !requested ? 'GuestPoweredOff' : agentAsked ? 'GuestShutdownByAgent' : 'GuestShutdown',
          message: !requested ? 'the guest powered itself off'
            : `the guest shut down cleanly ${secs} s after the request${agentAsked ? ', asked through the guest agent after ignoring the ACPI power button' : ''}`,
        });
      } else if (how === 'destroyed' && destroyedBy) {
        finish({ exitCode: ExitCode.Forced, stop: 'forced', guestOff: true, reason: destroyedBy, message: `the guest was forced off (${destroyedBy})` });
      } else {
        finish({
          exitCode: ExitCode.Failed, stop: how === 'crashed' ? 'crashed' : 'failed', guestOff: true,
          reason: how === 'destroyed' ? 'GuestDestroyedExternally' : 'QemuExited',
          message: `QEMU stopped unexpectedly (libvirt: stopped, ${detail}): see the guest console and ${'libvirtd'} log above`,
        });
      }
    };

    const ioPause = new IoPause({
      domain, logger, lifecycle, ...(o.spaceCheck && { spaceCheck: o.spaceCheck }),
      shuttingDown: () => shutdownStartedAt !== undefined,
      // Resumed during a shutdown: now it can act on the power button.
      onResumed: () => { if (shutdownStartedAt !== undefined && !destroyedBy) pressPowerButton(); },
    });

    o.client.onDomainEvent((e) => {
      if (e.path !== domain.path) return;
      logger.debug({ event: eventName(e.event), detail: e.detail }, 'libvirt domain event');
      if (e.event === DomainEventType.Suspended && e.detail === SuspendedDetail.IOError) ioPause.paused('event');
      if (e.event === DomainEventType.Resumed) ioPause.resumed();
      if (e.event === DomainEventType.Shutdown && o.qemuPid !== undefined) watchQemuExit(o.qemuPid);
      if (e.event !== DomainEventType.Stopped) return;
      const d = e.detail;
      const name = stoppedDetailName(d);
      if (d === StoppedDetail.Shutdown) onStopped('shutdown', name);
      else if (d === StoppedDetail.Destroyed) onStopped('destroyed', name);
      else if (d === StoppedDetail.Crashed) onStopped('crashed', name);
      else onStopped('failed', name);
    });

    void o.daemonDied.then((e) => finish({
      exitCode: ExitCode.Failed, stop: 'failed', guestOff: false, reason: 'DaemonExited',
      message: `${e.name} of the private libvirt stack exited (code ${e.code}, signal ${e.signal}); the guest is stopped`,
    }));

    const poll = setInterval(() => {
      domain.state().then(({ state, reason }) => {
        if (state === DomainState.Paused && reason === PAUSED_IOERROR) ioPause.paused('state poll');
        if (state !== DomainState.Shutoff && state !== DomainState.Crashed) return;
        if (reason === ShutoffReason.Shutdown) onStopped('shutdown', 'state poll');
        else if (reason === ShutoffReason.Destroyed) onStopped('destroyed', 'state poll');
        else if (reason === ShutoffReason.Crashed || state === DomainState.Crashed) onStopped('crashed', 'state poll');
        else onStopped('failed', `state poll, reason ${reason}`);
      }, () => { /* the daemon watch reports a dead stack */ });
    }, o.statePollMs ?? 5000);
    timers.push(poll);

    // The guest powered off (QEMU reported it), or QEMU was killed; its exit is the end.
    let watching = false;
    const watchQemuExit = (pid: number) => {
      if (watching) return;
      watching = true;
      const watch = setInterval(() => {
        if (qemuExited(pid)) onStopped(destroyedBy ? 'destroyed' : 'shutdown', 'QEMU exited after the guest powered off');
      }, 20);
      timers.push(watch);
    };

    /** Destroy through libvirt; if libvirt does not answer in time (a hung libvirtd), QEMU is killed by its pid. */
    const destroy = (why: string, message: string) => {
      if (destroyedBy) return;
      destroyedBy = why;
      logger.warn({ reason: why }, message);
      const killByPid = (cause: string) => {
        if (done || o.qemuPid === undefined) return;
        logger.warn({ reason: 'DestroyTimedOut', qemuPid: o.qemuPid }, `${cause}: killing QEMU (pid ${o.qemuPid}) directly`);
        watchQemuExit(o.qemuPid);
        void ensureQemuGone(o.qemuPid, 2000);
      };
      timers.push(setTimeout(() => killByPid(`libvirt did not destroy the guest within ${(o.destroyWaitMs ?? 3000) / 1000} s`), o.destroyWaitMs ?? 3000));
      domain.destroy().catch((e: Error) => {
        logger.error({ reason: 'DestroyFailed' }, `destroy failed: ${e.message}`);
        killByPid('libvirt refused to destroy the guest');
      });
    };

    const askAgent = () => {
      if (agentAsked || done || destroyedBy || !o.agent?.connected || ioPause.isPaused) return;
      agentAsked = true;
      domain.shutdownAgent().then(
        () => logger.warn({ reason: 'AgentShutdownSent' }, 'the guest ignored the ACPI power button: asked the guest agent to power it off (guest-shutdown)'),
        (e: Error) => { agentAsked = false; logger.warn({ reason: 'AgentShutdownFailed' }, `shutdown through the guest agent failed (retried): ${e.message}`); },
      );
    };

    const pressPowerButton = () => {
      if (ioPause.isPaused) return; // a paused guest cannot act on it; it is pressed once the guest resumes
      if (Date.now() - shutdownStartedAt! >= agentShutdownDelayMs(o.gracePeriodSeconds)) askAgent();
      domain.shutdownAcpi().then(
        () => logger.info({ reason: 'AcpiShutdownSent' }, 'ACPI power button pressed'),
        (e: Error) => { if (!ioPause.isPaused) logger.warn({ reason: 'AcpiShutdownFailed' }, `ACPI shutdown request failed: ${e.message}`); },
      );
    };

    function startShutdown(sig: NodeJS.Signals): void {
      if (shutdownStartedAt !== undefined || done) return;
      shutdownStartedAt = Date.now();
      const grace = o.gracePeriodSeconds;
      void lifecycle.to('ShuttingDown', 'ShutdownRequested', `${sig}: shutting the guest down through ACPI (grace period ${grace} s)`);
      if (grace <= 0) {
        destroy('GracePeriodZero', 'grace period is 0: destroying the guest at once');
        return;
      }
      if (ioPause.isPaused) {
        logger.warn({ reason: 'ShutdownWhilePaused' }, `the guest is paused on an I/O error and cannot act on the power button: it is resumed and asked to shut down if space comes back within the grace period (${grace} s), else forced off then`);
      }
      pressPowerButton();
      timers.push(setInterval(pressPowerButton, o.acpiRetryMs ?? 3000));
      // Any grace period works: a Node timer alone would fire at once beyond 24.8 days.
      longTimers.push(longTimeout(() => destroy('GracePeriodExpired', `the guest did not shut down within ${grace} s: destroying it`), grace * 1000));
    }

    function forceNow(): void {
      if (shutdownStartedAt === undefined) shutdownStartedAt = Date.now();
      destroy('ForcedBySignal', 'forcing the guest off at once (second SIGINT)');
    }

    signals.on('shutdown', startShutdown);
    signals.on('force', forceNow);
    if (signals.requested) startShutdown(signals.requested);
    if (signals.forced) forceNow();
  });
}
