// Log level and format: flag, then environment, then default. Resolved before anything else, so that even a
// bad manifest is reported in the format the user asked for.
import { fail } from '../../domain/problem.js';
import type { CliArgs } from './options.js';
import { SETTINGS } from '../plan/settings.js';

/** Flag, then environment, then the table's default (plan/settings.ts). */
const fromTable = (name: 'logLevel' | 'logFormat' | 'logGuestConsole', flags: CliArgs['flags'], env: NodeJS.ProcessEnv): string =>
  flags[name] ?? env[SETTINGS[name].env] ?? SETTINGS[name].default;

export interface LogSettings {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  format: 'json' | 'pretty' | 'auto';
  /** run: the guest's serial lines in the launcher's log too (auto: when stdout is a terminal, as for the demo). */
  guestConsole: 'yes' | 'no' | 'auto';
}

export function logSettings(flags: CliArgs['flags'], env: NodeJS.ProcessEnv): LogSettings {
  const level = fromTable('logLevel', flags, env);
  if (!['trace', 'debug', 'info', 'warn', 'error'].includes(level)) fail('UsageInvalid', '--log-level (env VM_LAUNCHER_LOG_LEVEL) must be trace, debug, info, warn or error');
  const format = fromTable('logFormat', flags, env);
  if (!['json', 'pretty', 'auto'].includes(format)) fail('UsageInvalid', '--log-format (env VM_LAUNCHER_LOG_FORMAT) must be json, pretty or auto');
  const guestConsole = fromTable('logGuestConsole', flags, env);
  if (!['yes', 'no', 'auto'].includes(guestConsole)) fail('UsageInvalid', '--log-guest-console (env VM_LAUNCHER_LOG_GUEST_CONSOLE) must be yes, no or auto');
  return { level: level as LogSettings['level'], format: format as LogSettings['format'], guestConsole: guestConsole as LogSettings['guestConsole'] };
}
