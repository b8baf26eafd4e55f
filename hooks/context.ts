// What the launcher hands to a hook chain. Kept as plain data plus two functions so that hooks/ depends on
// nothing in launcher/ (the launcher passes its pino logger and its virt-xml-validate wrapper in).

/** The subset of pino's logger a chain uses; a pino Logger satisfies it. */
export interface HookLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface VmiIdentity {
  namespace: string;
  name: string;
  uid: string;
}

export interface HookContext {
  logger: HookLogger;
  vmi: VmiIdentity;
  /** The hook's working directory and VM_LAUNCHER_RUNTIME_DIR. */
  runtimeDir: string;
  /** A file holding the VMI manifest as JSON, written by the caller before the chain runs. */
  vmiJsonPath: string;
  /** Per hook, not per chain. Default 30 s. */
  timeoutMs?: number;
  /** Run hooks as this user/group (the launcher passes the unprivileged VM user when it runs as root). */
  uid?: number;
  gid?: number;
  /** Cap on a hook's captured stdout. Default 4 MiB. */
  maxStdoutBytes?: number;
  /**
   * Abort to kill the running hook and start no more, e.g. when the pod's grace period is running out.
   * For postStop pass a signal that is NOT yet aborted by the SIGTERM that made the guest stop: postStop
   * normally runs because of it.
   */
  signal?: AbortSignal;
}

export interface XmlValidation {
  ok: boolean;
  message: string;
}

export interface DefineDomainContext extends HookContext {
  /** libvirt schema check (the launcher runs `virt-xml-validate FILE domain`). */
  validateXml(xml: string): Promise<XmlValidation>;
}

export const DEFAULT_HOOK_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_STDOUT_BYTES = 4 * 1024 * 1024;
