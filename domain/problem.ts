// A problem found in a manifest, a volume, an image or the host. Its `reason` is a code from the one catalogue
// (reasons.ts), which also decides its severity and exit code: code dispatches on the reason, never on a class.
import { REASONS, type Reason } from './reasons.js';

export type ProblemSeverity = 'error' | 'warning';

/** The reasons a Problem can carry: errors and warnings (info reasons are log events). */
export type ProblemReason = { [K in Reason]: (typeof REASONS)[K]['severity'] extends 'info' ? never : K }[Reason];

export interface Problem {
  reason: ProblemReason;
  severity: ProblemSeverity;
  message: string;
  /** Manifest path the problem concerns, e.g. `spec.volumes[2].containerDisk`. */
  field?: string;
  /** Volume the problem concerns. */
  volume?: string;
  /** What the user can do about it: the catalogue's fix unless a more precise one is given. */
  fix?: string;
}

type Extra = Omit<Problem, 'reason' | 'message' | 'severity'>;

/** A problem whose severity and default fix come from the catalogue. */
export function problem(reason: ProblemReason, message: string, extra: Extra = {}): Problem {
  const info = REASONS[reason];
  const fix = extra.fix ?? ('fix' in info ? info.fix : undefined);
  return { reason, severity: info.severity as ProblemSeverity, message, ...extra, ...(fix !== undefined && { fix }) };
}

export const hasErrors = (problems: readonly Problem[]): boolean => problems.some((p) => p.severity === 'error');

/** Thrown only where a caller cannot continue; carries a Problem, so callers dispatch on `reason`. */
export class LauncherError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
    this.name = 'LauncherError';
  }
  get reason(): ProblemReason { return this.problem.reason; }
}

/** Makes and throws a LauncherError in one expression. */
export const fail = (reason: ProblemReason, message: string, extra: Extra = {}): never => {
  throw new LauncherError(problem(reason, message, extra));
};
