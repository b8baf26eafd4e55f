// The supervision table (launcher/run/supervision.ts) without a VM: every way a run ends, its reason, its exit code
// (from the catalogue), and what the launcher does on each event.
import test from 'ava';
import { fromLifecycleEvent, fromPolledState, initialSupervision, step, type SupervisionAction, type SupervisionEvent, type SupervisionState } from '../../launcher/run/supervision.js';
import { DomainEventType, DomainState, ShutdownDetail, StoppedDetail } from '../../launcher/stack/libvirt-events.js';

/** Runs events from the start; returns the last state and every action in order. */
function run(...events: SupervisionEvent[]): { state: SupervisionState; actions: SupervisionAction[] } {
  let state = initialSupervision();
  const actions: SupervisionAction[] = [];
  for (const e of events) {
    const next = step(state, e);
    state = next.state;
    actions.push(...next.actions);
  }
  return { state, actions };
}

const finish = (actions: SupervisionAction[]) => {
  const f = actions.filter((a) => a.kind === 'finish');
  if (f.length !== 1) throw new Error(`expected one finish, got ${JSON.stringify(actions)}`);
  return (f[0] as Extract<SupervisionAction, { kind: 'finish' }>).outcome;
};

const sigterm = (at = 1000, graceSeconds = 30): SupervisionEvent => ({ kind: 'shutdownRequested', signal: 'SIGTERM', at, graceSeconds });
const stopped = (how: 'shutdown' | 'destroyed' | 'crashed' | 'failed', at = 5000): SupervisionEvent => ({ kind: 'stopped', how, detail: how, at });
const byGuest: SupervisionEvent = { kind: 'qemuShuttingDown', by: 'guest' };
const byHost: SupervisionEvent = { kind: 'qemuShuttingDown', by: 'host' };

test('SIGTERM presses the power button with the grace period; the guest shutting down is GuestShutdown, exit 0, with the time it took', (t) => {
  const first = step(initialSupervision(), sigterm(1000, 30));
  t.deepEqual(first.actions, [{ kind: 'startAcpiShutdown', graceSeconds: 30 }]);
  t.is(first.state.phase, 'shuttingDown');
  const { actions } = run(sigterm(1000), byGuest, stopped('shutdown', 3500));
  t.deepEqual(actions.map((a) => a.kind), ['startAcpiShutdown', 'watchQemuExit', 'finish']);
  t.like(finish(actions), { reason: 'GuestShutdown', exitCode: 0, stop: 'clean', guestOff: true, message: 'the guest shut down cleanly 2.5 s after the ACPI request' });
});

test('a guest that powers off by itself is GuestPoweredOff, exit 0; QEMU\'s exit after its Shutdown event ends the run too', (t) => {
  t.like(finish(run(byGuest, stopped('shutdown')).actions), { reason: 'GuestPoweredOff', exitCode: 0, stop: 'clean' });
  t.like(finish(run(byGuest, { kind: 'qemuExited', at: 1 }).actions), { reason: 'GuestPoweredOff', exitCode: 0 });
});

test('QEMU stopped by the host (a signal to QEMU) or without a Shutdown event is QemuTerminatedByHost, exit 5, also during a shutdown', (t) => {
  for (const events of [[byHost, stopped('shutdown')], [stopped('shutdown')], [sigterm(), byHost, { kind: 'qemuExited', at: 2 } as SupervisionEvent]]) {
    t.like(finish(run(...events).actions), { reason: 'QemuTerminatedByHost', exitCode: 5, stop: 'failed', guestOff: true });
  }
});

test('the grace deadline destroys (GracePeriodExpired, exit 4); a grace period of 0 destroys at once (GracePeriodZero)', (t) => {
  const late = run(sigterm(), { kind: 'graceExpired', graceSeconds: 30 }, stopped('destroyed'));
  // The forced power-off watches QEMU's exit itself: libvirt reports it only once QEMU's zombie is reaped.
  t.deepEqual(late.actions.map((a) => a.kind), ['startAcpiShutdown', 'destroy', 'watchQemuExit', 'finish']);
  t.like(late.actions[1], { kind: 'destroy', reason: 'GracePeriodExpired', message: 'the guest did not shut down within 30 s: destroying it' });
  t.like(finish(late.actions), { reason: 'GracePeriodExpired', exitCode: 4, stop: 'forced', guestOff: true });
  const zero = run(sigterm(1000, 0), stopped('destroyed'));
  t.deepEqual(zero.actions.map((a) => a.kind), ['destroy', 'watchQemuExit', 'finish']);
  t.like(finish(zero.actions), { reason: 'GracePeriodZero', exitCode: 4 });
  // QEMU's own exit (the launcher's SIGTERM to it) is the forced end too.
  t.like(finish(run(sigterm(), { kind: 'graceExpired', graceSeconds: 5 }, { kind: 'qemuExited', at: 9 }).actions), { reason: 'GracePeriodExpired', exitCode: 4 });
});

test('forcing: QEMU quitting on the launcher\'s SIGTERM (libvirt: shut down by the host, stopped) is the forced end, not QemuTerminatedByHost', (t) => {
  const deadline: SupervisionEvent = { kind: 'graceExpired', graceSeconds: 5 };
  for (const tail of [[byHost, stopped('shutdown')], [stopped('shutdown')], [byHost, stopped('destroyed')]]) {
    t.like(finish(run(sigterm(), deadline, ...tail).actions), { reason: 'GracePeriodExpired', exitCode: 4, stop: 'forced', guestOff: true });
  }
  t.like(finish(run({ kind: 'forceRequested', at: 2 }, byHost, stopped('shutdown')).actions), { reason: 'ForcedBySignal', exitCode: 4 });
  // A crash while forcing is still a crash.
  t.like(finish(run(sigterm(), deadline, stopped('crashed')).actions), { reason: 'QemuExited', exitCode: 5 });
});

test('a second SIGINT forces at once (ForcedBySignal, exit 4), also before any shutdown; forcing twice destroys once', (t) => {
  const r = run(sigterm(), { kind: 'forceRequested', at: 2 }, { kind: 'forceRequested', at: 3 }, { kind: 'graceExpired', graceSeconds: 30 }, stopped('destroyed'));
  t.is(r.actions.filter((a) => a.kind === 'destroy').length, 1);
  t.like(finish(r.actions), { reason: 'ForcedBySignal', exitCode: 4 });
  t.like(finish(run({ kind: 'forceRequested', at: 2 }, stopped('destroyed')).actions), { reason: 'ForcedBySignal', exitCode: 4 });
});

test('a guest that completes its own shutdown just as the deadline destroys it still ends clean', (t) => {
  t.like(finish(run(sigterm(), byGuest, { kind: 'graceExpired', graceSeconds: 30 }, stopped('shutdown')).actions), { reason: 'GuestShutdown', exitCode: 0 });
});

test('destroyed by someone else, crashed, or failed: exit 5 with the reason; a daemon\'s death: DaemonExited, guest not known off', (t) => {
  t.like(finish(run(stopped('destroyed')).actions), { reason: 'GuestDestroyedExternally', exitCode: 5, stop: 'failed' });
  t.like(finish(run(stopped('crashed')).actions), { reason: 'QemuExited', exitCode: 5, stop: 'crashed' });
  t.like(finish(run(stopped('failed')).actions), { reason: 'QemuExited', exitCode: 5, stop: 'failed' });
  t.like(finish(run({ kind: 'daemonDied', name: 'libvirtd', code: null, signal: 'SIGKILL' }).actions), {
    reason: 'DaemonExited', exitCode: 5, guestOff: false, message: 'libvirtd of the private libvirt stack exited (code null, signal SIGKILL); the guest is stopped',
  });
});

test('nothing happens after the end; a second SIGTERM or a deadline with no shutdown asked does nothing', (t) => {
  const ended = run(byGuest, stopped('shutdown'));
  t.deepEqual(step(ended.state, stopped('crashed')).actions, []);
  t.deepEqual(step(ended.state, sigterm()).actions, []);
  t.deepEqual(run(sigterm(), sigterm()).actions.map((a) => a.kind), ['startAcpiShutdown']);
  t.deepEqual(run({ kind: 'graceExpired', graceSeconds: 1 }).actions, []);
});

test('libvirt\'s lifecycle events and polled states map to one set of events', (t) => {
  t.deepEqual(fromLifecycleEvent(DomainEventType.Shutdown, ShutdownDetail.Guest, 1), byGuest);
  t.deepEqual(fromLifecycleEvent(DomainEventType.Shutdown, ShutdownDetail.Host, 1), byHost);
  t.deepEqual(fromLifecycleEvent(DomainEventType.Shutdown, ShutdownDetail.Finished, 1), { kind: 'qemuShuttingDown', by: 'unknown' });
  t.deepEqual(fromLifecycleEvent(DomainEventType.Stopped, StoppedDetail.Shutdown, 7), { kind: 'stopped', how: 'shutdown', detail: 'Shutdown', at: 7 });
  t.deepEqual(fromLifecycleEvent(DomainEventType.Stopped, StoppedDetail.Destroyed, 7), { kind: 'stopped', how: 'destroyed', detail: 'Destroyed', at: 7 });
  t.deepEqual(fromLifecycleEvent(DomainEventType.Stopped, StoppedDetail.Crashed, 7), { kind: 'stopped', how: 'crashed', detail: 'Crashed', at: 7 });
  t.deepEqual(fromLifecycleEvent(DomainEventType.Stopped, StoppedDetail.Failed, 7), { kind: 'stopped', how: 'failed', detail: 'Failed', at: 7 });
  t.is(fromLifecycleEvent(DomainEventType.Resumed, 0, 7), undefined);
  t.is(fromPolledState(DomainState.Running, 1, 7), undefined);
  t.is(fromPolledState(DomainState.Paused, 5, 7), undefined);
  t.deepEqual(fromPolledState(DomainState.Shutoff, 1, 7), { kind: 'stopped', how: 'shutdown', detail: 'state poll', at: 7 });
  t.deepEqual(fromPolledState(DomainState.Shutoff, 2, 7), { kind: 'stopped', how: 'destroyed', detail: 'state poll', at: 7 });
  t.deepEqual(fromPolledState(DomainState.Shutoff, 3, 7), { kind: 'stopped', how: 'crashed', detail: 'state poll', at: 7 });
  t.deepEqual(fromPolledState(DomainState.Crashed, 0, 7), { kind: 'stopped', how: 'crashed', detail: 'state poll', at: 7 });
  t.deepEqual(fromPolledState(DomainState.Shutoff, 6, 7), { kind: 'stopped', how: 'failed', detail: 'state poll, reason 6', at: 7 });
});

test('a guest that ignores the power button is asked through its agent a third of the grace period in (at most 15 s), once; its shutdown is GuestShutdownByAgent, exit 0', (t) => {
  const tick = (at: number, agentConnected = true): SupervisionEvent => ({ kind: 'acpiRetry', at, agentConnected });
  // Grace 30 s: the agent is asked from 10 s after the ACPI request, while it is connected.
  const early = run(sigterm(0, 30), tick(3000), tick(6000), tick(9000));
  t.deepEqual(early.actions.map((a) => a.kind), ['startAcpiShutdown', 'pressPowerButton', 'pressPowerButton', 'pressPowerButton']);
  t.deepEqual(step(early.state, tick(12_000, false)).actions.map((a) => a.kind), ['pressPowerButton'], 'no agent connected: only the button');
  t.deepEqual(step(early.state, tick(12_000)).actions.map((a) => a.kind), ['pressPowerButton', 'askAgent']);
  // Once the agent took it, it is not asked again; the end says which way the guest went down.
  const asked = run(sigterm(0, 30), tick(12_000), { kind: 'agentShutdownSent' }, tick(15_000));
  t.deepEqual(asked.actions.map((a) => a.kind), ['startAcpiShutdown', 'pressPowerButton', 'askAgent', 'pressPowerButton']);
  t.like(finish(run(sigterm(0, 30), tick(12_000), { kind: 'agentShutdownSent' }, byGuest, stopped('shutdown', 20_000)).actions), {
    reason: 'GuestShutdownByAgent', exitCode: 0, stop: 'clean', message: 'the guest shut down cleanly 20.0 s after the request, asked through the guest agent after ignoring the ACPI power button',
  });
  // A long grace period: asked at 15 s, not at a third of it.
  t.deepEqual(run(sigterm(0, 600), tick(15_000)).actions.map((a) => a.kind), ['startAcpiShutdown', 'pressPowerButton', 'askAgent']);
  t.deepEqual(run(sigterm(0, 600), tick(14_999)).actions.map((a) => a.kind), ['startAcpiShutdown', 'pressPowerButton']);
  // No shutdown asked, or already forcing: ticks do nothing.
  t.deepEqual(run(tick(50_000)).actions, []);
  t.deepEqual(run(sigterm(0, 30), { kind: 'graceExpired', graceSeconds: 30 }, tick(40_000)).actions.map((a) => a.kind), ['startAcpiShutdown', 'destroy', 'watchQemuExit']);
});
