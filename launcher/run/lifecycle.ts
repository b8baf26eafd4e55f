// The launcher's phases as an explicit state machine. Every change is logged with its reason
// and written to the status file the probes read; an impossible transition is a bug, logged loudly.
import type { Logger } from '../common/log.js';
import { writeStatus, type Phase, type Status } from '../stack/status-file.js';
import { processStart } from '../common/proc.js';

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
    if (this.statusPath) {
      await writeStatus(this.statusPath, {
        phase: next, since: new Date().toISOString(), reason, message, pid: process.pid, pidStart: this.pidStart, ...(this.vmi && { vmi: this.vmi }),
      }).catch((e: Error) => this.logger.warn({ reason: 'StatusWriteFailed' }, `cannot write the status file: ${e.message}`));
    }
  }
}
