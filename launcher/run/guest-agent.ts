// The guest agent, followed as KubeVirt's virt-launcher follows it: libvirt's agent lifecycle event says when
// qemu-guest-agent connects to the org.qemu.guest_agent.0 channel or goes away (AgentConnected/AgentDisconnected);
// while it is connected, pollers read what KubeVirt keeps in the VMI's status and the launcher writes it to the
// status file. Polling follows KubeVirt's agent-poller: one round at once, then every 10 s doubling up to the
// poller's interval. Intervals: guest-info (version, commands) and filesystems 300 s, OS/hostname/timezone/
// interfaces 120 s, as KubeVirt; users 60 s instead of KubeVirt's 10 s (lighter: each poll here starts a virsh
// process, and who is logged in is not worth six of them a minute); no fsfreeze status (nothing here freezes).
import type { Logger } from '../common/log.js';
import type { LibvirtDomain } from '../stack/libvirt-client.js';
import { agentCommand, type AgentTarget } from '../stack/agent-command.js';
import {
  agentCredentialCommands, type AgentCredentials, guestString, parseFsInfo, parseGuestInfo, parseInterfaces, parseOsInfo, parseTimezone, parseUsers, type AgentReply,
} from '../../domain/guest/index.js';
import type { AgentStatus, GuestStatus } from '../stack/status-file.js';
import type { Lifecycle } from './lifecycle.js';

/** virConnectDomainEventAgentLifecycleState. */
export const AgentState = { Connected: 1, Disconnected: 2 } as const;
/** Seconds libvirt waits for the agent's answer to a poll. */
const POLL_TIMEOUT_S = 10;
const FIRST_INTERVAL_MS = 10_000;

interface Poller { name: string; maxMs: number; run: () => Promise<void> }

export class GuestAgentMonitor {
  private connectedNow = false;
  private timers: NodeJS.Timeout[] = [];
  private lastSummary = '';
  private readonly guest: GuestStatus = {};
  private agent: AgentStatus = { connected: false, since: new Date().toISOString() };

  constructor(private readonly o: {
    domain: LibvirtDomain; target: AgentTarget; lifecycle: Lifecycle; logger: Logger; intervals?: Partial<Record<string, number>>;
    /** accessCredentials to push on every connect (a rebooted guest, a restarted agent), as KubeVirt re-applies them. */
    credentials?: AgentCredentials;
  }) {}

  get connected(): boolean { return this.connectedNow; }

  /** Subscribes to libvirt's agent event; call before the domain starts, so the first connect is never missed. */
  start(): void {
    this.o.domain.onAgentEvent((state) => {
      if (state === AgentState.Connected && !this.connectedNow) this.onConnected();
      if (state === AgentState.Disconnected && this.connectedNow) this.onDisconnected();
    });
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }

  /** A command through the agent (guest-ping, guest-exec...), for probes. */
  command(name: string, args?: Record<string, unknown>, timeoutSeconds = POLL_TIMEOUT_S): Promise<AgentReply> {
    return agentCommand(this.o.target, name, args, timeoutSeconds);
  }

  private onConnected(): void {
    this.connectedNow = true;
    this.agent = { ...this.agent, connected: true, since: new Date().toISOString() };
    this.o.logger.info({ reason: 'AgentConnected' }, 'the guest agent connected (org.qemu.guest_agent.0)');
    void this.publish();
    for (const p of this.pollers()) this.schedule(p, 0, FIRST_INTERVAL_MS);
    if (this.o.credentials) this.pushCredentials(this.o.credentials, 0, FIRST_INTERVAL_MS);
  }

  /**
   * Sets every key and password through the agent; what failed (a user cloud-init has not made yet, an agent without
   * the command) is retried while the agent stays connected, 10 s doubling to 60 s, as KubeVirt retries its reload.
   * Failures are warnings in the log and the status file: the VM keeps running.
   */
  private pushCredentials(c: AgentCredentials, delayMs: number, nextMs: number): void {
    const t = setTimeout(() => {
      void this.applyCredentials(c).then((left) => {
        if (left && this.connectedNow) this.pushCredentials(left, nextMs, Math.min(nextMs * 2, 60_000));
      });
    }, delayMs);
    t.unref();
    this.timers.push(t);
  }

  /** What is left to retry, or undefined when everything was set. */
  private async applyCredentials(c: AgentCredentials): Promise<AgentCredentials | undefined> {
    const failed: string[] = [];
    const left: AgentCredentials = { keys: [], passwords: [] };
    for (const cmd of agentCredentialCommands(c)) {
      const r = await agentCommand(this.o.target, cmd.execute, cmd.arguments, POLL_TIMEOUT_S);
      if (r.ok) continue;
      failed.push(`${cmd.what}: ${r.error}`);
      if (cmd.execute === 'guest-set-user-password') left.passwords.push(c.passwords.find((p) => p.user === cmd.user)!);
      else left.keys.push(c.keys.find((k) => k.user === cmd.user)!);
      this.o.logger.warn({ reason: 'AccessCredentialFailed', user: cmd.user, command: cmd.execute }, `accessCredentials: ${cmd.what} could not be set through the guest agent (${cmd.execute}): ${r.error}; retried while the agent is connected`);
    }
    const done = agentCredentialCommands(c).filter((cmd) => !failed.some((f) => f.startsWith(`${cmd.what}:`))).map((cmd) => cmd.what);
    if (done.length > 0) this.o.logger.info({ reason: 'AccessCredentialsApplied', set: done }, `accessCredentials set through the guest agent: ${done.join(', ')}`);
    this.agent = { ...this.agent, credentials: { ...(failed.length === 0 && { applied: new Date().toISOString() }), ...(failed.length > 0 && { failed }) } };
    await this.publish();
    return failed.length > 0 ? left : undefined;
  }

  private onDisconnected(): void {
    this.connectedNow = false;
    this.stop();
    this.agent = { ...this.agent, connected: false, since: new Date().toISOString() };
    this.o.logger.warn({ reason: 'AgentDisconnected' }, 'the guest agent disconnected: the guest information in the status file is the last known');
    void this.publish();
  }

  /** Runs `p` after `delayMs`, then again after `nextMs` doubled up to the poller's interval (KubeVirt's back-off up). */
  private schedule(p: Poller, delayMs: number, nextMs: number): void {
    const t = setTimeout(() => {
      void p.run().catch((e: Error) => this.o.logger.debug({ reason: 'AgentCommandFailed', poll: p.name }, `guest agent poll ${p.name}: ${e.message}`))
        .then(() => { if (this.connectedNow) this.schedule(p, Math.min(nextMs, p.maxMs), Math.min(nextMs * 2, p.maxMs)); });
    }, delayMs);
    t.unref();
    this.timers.push(t);
  }

  private pollers(): Poller[] {
    const iv = (name: string, s: number) => (this.o.intervals?.[name] ?? s) * 1000;
    return [
      { name: 'info', maxMs: iv('info', 300), run: () => this.pollInfo() },
      { name: 'system', maxMs: iv('system', 120), run: () => this.pollSystem() },
      { name: 'users', maxMs: iv('users', 60), run: async () => { this.set('users', parseUsers(await this.value('guest-get-users'))); } },
      { name: 'filesystems', maxMs: iv('filesystems', 300), run: async () => { this.set('filesystems', parseFsInfo(await this.o.domain.agentFsInfo())); } },
    ];
  }

  private async pollInfo(): Promise<void> {
    const info = parseGuestInfo(await this.value('guest-info'));
    if (!info) throw new Error('guest-info: an unexpected reply');
    const wasMissing = this.agent.missingCommands?.join(',');
    this.agent = { ...this.agent, version: info.version, missingCommands: info.missing };
    if (info.missing.length > 0 && wasMissing !== info.missing.join(',')) {
      this.o.logger.warn({ reason: 'UnsupportedAgent', agentVersion: info.version, missing: info.missing },
        `the guest agent ${info.version} lacks ${info.missing.join(', ')}: KubeVirt would mark it UnsupportedAgent`);
    }
    this.refreshed('info');
    await this.publish();
  }

  private async pollSystem(): Promise<void> {
    // Each part on its own: an agent that lacks one command still reports the others.
    const [os, tz, hostname, ifaces] = await Promise.allSettled([
      this.value('guest-get-osinfo'), this.value('guest-get-timezone'), this.o.domain.agentHostname(), this.o.domain.agentInterfaces(),
    ]);
    if (os.status === 'fulfilled') this.guest.os = parseOsInfo(os.value);
    if (tz.status === 'fulfilled') this.guest.timezone = parseTimezone(tz.value);
    if (hostname.status === 'fulfilled') this.guest.hostname = guestString(hostname.value);
    if (ifaces.status === 'fulfilled') this.guest.interfaces = parseInterfaces(ifaces.value);
    this.refreshed('system');
    await this.publish();
    const summary = this.summary();
    if (summary !== this.lastSummary) {
      this.lastSummary = summary;
      this.o.logger.info({ reason: 'GuestInfoChanged', os: this.guest.os?.prettyName, hostname: this.guest.hostname, addresses: this.addresses() }, `guest: ${summary}`);
    }
  }

  private set<K extends keyof GuestStatus>(key: K, value: GuestStatus[K]): void {
    this.guest[key] = value;
    this.refreshed(key);
    void this.publish();
  }

  private refreshed(part: string): void {
    this.agent = { ...this.agent, refreshed: { ...this.agent.refreshed, [part]: new Date().toISOString() } };
  }

  private async value(command: string): Promise<unknown> {
    const r = await agentCommand(this.o.target, command, undefined, POLL_TIMEOUT_S);
    if (!r.ok) throw new Error(`${command}: ${r.error}`);
    return r.value;
  }

  private addresses(): string[] {
    return (this.guest.interfaces ?? []).flatMap((i) => i.addresses.map((a) => `${a.address}/${a.prefix}`));
  }

  private summary(): string {
    return `${this.guest.os?.prettyName ?? this.guest.os?.name ?? 'OS unknown'}, hostname ${this.guest.hostname ?? '?'}, addresses ${this.addresses().join(' ') || 'none'}`;
  }

  private publish(): Promise<void> {
    return this.o.lifecycle.update({ agent: this.agent, guest: { ...this.guest } });
  }
}
