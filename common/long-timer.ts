// setTimeout with any delay. Node's timers hold at most 2^31-1 ms (24.8 days): a longer delay (a grace period of
// 3000000 s, a hook timeout in weeks) silently becomes 1 ms and fires at once. This one waits in chunks instead.

/** The longest delay one Node timer takes. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimer { clear(): void }

/** Calls `fn` once after `ms` milliseconds, however large (Infinity or NaN: never). */
export function longTimeout(fn: () => void, ms: number): LongTimer {
  let timer: NodeJS.Timeout | undefined;
  let cleared = false;
  const due = Date.now() + Math.max(0, ms);
  const arm = (): void => {
    const left = due - Date.now();
    if (left > MAX_TIMER_MS) timer = setTimeout(arm, MAX_TIMER_MS);
    else timer = setTimeout(() => { if (!cleared) fn(); }, Math.max(0, left));
  };
  if (Number.isFinite(ms)) arm();
  return { clear: () => { cleared = true; clearTimeout(timer); } };
}
