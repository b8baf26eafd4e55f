// Stable reason codes for hook failures, and the error that carries one together with the hook's name.
// Never rename a reason once released: logs, exit codes and alerts match on them.
import { LauncherError, problem } from '../domain/problem.js';
import type { HookPoint } from './hook-points.js';
import type { HookResult } from './run-hook.js';

export const HookReason = {
  TimedOut: 'HookTimedOut',
  Failed: 'HookFailed',
  NotExecutable: 'HookNotExecutable',
  OutputTooLarge: 'HookOutputTooLarge',
  OutputEmpty: 'HookOutputEmpty',
  OutputInvalidXml: 'HookOutputInvalidXml',
  OutputSchemaInvalid: 'HookOutputSchemaInvalid',
  Cancelled: 'HookCancelled',
  DirUnreadable: 'HooksDirUnreadable',
} as const;
export type HookReason = typeof HookReason[keyof typeof HookReason];

/** A LauncherError that also names the hook and its point. */
export class HookError extends LauncherError {
  constructor(readonly hook: string, readonly point: HookPoint, reason: HookReason, detail: string, fix: string) {
    super(problem(reason, `${point} hook ${hook} ${detail}`, { fix }));
    this.name = 'HookError';
  }
}

const stderrHint = (r: HookResult): string =>
  r.stderrTail.length > 0 ? `; last stderr: ${r.stderrTail.join(' | ')}` : '';

/** The error for a run that did not succeed (outcome other than `ok`). */
export function errorForResult(r: HookResult, timeoutMs: number): HookError {
  const where = `${r.point}.d/${r.hook}`;
  switch (r.outcome) {
    case 'timedOut':
      return new HookError(r.hook, r.point, HookReason.TimedOut, `${r.message}${stderrHint(r)}`,
        `make ${where} finish within ${timeoutMs} ms, or raise the hook timeout`);
    case 'notExecutable':
      return new HookError(r.hook, r.point, HookReason.NotExecutable, r.message,
        `check that ${where} is executable, that its #! interpreter exists in the image, and that the hooks volume is not mounted noexec`);
    case 'outputTooLarge':
      return new HookError(r.hook, r.point, HookReason.OutputTooLarge, r.message,
        `make ${where} print only its result on stdout (diagnostics go to stderr)`);
    case 'cancelled':
      return new HookError(r.hook, r.point, HookReason.Cancelled, r.message, 'nothing to fix: the launcher was asked to stop while the hook ran');
    case 'failed':
    case 'ok':
      return new HookError(r.hook, r.point, HookReason.Failed, `${r.message}${stderrHint(r)}`,
        `read the hook's stderr in the launcher log and fix ${where}, or remove it`);
  }
}
