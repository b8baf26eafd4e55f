// What every signal means to the launcher, decided once and installed before anything else runs (cli/main.ts imports
// this module first; the bin's first lines, cli/bin.ts, kept any signal that came while the launcher was loading),
// so a SIGTERM in the launcher's first milliseconds is an orderly abort (exit 6), not a death by signal that would
// orphan whatever had started.
// - SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPWR: shut the guest down (run); other commands keep the default (they die).
// - SIGUSR1 (Node's inspector trigger: the bin runs node with its permission model, which keeps the inspector off),
//   SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGIO, SIGXCPU, SIGXFSZ, SIGSTKFLT, SIGTRAP, SIGSYS: ignored, and logged by
//   `run`. None of them may end the launcher without stopping the guest, or open a debugger.
// - SIGPIPE: ignored by Node itself (a closed pipe is an EPIPE error on that write).
// - SIGKILL, SIGSTOP cannot be caught; SIGSEGV, SIGBUS, SIGFPE, SIGILL are real faults and keep their default;
//   SIGTSTP, SIGTTIN, SIGTTOU stop the launcher (not the guest) until SIGCONT, as for any program at a terminal.

import { EARLY_SIGNALS_KEY, IGNORED_SIGNALS, SHUTDOWN_SIGNALS, type EarlySignals } from './signal-lists.js';

export { IGNORED_SIGNALS, SHUTDOWN_SIGNALS };

type Handler = (sig: NodeJS.Signals) => void;

const early = (globalThis as Record<symbol, EarlySignals | undefined>)[EARLY_SIGNALS_KEY];

/** ms after the process started when signals were first caught (StartupTimings logs it). */
export const signalsDecidedAtMs = Math.round(early?.atMs ?? performance.now());

const pending: NodeJS.Signals[] = [];
let shutdownRoute: Handler | undefined;
let ignoredRoute: Handler | undefined;
const onShutdown: Handler = (sig) => (shutdownRoute ? shutdownRoute(sig) : void pending.push(sig));
const onIgnored: Handler = (sig) => ignoredRoute?.(sig);

for (const s of SHUTDOWN_SIGNALS) process.on(s, onShutdown);
for (const s of IGNORED_SIGNALS) process.on(s, onIgnored);
// The bin's early handler off (ours are on: no gap), and what it caught is pending as if it came now.
if (early) {
  for (const s of [...SHUTDOWN_SIGNALS, ...IGNORED_SIGNALS]) process.off(s, early.handler);
  pending.push(...early.received.splice(0));
}

/** `run`: shutdown signals go to `fn` from now on, starting with any that arrived before. */
export function routeShutdownSignals(fn: Handler): void {
  shutdownRoute = fn;
  for (const s of pending.splice(0)) fn(s);
}

/** Ignored signals are told to `fn` (for a log line). */
export function onIgnoredSignal(fn: Handler): void {
  ignoredRoute = fn;
}

/** Commands other than `run`: shutdown signals get their default action back (one that already came is re-raised). */
export function defaultShutdownSignals(): void {
  for (const s of SHUTDOWN_SIGNALS) process.off(s, onShutdown);
  const first = pending.shift();
  if (first) process.kill(process.pid, first);
}
