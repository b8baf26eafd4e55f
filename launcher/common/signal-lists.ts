// The signals the launcher catches, in a module with no imports: the bin's first lines (cli/bin.ts) install them
// before the launcher's code is even read, common/signal-policy.ts decides what each one means.

export const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGPWR'];
export const IGNORED_SIGNALS: readonly NodeJS.Signals[] = [
  'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGVTALRM', 'SIGPROF', 'SIGIO', 'SIGXCPU', 'SIGXFSZ', 'SIGSTKFLT', 'SIGTRAP', 'SIGSYS',
];

/** What the bin's first lines leave for signal-policy: the signals that came, and the handler to take off. */
export interface EarlySignals {
  received: NodeJS.Signals[];
  handler: (sig: NodeJS.Signals) => void;
  /** ms after the process started when the early handler was in place. */
  atMs: number;
}

export const EARLY_SIGNALS_KEY = Symbol.for('vm-launcher.early-signals');
