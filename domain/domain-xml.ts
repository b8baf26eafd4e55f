// Domain model -> libvirt XML through fast-xml-parser's XMLBuilder, which escapes every name, path and serial.
// Attributes are keys with ATTR prefix, text is TEXT; element order follows libvirt's documentation.
import { XMLBuilder } from 'fast-xml-parser';
import type { Domain, DomainDisk } from './domain-model.js';
import { ATTR, attrs, EMPTY, TEXT, type XmlNode } from './xml-node.js';
import { interfaceNode, memoryBackingNode } from './interface-xml.js';

export { ATTR, TEXT };

function diskNode(disk: DomainDisk): XmlNode {
  const d = disk.driver;
  return {
    ...attrs({ type: disk.type, device: disk.device }),
    driver: attrs({ name: d.name, type: d.type, cache: d.cache, io: d.io, discard: d.discard, error_policy: d.errorPolicy }),
    source: 'dev' in disk.source ? attrs({ dev: disk.source.dev }) : attrs({ file: disk.source.file }),
    target: attrs({ dev: disk.target.dev, bus: disk.target.bus }),
    ...(disk.bootOrder !== undefined && { boot: attrs({ order: disk.bootOrder }) }),
    ...(disk.serial !== undefined && { serial: disk.serial }),
    ...(disk.readonly && { readonly: EMPTY }),
  };
}

/** The JS object tree XMLBuilder serializes; exported for tests that want to see the mapping. */
export function domainToXmlTree(d: Domain): XmlNode {
  const dev = d.devices;
  return {
    domain: {
      ...attrs({ type: d.type }),
      name: d.name,
      uuid: d.uuid,
      memory: { ...attrs({ unit: 'b' }), [TEXT]: d.memory },
      ...(d.memoryBacking && { memoryBacking: memoryBackingNode(d.memoryBacking) }),
      vcpu: { ...attrs({ placement: 'static' }), [TEXT]: d.vcpu },
      os: { type: { ...attrs({ arch: d.os.arch, machine: d.os.machine }), [TEXT]: d.os.type } },
      features: { ...(d.features.acpi && { acpi: EMPTY }), ...(d.features.apic && { apic: EMPTY }) },
      cpu: { ...attrs({ mode: d.cpu.mode }), topology: attrs({ ...d.cpu.topology }) },
      on_poweroff: d.onPoweroff,
      on_reboot: d.onReboot,
      on_crash: d.onCrash,
      devices: {
        ...(dev.emulator !== undefined && { emulator: dev.emulator }),
        disk: dev.disks.map(diskNode),
        controller: dev.controllers.map((c) => attrs({ type: c.type, index: c.index, model: c.model })),
        ...(dev.interfaces && { interface: dev.interfaces.map(interfaceNode) }),
        serial: dev.serials.map((s) => ({
          ...attrs({ type: s.type }),
          source: attrs({ path: s.sourcePath }),
          target: attrs({ port: s.port }),
        })),
        console: dev.consoles.map((c) => ({
          ...attrs({ type: c.type }),
          source: attrs({ path: c.sourcePath }),
          target: attrs({ type: c.targetType, port: c.port }),
        })),
        memballoon: attrs({ model: dev.memballoon.model }),
      },
    },
  };
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: ATTR,
  textNodeName: TEXT,
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
});

export function domainToXml(d: Domain): string {
  return builder.build(domainToXmlTree(d)) as string;
}
