// Runs ONE hook: an executable, no shell, no inherited environment, its own process group, a timeout, and
// bounded output. It never throws for anything the hook does: the chain decides what a failure means.
import { execa } from 'execa';
import type { HookInfo } from './discover.js';
import type { HookPoint } from './hook-points.js';
import { killGroup, trackGroup } from '../common/process-group.js';
import { followLines } from '../common/stderr-lines.js';
import { longTimeout } from '../common/long-timer.js';

export type HookOutcome = 'ok' | 'failed' | 'timedOut' | 'notExecutable' | 'outputTooLarge' | 'cancelled';

export interface HookResult {
  hook: string;
  point: HookPoint;
  outcome: HookOutcome;
  /** Human words for the outcome, e.g. `exited with code 3`. */
  message: string;
  exitCode?: number;
  signal?: string;
  /** Decoded stdout (truncated at the cap when `outputTooLarge`). */
  stdout: string;
  /** stdout was not valid UTF-8 (decoded with replacement characters). */
  stdoutInvalidUtf8: boolean;
  /** The last lines of stderr, for error messages. */
  stderrTail: string[];
  durationMs: number;
}

export interface RunHookOptions {
  point: HookPoint;
  /** The complete environment (see hookEnv); nothing else is inherited. */
  env: Record<string, string>;
  cwd: string;
  /** Written to stdin (onDefineDomain's XML); stdin is /dev/null-like when absent. */
  input?: string;
  timeoutMs: number;
  maxStdoutBytes: number;
  uid?: number;
  gid?: number;
  onStderr(line: string): void;
  /** Kills the hook's group when aborted (the launcher is shutting down). */
  signal?: AbortSignal;
}

export async function runHook(hook: HookInfo, opts: RunHookOptions): Promise<HookResult> {
  const started = performance.now();
  const subprocess = execa(hook.path, [], {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: false,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
    stdout: 'pipe',
    stderr: 'pipe',
    // stderr is consumed line by line below instead of being kept in memory.
    buffer: { stdout: true, stderr: false },
    encoding: 'buffer',
    maxBuffer: { stdout: opts.maxStdoutBytes },
    stripFinalNewline: false,
    // Own process group (setsid), so the whole tree can be killed with one signal.
    detached: true,
    // Ignored by execa for detached subprocesses; process-group.ts covers the launcher exiting mid-hook.
    cleanup: true,
    killSignal: 'SIGKILL',
    reject: false,
    ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
    ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
  });

  const pid = subprocess.pid;
  const untrack = pid !== undefined ? trackGroup(pid) : (): void => {};
  let timedOut = false;
  // A child that left the group (setsid) still holds our pipes: drop them, or waiting for
  // their end would outlast the timeout.
  const dropPipes = (): void => { subprocess.stdout?.destroy(); subprocess.stderr?.destroy(); };
  const timer = longTimeout(() => { timedOut = true; killGroup(pid); dropPipes(); }, opts.timeoutMs);
  let cancelled = false;
  const onAbort = (): void => { cancelled = true; killGroup(pid); dropPipes(); };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();
  // The moment the hook itself exits, whatever it left running goes too. This also closes the pipes such
  // children inherited, so a background child cannot keep us waiting for stdout's end until the timeout.
  subprocess.once('exit', () => killGroup(pid));
  const stderrDone = subprocess.stderr
    ? followLines(subprocess.stderr, opts.onStderr)
    : Promise.resolve({ tail: [], dropped: 0 });

  let result;
  try {
    result = await subprocess;
  } finally {
    timer.clear();
    opts.signal?.removeEventListener('abort', onAbort);
    killGroup(pid);
    untrack();
  }
  const stderr = await stderrDone;
  if (stderr.dropped > 0) opts.onStderr(`[vm-launcher: ${stderr.dropped} more stderr lines not logged]`);

  const bytes = result.stdout instanceof Uint8Array ? result.stdout : new Uint8Array();
  const { text, valid } = decodeUtf8(bytes);
  const base = {
    hook: hook.name,
    point: opts.point,
    stdout: text,
    stdoutInvalidUtf8: !valid,
    stderrTail: stderr.tail,
    durationMs: Math.round(performance.now() - started),
    ...(result.exitCode !== undefined ? { exitCode: result.exitCode } : {}),
    ...(result.signal !== undefined ? { signal: result.signal } : {}),
  };

  // A hook that had already finished well when the abort came keeps its result.
  if (cancelled && (result.failed || result.isTerminated)) return { ...base, outcome: 'cancelled', message: 'was cancelled: the launcher is stopping' };
  if (timedOut) return { ...base, outcome: 'timedOut', message: `timed out after ${opts.timeoutMs} ms` };
  if (result.isMaxBuffer) {
    return { ...base, outcome: 'outputTooLarge', message: `wrote more than ${opts.maxStdoutBytes} bytes to stdout` };
  }
  if (pid === undefined) {
    const code = (result as { code?: string }).code ?? 'unknown error';
    return { ...base, outcome: 'notExecutable', message: `could not be started (${code})` };
  }
  if (result.signal !== undefined) return { ...base, outcome: 'failed', message: `killed by ${result.signal}` };
  if (result.exitCode !== 0) return { ...base, outcome: 'failed', message: `exited with code ${result.exitCode}` };
  return { ...base, outcome: 'ok', message: 'succeeded' };
}

function decodeUtf8(bytes: Uint8Array): { text: string; valid: boolean } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), valid: true };
  } catch {
    return { text: new TextDecoder('utf-8').decode(bytes), valid: false };
  }
}
