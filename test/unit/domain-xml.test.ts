// buildDomain + domainToXml: assertions on the parsed XML structure, not on strings.
import test from 'ava';
import { buildDomain, domainName, domainUuid, uuidV5 } from '../../domain/convert/index.js';
import { domainToXml } from '../../domain/libvirt/index.js';
import { parseDomainXml } from '../helpers/parse-domain-xml.js';
import { parseVmiText } from '../../domain/manifest/index.js';
import type { DiskSpec, DomainOptions, VmSpec, VolumeFacts } from '../../domain/model/index.js';

type Xml = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- parsed XML is loosely typed

const opts: DomainOptions = { accel: 'qemu', consoleLogPath: '/var/run/vm/console.log' };

const diskSpec = (name: string, extra: Partial<DiskSpec> = {}): DiskSpec => ({
  name, volumeName: name, field: `spec.domain.devices.disks[0]`, device: 'disk', bus: 'virtio', readonly: false,
  source: { kind: 'pvc', claimName: `${name}-claim`, readOnly: false }, ...extra,
});

const vm = (disks: DiskSpec[], extra: Partial<VmSpec> = {}): VmSpec => ({
  name: 'vm1', namespace: 'default', annotations: {}, labels: {},
  cpu: { sockets: 1, cores: 2, threads: 1 }, memoryBytes: 128 * 2 ** 20, terminationGracePeriodSeconds: 30, disks, ...extra,
});

const fileFacts = (volume: string, extra: Partial<VolumeFacts> = {}): VolumeFacts => ({
  volume, kind: 'filesystem', path: `/var/run/kubevirt-private/vmi-disks/${volume}/disk.img`, fullyAllocated: false, directIo: true, ...extra,
});
const blockFacts = (volume: string): VolumeFacts => ({ volume, kind: 'block', path: `/dev/${volume}`, fullyAllocated: true, directIo: true });

const factsMap = (...facts: VolumeFacts[]): Map<string, VolumeFacts> => new Map(facts.map((f) => [f.volume, f]));

function xmlOf(spec: VmSpec, facts: Map<string, VolumeFacts>, o: DomainOptions = opts): Xml {
  const { domain, problems } = buildDomain(spec, facts, o);
  if (!domain) throw new Error(`no domain: ${JSON.stringify(problems)}`);
  return (parseDomainXml(domainToXml(domain)) as Xml)['domain'];
}

test('the whole domain for one filesystem disk under TCG', (t) => {
  const d = xmlOf(vm([diskSpec('rootdisk', { bootOrder: 1 })]), factsMap(fileFacts('rootdisk')));
  t.is(d['@_type'], 'qemu');
  t.is(d.name, 'default_vm1');
  t.is(d.uuid, uuidV5('default/vm1'));
  t.deepEqual(d.memory, { '@_unit': 'b', '#text': String(128 * 2 ** 20) });
  t.is(d.vcpu['#text'], '2');
  t.deepEqual(d.cpu, { topology: { '@_sockets': '1', '@_cores': '2', '@_threads': '1' } });
  t.deepEqual(d.os, { type: { '@_arch': 'x86_64', '#text': 'hvm' }, smbios: { '@_mode': 'sysinfo' } });
  t.deepEqual(d.sysinfo, {
    '@_type': 'smbios',
    system: { entry: [['uuid', uuidV5('default/vm1')], ['manufacturer', 'KubeVirt'], ['family', 'KubeVirt'], ['product', 'None']].map(([n, v]) => ({ '@_name': n, '#text': v })) },
  }, 'the SMBIOS system KubeVirt sets');
  t.deepEqual(d.features, { acpi: '', apic: '' });
  t.is(d.on_poweroff, 'destroy');
  t.is(d.on_reboot, 'restart');
  t.is(d.on_crash, 'destroy');
  t.deepEqual(d.devices.disk, [{
    '@_type': 'file', '@_device': 'disk',
    driver: { '@_name': 'qemu', '@_type': 'raw', '@_cache': 'none', '@_io': 'threads', '@_discard': 'unmap', '@_error_policy': 'stop' },
    source: { '@_file': '/var/run/kubevirt-private/vmi-disks/rootdisk/disk.img' },
    target: { '@_dev': 'vda', '@_bus': 'virtio' },
    boot: { '@_order': '1' },
  }]);
  t.deepEqual(d.devices.serial, [{ '@_type': 'file', source: { '@_path': '/var/run/vm/console.log' }, target: { '@_port': '0' } }]);
  t.deepEqual(d.devices.console, [{ '@_type': 'file', source: { '@_path': '/var/run/vm/console.log' }, target: { '@_type': 'serial', '@_port': '0' } }]);
  t.deepEqual(d.devices.memballoon, { '@_model': 'none' });
  t.deepEqual(d.devices.controller, [{ '@_type': 'usb', '@_index': '0', '@_model': 'none' }], 'no USB: libvirt would add one');
  t.is(d.devices.graphics, undefined);
  t.is(d.devices.emulator, undefined);
});

test('kvm: domain type kvm and a host-model CPU; machine type and emulator when given', (t) => {
  const d = xmlOf(vm([], { machineType: 'q35' }), factsMap(), { ...opts, accel: 'kvm', emulator: '/usr/bin/qemu-system-x86_64' });
  t.is(d['@_type'], 'kvm');
  t.is(d.cpu['@_mode'], 'host-model');
  t.is(d.os.type['@_machine'], 'q35');
  t.is(d.devices.emulator, '/usr/bin/qemu-system-x86_64');
});

test('a block volume: type block, source dev, native io, no discard', (t) => {
  const d = xmlOf(vm([diskSpec('rootdisk')]), factsMap(blockFacts('rootdisk')));
  const [disk] = d.devices.disk;
  t.is(disk['@_type'], 'block');
  t.deepEqual(disk.source, { '@_dev': '/dev/rootdisk' });
  t.like(disk.driver, { '@_cache': 'none', '@_io': 'native' });
  t.is(disk.driver['@_discard'], undefined);
});

test('a fully allocated file without O_DIRECT: writethrough, threads, no discard', (t) => {
  const d = xmlOf(vm([diskSpec('rootdisk')]), factsMap(fileFacts('rootdisk', { fullyAllocated: true, directIo: false })));
  const driver = d.devices.disk[0].driver;
  t.like(driver, { '@_cache': 'writethrough', '@_io': 'threads', '@_type': 'raw' });
  t.is(driver['@_discard'], undefined);
});

test('the format qemu-img found is never used: type is always raw', (t) => {
  const d = xmlOf(vm([diskSpec('rootdisk')]), factsMap(fileFacts('rootdisk', { format: 'qcow2' })));
  t.is(d.devices.disk[0].driver['@_type'], 'raw');
});

test('cdrom, readonly, serial, sata and scsi targets, and a virtio-scsi controller', (t) => {
  const spec = vm([
    diskSpec('rootdisk', { bus: 'virtio', bootOrder: 2 }),
    diskSpec('iso', { device: 'cdrom', bus: 'sata', readonly: true, bootOrder: 1 }),
    diskSpec('data', { bus: 'scsi', serial: 'DATA-01', readonly: true }),
    diskSpec('more', { bus: 'virtio', cache: 'writeback', io: 'threads' }),
  ]);
  const d = xmlOf(spec, factsMap(fileFacts('rootdisk'), fileFacts('iso'), blockFacts('data'), fileFacts('more')));
  const disks: Xml[] = d.devices.disk;
  t.deepEqual(disks.map((x) => [x['@_device'], x.target['@_dev'], x.target['@_bus']]), [
    ['disk', 'vda', 'virtio'], ['cdrom', 'sda', 'sata'], ['disk', 'sdb', 'scsi'], ['disk', 'vdb', 'virtio'],
  ]);
  t.deepEqual(disks.map((x) => x.readonly !== undefined), [false, true, true, false]);
  t.deepEqual(disks.map((x) => x.boot?.['@_order']), ['2', '1', undefined, undefined]);
  t.is(disks[2]?.serial, 'DATA-01');
  t.like(disks[3]?.driver, { '@_cache': 'writeback', '@_io': 'threads' });
  t.deepEqual(d.devices.controller, [{ '@_type': 'usb', '@_index': '0', '@_model': 'none' }, { '@_type': 'scsi', '@_index': '0', '@_model': 'virtio-scsi' }]);
});

test('a cdrom is read-only in the domain even if the spec forgot to say so', (t) => {
  const d = xmlOf(vm([diskSpec('iso', { device: 'cdrom', bus: 'sata' })]), factsMap(fileFacts('iso')));
  t.is(d.devices.disk[0].readonly, '');
});

test('30 virtio disks are vda..vdz, vdaa..vdad', (t) => {
  const names = Array.from({ length: 30 }, (_, i) => `d${i}`);
  const d = xmlOf(vm(names.map((n) => diskSpec(n))), factsMap(...names.map((n) => fileFacts(n))));
  const targets = (d.devices.disk as Xml[]).map((x) => x.target['@_dev']);
  t.deepEqual(targets.slice(0, 2), ['vda', 'vdb']);
  t.deepEqual(targets.slice(25), ['vdz', 'vdaa', 'vdab', 'vdac', 'vdad']);
});

test('names, paths and serials are escaped, and read back unchanged', (t) => {
  const nasty = `/var/data/a&b<c>"d'e.img`;
  const d = xmlOf(vm([diskSpec('host', { source: { kind: 'hostDisk', path: nasty, create: false } })]), factsMap(fileFacts('host', { kind: 'hostDisk', path: nasty })),
    { ...opts, consoleLogPath: '/tmp/<log>&.txt' });
  t.is(d.devices.disk[0].source['@_file'], nasty);
  t.is(d.devices.serial[0].source['@_path'], '/tmp/<log>&.txt');
  const { domain } = buildDomain(vm([diskSpec('host')]), factsMap(fileFacts('host', { kind: 'hostDisk', path: nasty })), opts);
  const xml = domainToXml(domain!);
  t.false(xml.includes('a&b<c>'), 'raw special characters never reach the XML');
});

test('problems, not throws: missing facts, cache none without O_DIRECT, native io without cache none', (t) => {
  const spec = vm([
    diskSpec('a', { field: 'spec.domain.devices.disks[0]' }),
    diskSpec('b', { field: 'spec.domain.devices.disks[1]', cache: 'none' }),
    diskSpec('c', { field: 'spec.domain.devices.disks[2]', io: 'native' }),
    diskSpec('d', { field: 'spec.domain.devices.disks[3]', io: 'native', cache: 'writethrough' }),
  ]);
  const facts = factsMap(fileFacts('b', { directIo: false }), fileFacts('c', { directIo: false }), fileFacts('d'));
  const { domain, problems } = buildDomain(spec, facts, opts);
  t.is(domain, undefined);
  t.deepEqual(problems.map((p) => [p.reason, p.field, p.volume]), [
    ['VolumeFactsMissing', 'spec.domain.devices.disks[0]', 'a'],
    ['CacheNoneUnsupported', 'spec.domain.devices.disks[1].cache', 'b'],
    ['IoNativeNeedsCacheNone', 'spec.domain.devices.disks[2].io', 'c'],
    ['IoNativeNeedsCacheNone', 'spec.domain.devices.disks[3].io', 'd'],
  ]);
  for (const p of problems) t.truthy(p.fix);
});

test('domain name is <namespace>_<name>', (t) => {
  t.is(domainName({ namespace: 'prod', name: 'web-1' }), 'prod_web-1');
});

test('uuid: the VMI uid when it is a UUID (lowercased), else stable from namespace/name', (t) => {
  t.is(domainUuid({ namespace: 'a', name: 'b', uid: '3F2504E0-4F89-11D3-9A0C-0305E82C3301' }), '3f2504e0-4f89-11d3-9a0c-0305e82c3301');
  const derived = domainUuid({ namespace: 'a', name: 'b' });
  t.is(domainUuid({ namespace: 'a', name: 'b', uid: 'nope' }), derived);
  t.is(domainUuid({ namespace: 'a', name: 'b' }), derived, 'same input, same UUID');
  t.not(domainUuid({ namespace: 'a', name: 'c' }), derived);
  t.not(domainUuid({ namespace: 'ab', name: '' }), domainUuid({ namespace: 'a', name: 'b' }));
  t.regex(derived, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('uuidV5 matches the RFC 4122 example (DNS namespace, python.org)', (t) => {
  // Python: uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org')
  t.is(uuidV5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '886313e1-3b8a-5372-9b90-0c9aee199e5d');
});

test('the pinned derived UUID for default/vm1 never changes (libvirt keys domains on it)', (t) => {
  t.is(uuidV5('default/vm1'), 'ac510b74-b8de-581f-b080-b5bcf0817488');
});

test('from manifest text to XML', (t) => {
  const { spec } = parseVmiText(`
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata: { name: web, namespace: prod, uid: 11111111-2222-3333-4444-555555555555 }
spec:
  domain:
    cpu: { sockets: 2 }
    memory: { guest: 1Gi }
    devices: { disks: [ { name: rootdisk, serial: abc } ] }
  volumes: [ { name: rootdisk, persistentVolumeClaim: root } ]
`);
  const d = xmlOf(spec!, factsMap(fileFacts('rootdisk')));
  t.is(d.name, 'prod_web');
  t.is(d.uuid, '11111111-2222-3333-4444-555555555555');
  t.is(d.memory['#text'], String(2 ** 30));
  t.is(d.vcpu['#text'], '2');
  t.is(d.devices.disk[0].serial, 'abc');
});
