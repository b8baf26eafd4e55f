// Domain model -> libvirt XML through fast-xml-parser's XMLBuilder, which escapes every name, path and serial.
// Attributes are keys with ATTR prefix, text is TEXT; element order follows libvirt's documentation.
import { XMLBuilder } from 'fast-xml-parser';
import type { Domain, DomainDisk, DomainSerial } from './domain-model.js';
import { ATTR, attrs, EMPTY, TEXT, type XmlNode } from './xml-node.js';
import { interfaceNode, memoryBackingNode } from './interface-xml.js';
import { clockNode, cpuNode, extraDeviceNodes, featuresNode, osNode, sysinfoNode } from './hardware-xml.js';

export { ATTR, TEXT };

const sourceNode = (source: DomainDisk['source']): XmlNode => ('dev' in source ? attrs({ dev: source.dev }) : attrs({ file: source.file }));

function diskNode(disk: DomainDisk): XmlNode {
  const d = disk.driver;
  return {
    ...attrs({ type: disk.type, device: disk.device }),
    driver: attrs({ name: d.name, type: d.type, cache: d.cache, io: d.io, discard: d.discard, error_policy: d.errorPolicy, queues: d.queues, iothread: d.iothread }),
    source: sourceNode(disk.source),
    ...(disk.backingStore && {
      backingStore: { ...attrs({ type: disk.backingStore.type }), format: attrs({ type: disk.backingStore.format }), source: sourceNode(disk.backingStore.source) },
    }),
    target: attrs({ dev: disk.target.dev, bus: disk.target.bus }),
    ...(disk.bootOrder !== undefined && { boot: attrs({ order: disk.bootOrder }) }),
    ...(disk.serial !== undefined && { serial: disk.serial }),
    ...(disk.readonly && { readonly: EMPTY }),
    ...(disk.shareable && { shareable: EMPTY }),
    ...(disk.blockio && { blockio: attrs({ logical_block_size: disk.blockio.logical, physical_block_size: disk.blockio.physical, discard_granularity: disk.blockio.discardGranularity }) }),
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
      ...(d.iothreads !== undefined && { iothreads: d.iothreads }),
      os: osNode(d.os),
      ...(d.sysinfo && { sysinfo: sysinfoNode(d.sysinfo) }),
      features: featuresNode(d.features),
      cpu: cpuNode(d.cpu),
      ...(d.clock && { clock: clockNode(d.clock) }),
      on_poweroff: d.onPoweroff,
      on_reboot: d.onReboot,
      on_crash: d.onCrash,
      devices: {
        ...(dev.emulator !== undefined && { emulator: dev.emulator }),
        disk: dev.disks.map(diskNode),
        controller: dev.controllers.map((c) => attrs({ type: c.type, index: c.index, model: c.model })),
        ...(dev.filesystems && {
          filesystem: dev.filesystems.map((f) => ({
            ...attrs({ type: 'mount', accessmode: 'passthrough' }),
            driver: attrs({ type: 'virtiofs', queue: f.queue }),
            source: attrs({ socket: f.socket }),
            target: attrs({ dir: f.tag }),
          })),
        }),
        ...(dev.interfaces && { interface: dev.interfaces.map(interfaceNode) }),
        serial: dev.serials.map((s) => ({ ...serialNode(s), target: attrs({ port: s.port }) })),
        console: dev.consoles.map((c) => ({ ...serialNode(c), target: attrs({ type: c.targetType, port: c.port }) })),
        ...(dev.channels && {
          channel: dev.channels.map((c) => ({ ...attrs({ type: c.type }), source: attrs({ mode: 'bind', path: c.sourcePath }), target: attrs({ type: 'virtio', name: c.targetName }) })),
        }),
        ...extraDeviceNodes(d),
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

/** A unix socket is bound (QEMU listens); a file is just its path. */
function serialNode(s: DomainSerial): XmlNode {
  return s.type === 'unix'
    ? { ...attrs({ type: 'unix' }), source: attrs({ mode: 'bind', path: s.sourcePath }) }
    : { ...attrs({ type: s.type }), source: attrs({ path: s.sourcePath }) };
}
