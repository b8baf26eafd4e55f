// The launcher's way to libvirt: D-Bus (dbus-next) to the private libvirt-dbus, which
// speaks to the private libvirtd. Typed wrappers for the handful of calls the lifecycle needs.
import dbus from 'dbus-next';

const SERVICE = 'org.libvirt';
const CONNECT_PATH = '/org/libvirt/QEMU';
/** virDomainShutdownFlags: the ACPI power button, never the guest agent. */
const SHUTDOWN_ACPI_POWER_BTN = 1;
/** virDomainShutdownFlags: through the guest agent (guest-shutdown). */
const SHUTDOWN_GUEST_AGENT = 2;
/** virDomainInterfaceAddressesSource: ask the guest agent. */
const ADDRESSES_FROM_AGENT = 1;

export interface DomainEvent { path: string; event: number; detail: number }

// The members of libvirt-dbus's interfaces this file calls (dbus-next builds them at run time).
interface ConnectIface extends dbus.ClientInterface {
  DomainDefineXML(xml: string): Promise<string>;
}
interface DomainIface extends dbus.ClientInterface {
  Create(flags: number): Promise<void>;
  Shutdown(flags: number): Promise<void>;
  Destroy(flags: number): Promise<void>;
  GetState(flags: number): Promise<[number, number]>;
  Resume(): Promise<void>;
  GetDiskErrors(flags: number): Promise<Array<[string, number]>>;
  InterfaceAddresses(source: number, flags: number): Promise<unknown>;
  GetHostname(flags: number): Promise<string>;
  GetFSInfo(flags: number): Promise<unknown>;
}
interface PropertiesIface extends dbus.ClientInterface {
  Get(iface: string, name: string): Promise<dbus.Variant>;
}
interface BusIface extends dbus.ClientInterface {
  NameHasOwner(name: string): Promise<boolean>;
}

export class LibvirtClient {
  // Events are recorded from the moment the client opens and replayed to late listeners:
  // a guest that powers off right after Create must not be missed.
  private readonly seen: DomainEvent[] = [];
  private readonly listeners: Array<(e: DomainEvent) => void> = [];

  private constructor(private readonly bus: dbus.MessageBus, private readonly connect: ConnectIface) {
    this.connect.on('DomainEvent', (path: string, event: number, detail: number) => {
      const e = { path, event, detail };
      this.seen.push(e);
      for (const l of this.listeners) l(e);
    });
  }

  static async open(busAddress: string): Promise<LibvirtClient> {
    const bus = dbus.sessionBus({ busAddress });
    bus.on('error', () => { /* reported through calls failing; never crash the launcher */ });
    const obj = await bus.getProxyObject(SERVICE, CONNECT_PATH);
    return new LibvirtClient(bus, obj.getInterface<ConnectIface>('org.libvirt.Connect'));
  }

  onDomainEvent(listener: (e: DomainEvent) => void): void {
    this.listeners.push(listener);
    for (const e of this.seen) listener(e);
  }

  async defineXml(xml: string): Promise<LibvirtDomain> {
    const path = await this.connect.DomainDefineXML(xml);
    return this.domain(path);
  }

  async domain(path: string): Promise<LibvirtDomain> {
    const obj = await this.bus.getProxyObject(SERVICE, path);
    return new LibvirtDomain(path, obj.getInterface<DomainIface>('org.libvirt.Domain'), obj.getInterface<PropertiesIface>('org.freedesktop.DBus.Properties'));
  }

  close(): void {
    try { this.bus.disconnect(); } catch { /* already closed */ }
  }
}

/** virDomainCreateFlags: QEMU opens everything, the vCPUs wait (the launcher checks what QEMU opened first). */
const START_PAUSED = 1;

/** virDomainDiskErrorCode. */
export const DiskError = { None: 0, Unspec: 1, NoSpace: 2 } as const;

export class LibvirtDomain {
  constructor(readonly path: string, private readonly iface: DomainIface, private readonly props: PropertiesIface) {}
  async create(opts: { paused?: boolean } = {}): Promise<void> { await this.iface.Create(opts.paused ? START_PAUSED : 0); }
  async resume(): Promise<void> { await this.iface.Resume(); }
  /** The name libvirt knows the domain by (an onDefineDomain hook may have changed it). */
  async name(): Promise<string> { return String((await this.props.Get('org.libvirt.Domain', 'Name')).value); }
  /** Disk target -> DiskError code, for the disks that have one. */
  async diskErrors(): Promise<Array<{ disk: string; error: number }>> {
    return (await this.iface.GetDiskErrors(0)).map(([disk, error]) => ({ disk, error }));
  }
  async shutdownAcpi(): Promise<void> { await this.iface.Shutdown(SHUTDOWN_ACPI_POWER_BTN); }
  /** Asks the guest agent to power the guest off (guest-shutdown): for a guest that ignores the power button. */
  async shutdownAgent(): Promise<void> { await this.iface.Shutdown(SHUTDOWN_GUEST_AGENT); }
  /** libvirt's agent lifecycle event: state 1 connected, 2 disconnected (virConnectDomainEventAgentLifecycleState). */
  onAgentEvent(listener: (state: number, reason: number) => void): void { this.iface.on('AgentEvent', listener); }
  /** The guest's interfaces as the agent reports them (raw `a(ssa(isu))`: parse with domain/agent-replies.ts). */
  async agentInterfaces(): Promise<unknown> { return this.iface.InterfaceAddresses(ADDRESSES_FROM_AGENT, 0); }
  async agentHostname(): Promise<string> { return this.iface.GetHostname(0); }
  /** The guest's filesystems (raw `a(sssas)`). */
  async agentFsInfo(): Promise<unknown> { return this.iface.GetFSInfo(0); }
  async destroy(): Promise<void> { await this.iface.Destroy(0); }
  async state(): Promise<{ state: number; reason: number }> {
    const [state, reason] = await this.iface.GetState(0);
    return { state, reason };
  }
}

/** Resolves once `name` has an owner on the bus; event-driven, with one check for a name that is already there. */
export async function waitForBusName(busAddress: string, name: string, signal: AbortSignal): Promise<void> {
  const bus = dbus.sessionBus({ busAddress });
  bus.on('error', () => {});
  try {
    const obj = await bus.getProxyObject('org.freedesktop.DBus', '/org/freedesktop/DBus');
    const iface = obj.getInterface<BusIface>('org.freedesktop.DBus');
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      iface.on('NameOwnerChanged', (n: string, _old: string, owner: string) => {
        if (n === name && owner) resolve();
      });
      iface.NameHasOwner(name).then((has) => { if (has) resolve(); }, reject);
    });
  } finally {
    bus.disconnect();
  }
}
