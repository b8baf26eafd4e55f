// libvirt's domain lifecycle events as libvirt-dbus delivers them (virDomainEventType and
// the detail codes that matter to the launcher).
export const DomainEventType = {
  Defined: 0, Undefined: 1, Started: 2, Suspended: 3, Resumed: 4, Stopped: 5, Shutdown: 6, PMSuspended: 7, Crashed: 8,
} as const;

export const StoppedDetail = {
  Shutdown: 0, Destroyed: 1, Crashed: 2, Migrated: 3, Saved: 4, Failed: 5, FromSnapshot: 6,
} as const;

/**
 * virDomainEventShutdownDetailType: who asked QEMU to stop. QEMU's SHUTDOWN event says whether the guest asked
 * (`guest: true`, e.g. an ACPI power-off) or the host (`host-signal`: SIGTERM/SIGINT/SIGHUP to QEMU, a QMP quit);
 * libvirt passes it on as Guest or Host. Measured on libvirt 9.0 with QEMU 7.2: the guest's power-off gives 1,
 * `kill -TERM` of QEMU gives 2. Finished (0) is a QEMU too old to say.
 */
export const ShutdownDetail = { Finished: 0, Guest: 1, Host: 2 } as const;

/** virDomainEventSuspendedDetailType: why the guest was paused. */
export const SuspendedDetail = { Paused: 0, Migrated: 1, IOError: 2, Watchdog: 3 } as const;

export const eventName = (event: number): string =>
  Object.entries(DomainEventType).find(([, v]) => v === event)?.[0] ?? `event-${event}`;

export const stoppedDetailName = (detail: number): string =>
  Object.entries(StoppedDetail).find(([, v]) => v === detail)?.[0] ?? `detail-${detail}`;

/** virDomainState: 1 running, 3 paused, 4 shutting down, 5 shut off, 6 crashed. */
export const DomainState = { NoState: 0, Running: 1, Blocked: 2, Paused: 3, Shutdown: 4, Shutoff: 5, Crashed: 6, PMSuspended: 7 } as const;
