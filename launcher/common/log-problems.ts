// A Problem becomes one log line: its reason, field, volume and fix as keys, its message as msg.
import type { Problem } from '../../domain/problem.js';
import type { Logger } from './log.js';

export function logProblems(logger: Logger, problems: readonly Problem[]): void {
  for (const p of problems) {
    const { message, severity, ...rest } = p;
    logger[severity === 'error' ? 'error' : 'warn'](rest, message);
  }
}
