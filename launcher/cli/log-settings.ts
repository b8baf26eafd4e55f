// Log level and format: flag, then environment, then default. Resolved before anything else, so that even a
// bad manifest is reported in the format the user asked for.
import { fail } from '../../domain/problem.js';
import type { CliArgs } from './options.js';

export interface LogSettings {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  format: 'json' | 'pretty' | 'auto';
}

export function logSettings(flags: CliArgs['flags'], env: NodeJS.ProcessEnv): LogSettings {
  const level = flags.logLevel ?? env.VM_LAUNCHER_LOG_LEVEL ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error'].includes(level)) fail('UsageInvalid', '--log-level (env VM_LAUNCHER_LOG_LEVEL) must be trace, debug, info, warn or error');
  const format = flags.logFormat ?? env.VM_LAUNCHER_LOG_FORMAT ?? 'auto';
  if (!['json', 'pretty', 'auto'].includes(format)) fail('UsageInvalid', '--log-format (env VM_LAUNCHER_LOG_FORMAT) must be json, pretty or auto');
  return { level: level as LogSettings['level'], format: format as LogSettings['format'] };
}
