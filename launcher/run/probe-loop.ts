// The VMI's readinessProbe and livenessProbe, evaluated by the launcher in its own loop; the verdicts (after
// successThreshold/failureThreshold) go to the status file, which `vm-launcher probe ready|live` reads.
// Why here and not on demand in `probe`: exec and guestAgentPing need the private libvirt stack as the VM user; the
// thresholds need state across runs; and a verdict in the launcher's trusted status file cannot be forged by the
// VM user, whereas anything `probe` computed from the runtime dir could be steered by it. The kubelet's own probe
// then only reads a file: cheap at any period.
// tcpSocket and httpGet go to 127.0.0.1:PORT inside the pod, which passt forwards to the guest (the kubelet reaches
// a KubeVirt VMI through the same forwarded port on the pod IP). passt accepts the connection for the guest before
// the guest answers: a tcpSocket probe passes when the guest's side sends data (sshd's banner) or keeps the
// connection open for the whole timeout, and fails when it is closed or reset (the guest refused); passt resets a
// connection the guest never answers after 10 s, so a probe on a server that does not speak first is only exact
// with timeoutSeconds above 10.
import { connect } from 'node:net';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from '../common/log.js';
import type { ProbeAction, ProbeSpec, VmiProbes } from '../../domain/model/index.js';
import { parseExecStarted, parseExecStatus } from '../../domain/guest/index.js';
import type { AgentReply } from '../../domain/guest/index.js';
import type { ProbeStatus } from '../stack/status-file.js';
import type { Lifecycle } from './lifecycle.js';

export interface ProbeResult { ok: boolean; output: string }

/** What the probes need of the guest agent (GuestAgentMonitor). */
export interface AgentAccess {
  readonly connected: boolean;
  command(name: string, args?: Record<string, unknown>, timeoutSeconds?: number): Promise<AgentReply>;
}

type Kind = 'readiness' | 'liveness';

export function describeAction(a: ProbeAction): string {
  switch (a.kind) {
    case 'tcpSocket': return `tcpSocket ${a.port}`;
    case 'httpGet': return `httpGet ${a.scheme}://:${a.port}${a.path}`;
    case 'exec': return `exec ${JSON.stringify(a.command)}`;
    case 'guestAgentPing': return 'guestAgentPing';
  }
}

export class ProbeLoop {
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private readonly state: Partial<Record<Kind, ProbeStatus>> = {};

  constructor(private readonly o: { probes: VmiProbes; agent: AgentAccess; lifecycle: Lifecycle; logger: Logger; host?: string }) {}

  start(): void {
    for (const kind of ['readiness', 'liveness'] as const) {
      const spec = this.o.probes[kind];
      if (!spec) continue;
      this.state[kind] = { since: new Date().toISOString(), action: describeAction(spec.action), consecutiveFailures: 0, consecutiveSuccesses: 0 };
      this.later(() => this.run(kind, spec), spec.initialDelaySeconds * 1000);
    }
    void this.publish();
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
  }

  private later(f: () => void, ms: number): void {
    if (this.stopped) return;
    const t = setTimeout(f, ms);
    t.unref();
    this.timers.push(t);
  }

  /** One run, then the next one a period after this one started (never two at once). */
  private run(kind: Kind, spec: ProbeSpec): void {
    const started = Date.now();
    void evaluate(spec.action, spec.timeoutSeconds, this.o.agent, this.o.host ?? '127.0.0.1')
      .catch((e: Error): ProbeResult => ({ ok: false, output: e.message }))
      .then(async (r) => {
        if (this.stopped) return;
        await this.record(kind, spec, r);
        this.later(() => this.run(kind, spec), Math.max(0, spec.periodSeconds * 1000 - (Date.now() - started)));
      });
  }

  private async record(kind: Kind, spec: ProbeSpec, r: ProbeResult): Promise<void> {
    const s = this.state[kind]!;
    s.consecutiveSuccesses = r.ok ? s.consecutiveSuccesses + 1 : 0;
    s.consecutiveFailures = r.ok ? 0 : s.consecutiveFailures + 1;
    s.lastResult = { ok: r.ok, at: new Date().toISOString(), output: r.output.slice(0, 512) };
    const verdict = s.consecutiveSuccesses >= spec.successThreshold ? true : s.consecutiveFailures >= spec.failureThreshold ? false : s.ok;
    if (verdict !== s.ok) {
      s.ok = verdict;
      s.since = new Date().toISOString();
      this.logVerdict(kind, spec, s, r);
    }
    await this.publish();
  }

  private logVerdict(kind: Kind, spec: ProbeSpec, s: ProbeStatus, r: ProbeResult): void {
    const fields = { probe: kind, action: s.action, output: r.output };
    if (s.ok) {
      this.o.logger.info({ reason: kind === 'readiness' ? 'ReadinessProbeSucceeded' : 'LivenessProbeSucceeded', ...fields }, `${kind} probe (${s.action}) passes`);
    } else if (kind === 'readiness') {
      this.o.logger.warn({ reason: 'ReadinessProbeFailed', ...fields }, `readiness probe (${s.action}) failed ${spec.failureThreshold} time(s) in a row: not ready: ${r.output}`);
    } else {
      this.o.logger.error({ reason: 'LivenessProbeFailed', ...fields }, `liveness probe (${s.action}) failed ${spec.failureThreshold} time(s) in a row: \`vm-launcher probe live\` now fails (Kubernetes restarts the pod): ${r.output}`);
    }
  }

  private publish(): Promise<void> {
    return this.o.lifecycle.update({ probes: { ...this.state.readiness && { readiness: { ...this.state.readiness } }, ...this.state.liveness && { liveness: { ...this.state.liveness } } } });
  }
}

/** One evaluation of a probe's action, bounded by its timeout. */
export async function evaluate(a: ProbeAction, timeoutSeconds: number, agent: AgentAccess, host: string): Promise<ProbeResult> {
  switch (a.kind) {
    case 'tcpSocket': return tcpCheck(host, a.port, timeoutSeconds * 1000);
    case 'httpGet': return httpCheck(host, a, timeoutSeconds * 1000);
    case 'guestAgentPing': {
      if (!agent.connected) return { ok: false, output: 'the guest agent is not connected' };
      const r = await agent.command('guest-ping', undefined, timeoutSeconds);
      return r.ok ? { ok: true, output: 'guest-ping answered' } : { ok: false, output: `guest-ping: ${r.error}` };
    }
    case 'exec': return guestExec(agent, a.command, timeoutSeconds);
  }
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let connected = false;
    const done = (r: ProbeResult) => { clearTimeout(timer); socket.destroy(); resolve(r); };
    const timer = setTimeout(() => done(connected
      ? { ok: true, output: `connected to port ${port}; still open after ${timeoutMs / 1000} s` }
      : { ok: false, output: `port ${port}: no connection within ${timeoutMs / 1000} s` }), timeoutMs);
    socket.on('connect', () => { connected = true; });
    socket.once('data', () => done({ ok: true, output: `port ${port} answered` }));
    socket.on('error', (e: NodeJS.ErrnoException) => done({ ok: false, output: `port ${port}: ${e.code ?? e.message}` }));
    socket.on('end', () => done({ ok: false, output: `port ${port}: the guest closed the connection (nothing listens there?)` }));
    socket.on('close', () => done({ ok: false, output: `port ${port}: connection closed` }));
  });
}

function httpCheck(host: string, a: Extract<ProbeAction, { kind: 'httpGet' }>, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const request = a.scheme === 'https' ? httpsRequest : httpRequest;
    const headers = Object.fromEntries([['User-Agent', 'vm-launcher-probe'], ...a.headers]);
    // HTTPS as the kubelet does it: the certificate is not verified.
    const req = request({ host, port: a.port, path: a.path, method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      const code = res.statusCode ?? 0;
      res.resume();
      req.destroy();
      resolve(code >= 200 && code < 400 ? { ok: true, output: `HTTP ${code}` } : { ok: false, output: `HTTP ${code} from ${a.path}` });
    });
    req.on('timeout', () => { req.destroy(); resolve({ ok: false, output: `no HTTP answer within ${timeoutMs / 1000} s` }); });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, output: `HTTP: ${e.code ?? e.message}` }));
    req.end();
  });
}

/** guest-exec, then guest-exec-status until it ends or the timeout passes (virt-probe's way). */
async function guestExec(agent: AgentAccess, command: string[], timeoutSeconds: number): Promise<ProbeResult> {
  if (!agent.connected) return { ok: false, output: 'the guest agent is not connected' };
  const deadline = Date.now() + timeoutSeconds * 1000;
  const started = await agent.command('guest-exec', { path: command[0], arg: command.slice(1), 'capture-output': true }, timeoutSeconds);
  if (!started.ok) return { ok: false, output: `guest-exec: ${started.error}` };
  const pid = parseExecStarted(started.value);
  if (pid === undefined) return { ok: false, output: 'guest-exec: an unexpected reply' };
  for (;;) {
    const left = Math.ceil((deadline - Date.now()) / 1000);
    if (left <= 0) return { ok: false, output: `${command[0]} did not finish within ${timeoutSeconds} s` };
    const r = await agent.command('guest-exec-status', { pid }, left);
    if (!r.ok) return { ok: false, output: `guest-exec-status: ${r.error}` };
    const st = parseExecStatus(r.value);
    if (!st) return { ok: false, output: 'guest-exec-status: an unexpected reply' };
    if (st.exited) {
      const how = st.exitCode !== undefined ? `exit code ${st.exitCode}` : `signal ${st.signal ?? '?'}`;
      return { ok: st.exitCode === 0, output: `${how}${st.output ? `: ${st.output}` : ''}` };
    }
    await new Promise((res) => setTimeout(res, 200));
  }
}
