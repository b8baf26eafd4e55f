// The whole environment a hook gets. Nothing is inherited from the launcher: its environment may hold the
// manifest, tokens or settings a hook has no business with, and a hook must behave the same in every pod.
import { SYSTEM_PATH } from '../domain/system.js';
import type { HookContext } from './context.js';
import type { HookPoint, StopInfo } from './hook-points.js';

export const HOOK_PATH = SYSTEM_PATH;

export function hookEnv(point: HookPoint, ctx: HookContext, stop?: StopInfo): Record<string, string> {
  const env: Record<string, string> = {
    PATH: HOOK_PATH,
    LANG: 'C.UTF-8',
    VM_LAUNCHER_HOOK_POINT: point,
    VM_LAUNCHER_VMI_NAMESPACE: ctx.vmi.namespace,
    VM_LAUNCHER_VMI_NAME: ctx.vmi.name,
    VM_LAUNCHER_VMI_UID: ctx.vmi.uid,
    VM_LAUNCHER_RUNTIME_DIR: ctx.runtimeDir,
    VM_LAUNCHER_VMI_JSON: ctx.vmiJsonPath,
  };
  if (point === 'postStop' && stop !== undefined) {
    env.VM_LAUNCHER_STOP_REASON = stop.reason;
    env.VM_LAUNCHER_EXIT_CODE = String(stop.exitCode);
  }
  return env;
}
