// Waiting on readiness, never on a fixed sleep: each wait also ends when the daemon dies,
// when the launcher is told to stop, or at a deadline.
import { connect } from 'node:net';
import { fail, LauncherError, problem } from '../../domain/problem.js';
import type { DaemonExit } from './daemon.js';


/** Races `ready` against the daemon's exit, an abort and a timeout. */
export async function readyOrFail<T>(what: string, ready: Promise<T>, exited: Promise<DaemonExit>, signal: AbortSignal, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      ready,
      exited.then((e): never => fail('DaemonExited', `${e.name} exited while starting (code ${e.code}, signal ${e.signal}): see its log`)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new LauncherError(problem('DaemonStartTimeout', `${what} was not ready within ${timeoutMs} ms`))), timeoutMs);
      }),
      new Promise<never>((_, reject) => {
        onAbort = () => reject(new LauncherError(problem('Aborted', `start-up aborted while waiting for ${what}`)));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** Resolves when a unix socket accepts a connection (checked every 20 ms until then). */
export async function socketAccepts(path: string, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(path);
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}
