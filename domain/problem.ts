// A problem found in a manifest, a volume or an image. `reason` is a stable code that
// logs, `check --json` and exit codes are built on: never rename one once released.
export type Severity = 'error' | 'warning';

export interface Problem {
  reason: string;
  severity: Severity;
  message: string;
  /** Manifest path the problem concerns, e.g. `spec.volumes[2].containerDisk`. */
  field?: string;
  /** Volume the problem concerns. */
  volume?: string;
  /** What the user can do about it. */
  fix?: string;
}

export const error = (reason: string, message: string, extra: Omit<Problem, 'reason' | 'message' | 'severity'> = {}): Problem =>
  ({ reason, severity: 'error', message, ...extra });

export const warning = (reason: string, message: string, extra: Omit<Problem, 'reason' | 'message' | 'severity'> = {}): Problem =>
  ({ reason, severity: 'warning', message, ...extra });

export const hasErrors = (problems: readonly Problem[]): boolean => problems.some((p) => p.severity === 'error');

/** Thrown only where a caller cannot continue; carries the same fields as a Problem. */
export class LauncherError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
    this.name = 'LauncherError';
  }
  get reason(): string { return this.problem.reason; }
}
