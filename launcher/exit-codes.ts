// The launcher's exit code tells the pod's owner what happened (documented in README.md).
export const ExitCode = {
  /** The guest shut down cleanly: ACPI on request, or it powered off by itself. */
  Clean: 0,
  /** A bug in the launcher: an error nobody expected. */
  Internal: 1,
  /** Bad command line. */
  Usage: 2,
  /** Refused at preflight: the manifest, a volume or an image is not usable. Nothing was started. */
  Refused: 3,
  /** The guest did not shut down within the grace period and was forced off. */
  Forced: 4,
  /** Failed at run time: QEMU or a daemon died, libvirt refused the domain, a hook failed. */
  Failed: 5,
  /** A signal arrived before the guest was running: start-up was aborted cleanly. */
  Aborted: 6,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
