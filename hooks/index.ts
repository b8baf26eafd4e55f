// hooks/: executables the launcher runs around define, start and stop. See README.md for the contract.
export { HOOK_POINTS, type HookPoint, type StopInfo, type StopReason } from './hook-points.js';
export {
  DEFAULT_HOOK_TIMEOUT_MS, DEFAULT_MAX_STDOUT_BYTES,
  type DefineDomainContext, type HookContext, type HookLogger, type VmiIdentity, type XmlValidation,
} from './context.js';
export { discoverHooks, hookPointDir, runnable, type HookInfo } from './discover.js';
export { HOOK_PATH, hookEnv } from './env.js';
export { runHook, type HookOutcome, type HookResult, type RunHookOptions } from './run-hook.js';
export { runOnDefineDomain, runPreStart, runPostStop } from './run-chain.js';
export { HookError, HookReason } from './errors.js';
export { checkDomainXml } from './check-domain-xml.js';
