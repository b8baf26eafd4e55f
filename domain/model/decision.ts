// What every policy table returns (disk, network, image size): a value, or a refusal carrying its catalogue reason.
import type { ProblemReason } from '../problem.js';

/** A decision: a value, or a refusal with a stable reason and what to do about it. */
export type Decision<T> =
  | { ok: true; value: T }
  | { ok: false; reason: ProblemReason; message: string; fix: string };
