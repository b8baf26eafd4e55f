// XML for the virtual hardware beyond disks (model/hardware.ts): <os> with firmware and SMBIOS, <features>,
// <cpu>, <clock>, <sysinfo>, <rng>, <input>. Element and attribute names are libvirt's.
import type { Domain, DomainClock, DomainCPU, DomainFeatures, DomainOS, DomainSysinfo } from './domain-model.js';
import type { HypervSpec } from '../model/index.js';
import { EMPTY, TEXT, attrs, textNode, type XmlNode } from './xml-node.js';

const state = (s: string | undefined): XmlNode | undefined => (s === undefined ? undefined : attrs({ state: s }));

export function osNode(os: DomainOS): XmlNode {
  return {
    ...attrs({ firmware: os.firmware }),
    type: { ...attrs({ arch: os.arch, machine: os.machine }), [TEXT]: os.type },
    ...(os.firmwareFeatures && { firmware: { feature: os.firmwareFeatures.map((f) => attrs({ enabled: f.enabled, name: f.name })) } }),
    ...(os.nvram !== undefined && { nvram: os.nvram }),
    ...(os.smbios && { smbios: attrs({ mode: os.smbios }) }),
    ...(os.biosUseSerial && { bios: attrs({ useserial: 'yes' }) }),
  };
}

function hypervNode(h: HypervSpec): XmlNode {
  if (h.passthrough) return attrs({ mode: 'passthrough' });
  const out: XmlNode = attrs({ mode: 'custom' });
  const simple = ['relaxed', 'vapic', 'vpindex', 'runtime', 'synic', 'reset', 'frequencies', 'reenlightenment', 'tlbflush', 'ipi', 'evmcs'] as const;
  for (const key of simple) {
    const node = state(h[key]);
    if (node) out[key] = node;
  }
  if (h.spinlocks) out['spinlocks'] = attrs({ state: h.spinlocks.state, retries: h.spinlocks.retries });
  if (h.stimer) out['stimer'] = { ...attrs({ state: h.stimer.state }), ...(h.stimer.direct && { direct: attrs({ state: h.stimer.direct }) }) };
  if (h.vendor_id) out['vendor_id'] = attrs({ state: h.vendor_id.state, value: h.vendor_id.value });
  return out;
}

export function featuresNode(f: DomainFeatures): XmlNode {
  return {
    ...(f.acpi && { acpi: EMPTY }),
    ...(f.apic && { apic: EMPTY }),
    ...(f.hyperv && { hyperv: hypervNode(f.hyperv) }),
    ...(f.kvmHidden !== undefined && { kvm: { hidden: attrs({ state: f.kvmHidden ? 'on' : 'off' }) } }),
    ...(f.pvspinlock && { pvspinlock: attrs({ state: f.pvspinlock }) }),
    ...(f.smm && { smm: attrs({ state: 'on' }) }),
  };
}

export function cpuNode(cpu: DomainCPU): XmlNode {
  return {
    ...attrs({ mode: cpu.mode }),
    ...(cpu.model !== undefined && { model: cpu.model }),
    topology: attrs({ ...cpu.topology }),
  };
}

export function clockNode(c: DomainClock): XmlNode {
  return {
    ...attrs({ offset: c.offset, adjustment: c.adjustment, timezone: c.timezone }),
    ...(c.timers.length > 0 && { timer: c.timers.map((t) => attrs({ name: t.name, present: t.present, tickpolicy: t.tickpolicy, track: t.track })) }),
  };
}

export function sysinfoNode(s: DomainSysinfo): XmlNode {
  const entries = (list: Array<[string, string]>) => ({ entry: list.map(([name, value]) => textNode({ name }, value)) });
  return {
    ...attrs({ type: 'smbios' }),
    system: entries(s.system),
    ...(s.chassis.length > 0 && { chassis: entries(s.chassis) }),
  };
}

/** Devices beyond disks, controllers and the console. */
export function extraDeviceNodes(d: Domain): XmlNode {
  const dev = d.devices;
  return {
    ...(dev.inputs && dev.inputs.length > 0 && { input: dev.inputs.map((i) => attrs({ type: i.type, bus: i.bus })) }),
    ...(dev.tpm && { tpm: { ...attrs({ model: dev.tpm.model }), backend: attrs({ type: 'emulator', version: '2.0' }) } }),
    ...(dev.rng && { rng: { ...attrs({ model: 'virtio' }), backend: textNode({ model: 'random' }, dev.rng.backend) } }),
  };
}
