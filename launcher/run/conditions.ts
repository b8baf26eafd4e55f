// KubeVirt's VMI conditions, derived from the launcher's phase, the guest agent and the readiness probe. A
// condition's lastTransitionTime moves only when its status changes.
import type { AgentStatus, Condition, Phase, Status } from '../stack/status-file.js';

interface Inputs { phase: Phase; reason: string; message: string; agent?: AgentStatus; readiness?: NonNullable<Status['probes']>['readiness'] }

type Draft = Omit<Condition, 'lastTransitionTime'>;

function drafts(i: Inputs): Draft[] {
  const running = i.phase === 'Running';
  const probeBlocks = running && i.readiness !== undefined && i.readiness.ok !== true;
  const ready: Draft = running && !probeBlocks
    ? { type: 'Ready', status: 'True' }
    : { type: 'Ready', status: 'False', reason: probeBlocks ? 'ReadinessProbeFailed' : i.phase === 'Paused' ? 'Paused' : 'NotRunning',
      message: probeBlocks ? `readiness probe (${i.readiness!.action}): ${i.readiness!.lastResult?.output ?? 'no result yet'}` : `phase ${i.phase}` };
  const out: Draft[] = [ready];
  if (i.agent?.connected) out.push({ type: 'AgentConnected', status: 'True' });
  if (i.agent?.connected && i.agent.missingCommands && i.agent.missingCommands.length > 0) {
    out.push({ type: 'UnsupportedAgent', status: 'True', reason: 'UnsupportedAgent', message: `the agent lacks ${i.agent.missingCommands.join(', ')}` });
  }
  if (i.phase === 'Paused') out.push({ type: 'Paused', status: 'True', reason: i.reason, message: i.message });
  return out;
}

export class Conditions {
  private readonly since = new Map<string, { status: string; at: string }>();

  compute(i: Inputs, now = new Date().toISOString()): Condition[] {
    return drafts(i).map((d) => {
      const prev = this.since.get(d.type);
      const at = prev && prev.status === d.status ? prev.at : now;
      this.since.set(d.type, { status: d.status, at });
      return { ...d, lastTransitionTime: at };
    });
  }
}
