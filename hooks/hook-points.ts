// The three moments a hook can act on. The names are the directory names under the hooks dir
// (`<point>.d/`) and the value of VM_LAUNCHER_HOOK_POINT, so they are part of the public contract.
export type HookPoint = 'onDefineDomain' | 'preStart' | 'postStop';

export const HOOK_POINTS: readonly HookPoint[] = ['onDefineDomain', 'preStart', 'postStop'];

/** How the guest stopped, as a postStop hook sees it in VM_LAUNCHER_STOP_REASON. */
export type StopReason = 'clean' | 'forced' | 'crashed' | 'failed';

export interface StopInfo {
  reason: StopReason;
  /** The exit code the launcher is about to exit with. */
  exitCode: number;
}
