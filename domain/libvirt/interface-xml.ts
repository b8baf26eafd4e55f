// A passt NIC and its memory backing as libvirt XML nodes (see build-interfaces.ts).
import type { Domain, DomainInterface } from './domain-model.js';
import { attrs, type XmlNode } from './xml-node.js';

export function interfaceNode(i: DomainInterface): XmlNode {
  return {
    ...attrs({ type: i.type }),
    ...(i.mac !== undefined && { mac: attrs({ address: i.mac }) }),
    model: attrs({ type: i.model }),
    backend: attrs({ type: i.backend.type, logFile: i.backend.logFile }),
    ...(i.ip && { ip: attrs({ family: 'ipv4', address: i.ip.address, prefix: i.ip.prefix }) }),
    portForward: i.portForwards.map((f) => ({
      ...attrs({ proto: f.proto }),
      ...(f.ranges.length > 0 ? { range: f.ranges.map((r) => attrs({ start: r.start })) } : {}),
    })),
    alias: attrs({ name: i.alias }),
  };
}

export function memoryBackingNode(m: NonNullable<Domain['memoryBacking']>): XmlNode {
  return { source: attrs({ type: m.source }), access: attrs({ mode: m.access }) };
}
