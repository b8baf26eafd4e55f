// The run's supervision as one table, pure (no timers, no libvirt): from "the guest runs" to "the guest is off".
// supervise.ts feeds it events (a signal, the grace deadline, libvirt's lifecycle events and state poll, a daemon's
// death) and carries out the actions it returns (press the power button, destroy, watch QEMU's exit, finish).
// Which reason ends the run is decided here; its exit code comes from the reason catalogue alone (domain/reasons.ts).
import { exitCodeFor, type ExitCode, type Reason } from '../../domain/reasons.js';
import type { StopReason } from '../../hooks/index.js';
import { DomainEventType, DomainState, ShutdownDetail, StoppedDetail, stoppedDetailName } from '../stack/libvirt-events.js';

export interface Outcome {
  exitCode: ExitCode;
  reason: Reason;
  message: string;
  stop: StopReason;
  /** The guest is known to be off (else the caller must make sure QEMU is gone). */
  guestOff: boolean;
}

/** Why the launcher forces the guest off. */
export type ForceReason = Extract<Reason, 'GracePeriodZero' | 'GracePeriodExpired' | 'ForcedBySignal'>;
/** How libvirt says QEMU stopped. */
export type StopHow = 'shutdown' | 'destroyed' | 'crashed' | 'failed';
/** Who asked QEMU to quit (libvirt's Shutdown event detail). */
export type ShutdownBy = 'guest' | 'host' | 'unknown';

export interface SupervisionState {
  /** running: no shutdown asked; shuttingDown: ACPI pressed; forcing: destroy asked; ended: an outcome is decided. */
  phase: 'running' | 'shuttingDown' | 'forcing' | 'ended';
  shutdownStartedAt?: number;
  graceSeconds?: number;
  /** The guest agent took the shutdown request (the guest ignored the power button). */
  agentAsked?: boolean;
  forcedBy?: ForceReason;
  shutdownBy?: ShutdownBy;
}

export type SupervisionEvent =
  | { kind: 'shutdownRequested'; signal: string; at: number; graceSeconds: number }
  | { kind: 'forceRequested'; at: number }
  | { kind: 'graceExpired'; graceSeconds: number }
  /** The power button's retry tick during a shutdown; whether the guest agent is connected now. */
  | { kind: 'acpiRetry'; at: number; agentConnected: boolean }
  /** The guest agent accepted the shutdown request. */
  | { kind: 'agentShutdownSent' }
  | { kind: 'qemuShuttingDown'; by: ShutdownBy }
  | { kind: 'stopped'; how: StopHow; detail: string; at: number }
  /** QEMU's process is gone (or a zombie) after it reported quitting, or after a kill by pid. */
  | { kind: 'qemuExited'; at: number }
  | { kind: 'daemonDied'; name: string; code: number | null; signal: string | null };

export type SupervisionAction =
  /** Press the ACPI power button now and every few seconds, and arm the grace deadline. */
  | { kind: 'startAcpiShutdown'; graceSeconds: number }
  | { kind: 'pressPowerButton' }
  /** Ask the guest agent to power the guest off (guest-shutdown): it ignored the power button so far. */
  | { kind: 'askAgent' }
  /** Force the guest off: SIGTERM to QEMU by pid (what libvirt's Destroy does first) and libvirt's Destroy. */
  | { kind: 'destroy'; reason: ForceReason; message: string }
  /** QEMU reported it is quitting: its exit (even as a zombie) is the end. */
  | { kind: 'watchQemuExit' }
  | { kind: 'finish'; outcome: Outcome };

export const initialSupervision = (): SupervisionState => ({ phase: 'running' });

/**
 * When a guest that ignores the power button is asked through its agent: a third of the grace period after the ACPI
 * request, at most 15 s, so that the agent's clean shutdown still has most of the grace period.
 */
export const agentShutdownDelayMs = (graceSeconds: number): number => Math.min(graceSeconds * 1000 / 3, 15_000);

/** The terminal reasons and how the hooks' postStop sees them: one row each. */
const STOP_KIND: Record<Extract<Reason, 'GuestShutdown' | 'GuestShutdownByAgent' | 'GuestPoweredOff' | 'QemuTerminatedByHost' | 'GuestDestroyedExternally' | 'QemuExited' | 'DaemonExited' | ForceReason>, StopReason> = {
  GuestShutdown: 'clean',
  GuestShutdownByAgent: 'clean',
  GuestPoweredOff: 'clean',
  GracePeriodZero: 'forced',
  GracePeriodExpired: 'forced',
  ForcedBySignal: 'forced',
  QemuTerminatedByHost: 'failed',
  GuestDestroyedExternally: 'failed',
  QemuExited: 'failed',
  DaemonExited: 'failed',
};

const end = (reason: keyof typeof STOP_KIND, message: string, guestOff: boolean, stop = STOP_KIND[reason]): SupervisionAction =>
  ({ kind: 'finish', outcome: { exitCode: exitCodeFor(reason), reason, message, stop, guestOff } });

/** One step: the next state and what to do. Events after the end change nothing. */
export function step(s: SupervisionState, e: SupervisionEvent): { state: SupervisionState; actions: SupervisionAction[] } {
  if (s.phase === 'ended') return { state: s, actions: [] };
  const ended = (action: SupervisionAction) => ({ state: { ...s, phase: 'ended' as const }, actions: [action] });
  // The forced power-off signals QEMU by pid and asks libvirt to destroy: QEMU's exit is the end, not libvirt's
  // report of it (which waits until QEMU's zombie is reaped: seconds under a slow init).
  const force = (reason: ForceReason, message: string, at?: number) => ({
    state: { ...s, phase: 'forcing' as const, forcedBy: reason, shutdownStartedAt: s.shutdownStartedAt ?? at },
    actions: [{ kind: 'destroy', reason, message }, { kind: 'watchQemuExit' }] as SupervisionAction[],
  });
  switch (e.kind) {
    case 'shutdownRequested':
      if (s.phase !== 'running') return { state: s, actions: [] };
      if (e.graceSeconds <= 0) return force('GracePeriodZero', 'grace period is 0: destroying the guest at once', e.at);
      return { state: { ...s, phase: 'shuttingDown', shutdownStartedAt: e.at, graceSeconds: e.graceSeconds }, actions: [{ kind: 'startAcpiShutdown', graceSeconds: e.graceSeconds }] };
    case 'acpiRetry': {
      if (s.phase !== 'shuttingDown') return { state: s, actions: [] };
      const askAgent = e.agentConnected && !s.agentAsked && e.at - s.shutdownStartedAt! >= agentShutdownDelayMs(s.graceSeconds ?? 0);
      return { state: s, actions: [{ kind: 'pressPowerButton' }, ...(askAgent ? [{ kind: 'askAgent' } as SupervisionAction] : [])] };
    }
    case 'agentShutdownSent':
      return { state: { ...s, agentAsked: true }, actions: [] };
    case 'forceRequested':
      if (s.phase === 'forcing') return { state: s, actions: [] };
      return force('ForcedBySignal', 'forcing the guest off at once (second SIGINT)', e.at);
    case 'graceExpired':
      if (s.phase !== 'shuttingDown') return { state: s, actions: [] };
      return force('GracePeriodExpired', `the guest did not shut down within ${e.graceSeconds} s: destroying it`);
    case 'qemuShuttingDown':
      return { state: { ...s, shutdownBy: e.by }, actions: [{ kind: 'watchQemuExit' }] };
    case 'daemonDied':
      return ended(end('DaemonExited', `${e.name} of the private libvirt stack exited (code ${e.code}, signal ${e.signal}); the guest is stopped`, false));
    case 'stopped':
      return ended(stoppedOutcome(s, e));
    case 'qemuExited':
      // libvirt reports the domain stopped only once the zombie is reaped; the exit itself is the end.
      return ended(stoppedOutcome(s, { kind: 'stopped', how: s.forcedBy ? 'destroyed' : 'shutdown', detail: 'QEMU exited', at: e.at }));
  }
}

function stoppedOutcome(s: SupervisionState, e: Extract<SupervisionEvent, { kind: 'stopped' }>): SupervisionAction {
  // Destroyed while the launcher was forcing it, or stopped on the launcher's own SIGTERM to QEMU (libvirt then
  // reports a shutdown by the host): the forced end. (A guest that finished its own shutdown just before the
  // destroy landed still ends below as a clean shutdown.)
  const forcedStop = e.how === 'destroyed' || (e.how === 'shutdown' && s.shutdownBy !== 'guest');
  if (s.forcedBy && forcedStop) return end(s.forcedBy, `the guest was forced off (${s.forcedBy})`, true);
  if (e.how === 'shutdown') {
    if (s.shutdownBy !== 'guest') {
      // QEMU quit cleanly, but not because the guest asked: someone signalled QEMU (or libvirt lost the event).
      const who = s.shutdownBy === 'host' ? 'a request from the host (a signal such as SIGTERM to QEMU, or a QMP quit)'
        : 'a shutdown libvirt did not attribute to the guest';
      return end('QemuTerminatedByHost', `QEMU stopped on ${who}, not on the guest's power-off (libvirt: stopped, ${e.detail}); the guest did not shut down`, true);
    }
    if (s.shutdownStartedAt !== undefined) {
      const secs = ((e.at - s.shutdownStartedAt) / 1000).toFixed(1);
      if (s.agentAsked) return end('GuestShutdownByAgent', `the guest shut down cleanly ${secs} s after the request, asked through the guest agent after ignoring the ACPI power button`, true);
      return end('GuestShutdown', `the guest shut down cleanly ${secs} s after the ACPI request`, true);
    }
    return end('GuestPoweredOff', 'the guest powered itself off', true);
  }
  const message = `QEMU stopped unexpectedly (libvirt: stopped, ${e.detail}): see the guest console and libvirtd log above`;
  if (e.how === 'destroyed') return end('GuestDestroyedExternally', message, true);
  return end('QemuExited', message, true, e.how === 'crashed' ? 'crashed' : 'failed');
}

// ---- libvirt's codes to events: one mapping for the lifecycle event and one for the state poll

/** virDomainShutoffReason, for the state poll. */
const ShutoffReason = { Shutdown: 1, Destroyed: 2, Crashed: 3, Failed: 6 } as const;

/** A libvirt lifecycle event (type, detail) as a supervision event, or undefined when it does not concern the end. */
export function fromLifecycleEvent(event: number, detail: number, at: number): SupervisionEvent | undefined {
  if (event === DomainEventType.Shutdown) {
    return { kind: 'qemuShuttingDown', by: detail === ShutdownDetail.Guest ? 'guest' : detail === ShutdownDetail.Host ? 'host' : 'unknown' };
  }
  if (event !== DomainEventType.Stopped) return undefined;
  const how: StopHow = detail === StoppedDetail.Shutdown ? 'shutdown' : detail === StoppedDetail.Destroyed ? 'destroyed'
    : detail === StoppedDetail.Crashed ? 'crashed' : 'failed';
  return { kind: 'stopped', how, detail: stoppedDetailName(detail), at };
}

/** The domain's state and reason from the poll as a supervision event, or undefined while it still runs. */
export function fromPolledState(state: number, reason: number, at: number): SupervisionEvent | undefined {
  if (state !== DomainState.Shutoff && state !== DomainState.Crashed) return undefined;
  const how: StopHow = state === DomainState.Crashed || reason === ShutoffReason.Crashed ? 'crashed'
    : reason === ShutoffReason.Shutdown ? 'shutdown' : reason === ShutoffReason.Destroyed ? 'destroyed' : 'failed';
  return { kind: 'stopped', how, detail: how === 'failed' ? `state poll, reason ${reason}` : 'state poll', at };
}
