// The launcher's phases as an explicit state machine. Every change is logged with its reason
// and written to the status file the probes read; an impossible transition is a bug, logged loudly.
import type { Logger } from '../common/log.js';
import { writeStatus, type Phase, type Status } from '../stack/status-file.js';
import { processStart } from '../common/proc.js';
import { Conditions } from './conditions.js';

const ALLOWED: Record<Phase, readonly Phase[]> = {
  Preflight: ['StartingStack', 'Failed', 'Aborted'],
  StartingStack: ['Defining', 'Failed', 'Aborted'],
  Defining: ['Starting', 'Failed', 'Aborted'],
  Starting: ['Running', 'ShuttingDown', 'Stopped', 'Failed'],
  Running: ['Paused', 'ShuttingDown', 'Stopped', 'Failed'],
  // The guest paused itself on an I/O error (a full volume): not ready, still alive, its data kept.
  Paused: ['Running', 'ShuttingDown', 'Stopped', 'Failed'],
  ShuttingDown: ['Stopped', 'Failed'],
  Stopped: [],
  Failed: [],
  Aborted: [],
};

export class Lifecycle {
  phase: Phase = 'Preflight';
  statusPath: string | undefined;
  private readonly pidStart = processStart(process.pid);
  private current: Pick<Status, 'since' | 'reason' | 'message'> = { since: new Date().toISOString(), reason: 'PreflightPassed', message: 'preflight passed' };
  /** The status file's other parts (guest agent, probes, NIC, disks...), kept across phase changes. */
  private readonly extra: Partial<Status> = {};
  private readonly conditions = new Conditions();
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly logger: Logger, private readonly vmi?: Status['vmi']) {}

  canMoveTo(next: Phase): boolean {
    return ALLOWED[this.phase].includes(next);
  }

  async to(next: Phase, reason: string, message: string): Promise<void> {
    if (!this.canMoveTo(next)) {
      this.logger.error({ reason: 'InvalidTransition', from: this.phase, to: next }, `internal: ${this.phase} -> ${next} is not a valid transition`);
      return;
    }
    const from = this.phase;
    this.phase = next;
    const level = next === 'Failed' ? 'error' : 'info';
    this.logger[level]({ phase: next, from, reason }, message);
    this.current = { since: new Date().toISOString(), reason, message };
    await this.write();
  }

  /** Merges `part` into the status file's other parts and rewrites it (the phase stays). */
  async update(part: Partial<Status>): Promise<void> {
    // After the last phase the file is the launcher's last word (and the runtime dir is about to go): a poll or a
    // probe that finishes late changes nothing.
    if (ALLOWED[this.phase].length === 0) return;
    Object.assign(this.extra, part);
    await this.write();
  }

  /** The other parts as last written (for the guest agent's and the probes' own bookkeeping). */
  get status(): Partial<Status> { return this.extra; }

  /** Writes are chained: the file always ends with the newest state, never an older write renamed last. */
  private write(): Promise<void> {
    const path = this.statusPath;
    if (!path) return Promise.resolve();
    const { phase } = this;
    const status: Status = {
      phase, ...this.current, pid: process.pid, pidStart: this.pidStart, ...(this.vmi && { vmi: this.vmi }), ...this.extra,
      conditions: this.conditions.compute({ phase, ...this.current, ...(this.extra.agent && { agent: this.extra.agent }), ...(this.extra.probes?.readiness && { readiness: this.extra.probes.readiness }) }),
    };
    this.writes = this.writes.then(() => writeStatus(path, status))
      .catch((e: Error) => this.logger.warn({ reason: 'StatusWriteFailed' }, `cannot write the status file: ${e.message}`));
    return this.writes;
  }
}
