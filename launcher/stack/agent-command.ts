// One guest agent command through libvirt's virDomainQemuAgentCommand. libvirt-dbus 1.4.1 has no QemuAgentCommand
// (nor GetGuestInfo), so this runs `virsh qemu-agent-command` against the private libvirtd, as the VM user with the
// stack's environment. Its stdout is the agent's own JSON reply passed through by libvirt (not virsh's text
// formatting), and it is parsed as hostile input: bounded in size and time (domain/agent-replies.ts).
import { execa } from 'execa';
import { MAX_AGENT_REPLY_BYTES, parseAgentReply, type AgentReply } from '../../domain/guest/index.js';
import type { RunAs } from '../common/run-as.js';
import type { RuntimeLayout } from '../plan/runtime-layout.js';
import { stackEnv } from './stack-env.js';

export interface AgentTarget { layout: RuntimeLayout; runAs: RunAs | undefined; domainName: string }

/**
 * Sends `{"execute": command, "arguments": args}` and returns the agent's reply. `timeoutSeconds` bounds the agent's
 * answer (libvirt's --timeout); the process itself gets 5 s more.
 */
export async function agentCommand(t: AgentTarget, command: string, args: Record<string, unknown> | undefined, timeoutSeconds: number): Promise<AgentReply> {
  const request = JSON.stringify({ execute: command, ...(args && { arguments: args }) });
  const r = await execa('virsh', ['-q', '-c', 'qemu:///session', 'qemu-agent-command', '--timeout', String(timeoutSeconds), '--', t.domainName, request], {
    env: stackEnv(t.layout), extendEnv: false, reject: false, timeout: (timeoutSeconds + 5) * 1000,
    maxBuffer: MAX_AGENT_REPLY_BYTES + 1024, stdin: 'ignore',
    ...(t.runAs && { uid: t.runAs.uid, gid: t.runAs.gid }),
  });
  if (r.isMaxBuffer) return { ok: false, error: `the reply is larger than ${MAX_AGENT_REPLY_BYTES} bytes` };
  if (r.timedOut) return { ok: false, error: `no answer within ${timeoutSeconds + 5} s` };
  // A virsh that could not even start (no such program, not allowed to switch user) has no exit code and no stderr.
  if (r.exitCode !== 0) return { ok: false, error: firstLine(String(r.stderr ?? '')) || r.shortMessage || `virsh exited ${r.exitCode}` };
  return parseAgentReply(r.stdout);
}

/** virsh's error, without its "error: " prefixes, on one line (libvirt's message, e.g. "Guest agent is not responding"). */
function firstLine(stderr: string): string {
  return stderr.split('\n').map((l) => l.replace(/^error:\s*/, '').trim()).filter(Boolean).join('; ').slice(0, 300);
}
