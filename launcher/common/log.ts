// One JSON object per line with the keys KubeVirt's own launcher uses, so existing log
// pipelines keep working; human-readable when a person watches a terminal.
import { pino, destination, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export interface LogOptions {
  level?: LevelWithSilent;
  /** Force JSON even on a terminal (tests, `--log-format json`). */
  format?: 'json' | 'pretty' | 'auto';
  /** 1 (default) or 2: `domain` keeps stdout for the XML. */
  fd?: 1 | 2;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const format = opts.format ?? 'auto';
  const fd = opts.fd ?? 1;
  const usePretty = format === 'pretty' || (format === 'auto' && (fd === 1 ? process.stdout : process.stderr).isTTY === true);
  const options = {
    level: opts.level ?? 'info',
    messageKey: 'msg',
    base: {},
    timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (usePretty) {
    return rooted(pino(options, pretty({
      sync: true,
      destination: fd,
      // Colour only for a terminal: `--log-format pretty` into a pipe or `podman logs` stays plain text.
      colorize: (fd === 1 ? process.stdout : process.stderr).isTTY === true,
      messageKey: 'msg',
      timestampKey: 'timestamp',
      translateTime: 'HH:MM:ss.l',
      ignore: 'pid,hostname',
      // On a terminal: one line per event; JSON keeps every field.
      hideObject: true,
      messageFormat: '[{component}] {msg}{if reason} ({reason}){end}{if fix}\n    fix: {fix}{end}',
    })));
  }
  // Synchronous writes: the last lines before an exit are the ones people need at 3 a.m.
  return rooted(pino(options, destination({ dest: fd, sync: true })));
}

// pino appends a child's bindings to its parent's, so a child that sets `component` again
// would print the key twice. Component loggers are made from the root with the bindings merged.
const roots = new WeakMap<Logger, Logger>();

function rooted(root: Logger): Logger {
  const main = root.child({ component: 'vm-launcher' });
  roots.set(main, root);
  return main;
}

/** A logger with the same bindings (VMI identity...) and another `component`. */
export function withComponent(l: Logger, component: string): Logger {
  return withBindings(l, { component });
}

/** A logger with more bindings; keys already bound are replaced, not repeated. */
export function withBindings(l: Logger, extra: Record<string, unknown>): Logger {
  const root = roots.get(l) ?? l;
  const child = root.child({ ...l.bindings(), ...extra });
  roots.set(child, root);
  return child;
}
