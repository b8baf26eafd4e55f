// Devices, features, clock, CPU model, I/O threads, disk extras, firmware and SMBIOS: each field's accepted forms
// (what the domain gets) and its refusals (reason and path).
import test from 'ava';
import { parseVmi } from '../../domain/manifest/index.js';
import { buildDomain } from '../../domain/convert/index.js';
import { assignIoThreads } from '../../domain/convert/build-hardware.js';
import { domainToXml, type Domain } from '../../domain/libvirt/index.js';
import type { Accel } from '../../domain/model/index.js';
import { pvc, vmi, type Doc } from '../helpers/vmi-builder.js';
import { filesystemFacts } from '../helpers/volume-facts.js';
import { parseDomainXml } from '../helpers/parse-domain-xml.js';

const base = (): Doc => vmi({
  name: 'hw',
  domain: { cpu: { cores: 2 } },
  disks: [{ name: 'rootdisk' }, { name: 'data', disk: { bus: 'sata' } }],
  volumes: [pvc('rootdisk', 'root'), pvc('data')],
});

/** Parses and builds; the domain, every problem, and the XML as a tree. */
function build(mutate: (d: Doc) => void, accel: Accel = 'kvm', directIo = true) {
  const doc = base();
  mutate(doc);
  const parsed = parseVmi(doc);
  if (!parsed.spec) return { problems: parsed.problems };
  const built = buildDomain(parsed.spec, filesystemFacts(parsed.spec, directIo), { accel, consoleLogPath: '/c.log' });
  const xml = built.domain ? (parseDomainXml(domainToXml(built.domain)) as { domain: Record<string, any> }).domain : undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  return { problems: [...parsed.problems, ...built.problems], domain: built.domain as Domain, xml };
}

const reasons = (problems: Array<{ reason: string; field?: string }>) => problems.map((p) => [p.reason, p.field]);

// ---------------------------------------------------------------------------------------------------------------
// Devices

test('rng: a virtio-rng fed from /dev/urandom', (t) => {
  const { xml, problems } = build((d) => { d['spec'].domain.devices.rng = {}; });
  t.deepEqual(problems, []);
  t.deepEqual(xml?.['devices'].rng, { '@_model': 'virtio', backend: { '@_model': 'random', '#text': '/dev/urandom' } });
});

test('inputs: a USB tablet brings a qemu-xhci controller; a virtio tablet needs none', (t) => {
  const usb = build((d) => { d['spec'].domain.devices.inputs = [{ name: 't', type: 'tablet', bus: 'usb' }]; });
  t.deepEqual(usb.xml?.['devices'].input, { '@_type': 'tablet', '@_bus': 'usb' });
  t.deepEqual(usb.xml?.['devices'].controller, [{ '@_type': 'usb', '@_index': '0', '@_model': 'qemu-xhci' }]);
  const virtio = build((d) => { d['spec'].domain.devices.inputs = [{ name: 't', bus: 'virtio' }]; });
  t.deepEqual(virtio.xml?.['devices'].input, { '@_type': 'tablet', '@_bus': 'virtio' });
  t.is(virtio.xml?.['devices'].controller[0]['@_model'], 'none');
  const defaults = build((d) => { d['spec'].domain.devices.inputs = [{ name: 't' }]; });
  t.deepEqual(defaults.xml?.['devices'].input, { '@_type': 'tablet', '@_bus': 'usb' }, 'KubeVirt\'s defaults: tablet on usb');
});

test('autoattach switches: a balloon when asked, no serial console when refused, a note for graphics', (t) => {
  const r = build((d) => Object.assign(d['spec'].domain.devices, { autoattachMemBalloon: true, autoattachSerialConsole: false, autoattachGraphicsDevice: true }));
  t.deepEqual(r.xml?.['devices'].memballoon, { '@_model': 'virtio' });
  t.is(r.xml?.['devices'].serial, undefined);
  t.is(r.xml?.['devices'].console, undefined);
  t.is(r.xml?.['devices'].graphics, undefined, 'no graphics are provided');
  t.deepEqual(reasons(r.problems), [['DeviceNotProvided', 'spec.domain.devices.autoattachGraphicsDevice']]);
  const none = build((d) => Object.assign(d['spec'].domain.devices, { autoattachMemBalloon: false, autoattachGraphicsDevice: false, autoattachSerialConsole: true }));
  t.deepEqual(none.problems, []);
  t.deepEqual(none.xml?.['devices'].memballoon, { '@_model': 'none' });
});

test('blockMultiQueue: one queue per vCPU on virtio disks only', (t) => {
  const { domain } = build((d) => { d['spec'].domain.devices.blockMultiQueue = true; });
  t.deepEqual(domain?.devices.disks.map((x) => [x.target.bus, x.driver.queues]), [['virtio', 2], ['sata', undefined]]);
});

// ---------------------------------------------------------------------------------------------------------------
// I/O threads

test('ioThreadsPolicy shared: one thread for every virtio disk', (t) => {
  const { domain } = build((d) => { d['spec'].domain.ioThreadsPolicy = 'shared'; d['spec'].domain.devices.disks[1].disk.bus = 'virtio'; });
  t.is(domain?.iothreads, 1);
  t.deepEqual(domain?.devices.disks.map((x) => x.driver.iothread), [1, 1]);
});

test('dedicatedIOThread: its own thread, the others share the pool', (t) => {
  const { domain, problems } = build((d) => {
    d['spec'].domain.devices.disks[1] = { name: 'data', dedicatedIOThread: true };
  });
  t.deepEqual(problems, []);
  t.is(domain?.iothreads, 2);
  t.deepEqual(domain?.devices.disks.map((x) => x.driver.iothread), [1, 2]);
});

test('the I/O thread rule (KubeVirt\'s): pool sizes and assignment', (t) => {
  const v = (dedicated = false) => ({ virtio: true, dedicated });
  const sata = { virtio: false, dedicated: false };
  t.deepEqual(assignIoThreads([v(), v()], undefined), { count: 0, perDisk: [undefined, undefined] }, 'no policy, nothing dedicated: no threads');
  t.deepEqual(assignIoThreads([v(), v(), v()], 'auto'), { count: 2, perDisk: [1, 2, 1] }, 'auto: a pool of 2, round robin');
  t.deepEqual(assignIoThreads([v(), v(true), sata, v()], 'shared'), { count: 2, perDisk: [1, 2, undefined, 1] });
  t.deepEqual(assignIoThreads([v(true), v(true)], undefined), { count: 2, perDisk: [1, 2] });
  t.deepEqual(assignIoThreads([sata], 'auto'), { count: 0, perDisk: [undefined] }, 'no virtio disk: no threads');
});

test('ioThreadsPolicy supplementalPool is refused', (t) => {
  t.deepEqual(reasons(build((d) => { d['spec'].domain.ioThreadsPolicy = 'supplementalPool'; }).problems), [['FieldNotSupported', 'spec.domain.ioThreadsPolicy']]);
});

// ---------------------------------------------------------------------------------------------------------------
// Disk extras

test('disk blockSize, errorPolicy and shareable reach the disk', (t) => {
  const { domain, problems } = build((d) => Object.assign(d['spec'].domain.devices.disks[0], {
    blockSize: { custom: { logical: 512, physical: 4096, discardGranularity: 4096 } }, errorPolicy: 'enospace', shareable: true,
  }));
  t.deepEqual(problems, []);
  const disk = domain!.devices.disks[0]!;
  t.deepEqual(disk.blockio, { logical: 512, physical: 4096, discardGranularity: 4096 });
  t.is(disk.driver.errorPolicy, 'enospace');
  t.true(disk.shareable);
  t.is(domain!.devices.disks[1]!.driver.errorPolicy, 'stop', 'the default stays stop');
});

test('shareable needs cache none: refused where O_DIRECT does not work', (t) => {
  const r = build((d) => { d['spec'].domain.devices.disks[0].shareable = true; }, 'kvm', false);
  t.deepEqual(reasons(r.problems), [['FieldInvalid', 'spec.domain.devices.disks[0].shareable']]);
});

const diskRefusals: Array<[string, Doc, string, string]> = [
  ['blockSize not a power of two', { blockSize: { custom: { logical: 1000, physical: 4096 } } }, 'FieldInvalid', 'spec.domain.devices.disks[0].blockSize.custom.logical'],
  ['blockSize physical below logical', { blockSize: { custom: { logical: 4096, physical: 512 } } }, 'FieldInvalid', 'spec.domain.devices.disks[0].blockSize.custom.physical'],
  ['blockSize without physical', { blockSize: { custom: { logical: 512 } } }, 'FieldMissing', 'spec.domain.devices.disks[0].blockSize.custom.physical'],
  ['blockSize matchVolume', { blockSize: { matchVolume: { enabled: true } } }, 'FieldNotSupported', 'spec.domain.devices.disks[0].blockSize.matchVolume'],
  ['errorPolicy unknown', { errorPolicy: 'retry' }, 'FieldInvalid', 'spec.domain.devices.disks[0].errorPolicy'],
  ['dedicatedIOThread not a boolean', { dedicatedIOThread: 'yes' }, 'FieldInvalid', 'spec.domain.devices.disks[0].dedicatedIOThread'],
];
for (const [title, extra, reason, field] of diskRefusals) {
  test(`refused: ${title}`, (t) => {
    t.deepEqual(reasons(build((d) => Object.assign(d['spec'].domain.devices.disks[0], extra)).problems), [[reason, field]]);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Features, clock, CPU

test('features: acpi, apic, smm and Hyper-V\'s common enlightenments', (t) => {
  const { xml, problems } = build((d) => {
    d['spec'].domain.features = {
      acpi: {}, apic: {}, smm: { enabled: true },
      hyperv: { relaxed: {}, vapic: { enabled: false }, spinlocks: {}, vpindex: {}, runtime: {}, synic: {}, synictimer: { direct: {} }, reset: {}, vendorid: { vendorid: 'KVMKVMKVM' }, frequencies: {}, reenlightenment: {}, tlbflush: {}, ipi: {} },
      kvm: { hidden: true }, pvspinlock: {},
    };
  });
  t.deepEqual(problems, []);
  const f = xml?.['features'];
  t.is(f.acpi, '');
  t.is(f.apic, '');
  t.deepEqual(f.smm, { '@_state': 'on' });
  t.like(f.hyperv, {
    '@_mode': 'custom', relaxed: { '@_state': 'on' }, vapic: { '@_state': 'off' }, spinlocks: { '@_state': 'on', '@_retries': '4096' },
    stimer: { '@_state': 'on', direct: { '@_state': 'on' } }, vendor_id: { '@_state': 'on', '@_value': 'KVMKVMKVM' }, ipi: { '@_state': 'on' },
  });
  t.deepEqual(f.kvm, { hidden: { '@_state': 'on' } });
  t.deepEqual(f.pvspinlock, { '@_state': 'on' });
});

test('features: ACPI off is accepted with a warning (no clean shutdown possible); hypervPassthrough', (t) => {
  const off = build((d) => { d['spec'].domain.features = { acpi: { enabled: false }, apic: { enabled: false } }; });
  t.deepEqual(reasons(off.problems), [['AcpiOff', 'spec.domain.features.acpi']]);
  t.is(off.xml?.['features'], '', 'neither acpi nor apic');
  const pass = build((d) => { d['spec'].domain.features = { hypervPassthrough: {} }; });
  t.deepEqual(pass.xml?.['features'].hyperv, { '@_mode': 'passthrough' });
});

test('features: unknown keys and bad values are refused by path', (t) => {
  t.deepEqual(reasons(build((d) => { d['spec'].domain.features = { hyperv: { evmcs2: {} } }; }).problems), [['FieldNotSupported', 'spec.domain.features.hyperv.evmcs2']]);
  t.deepEqual(reasons(build((d) => { d['spec'].domain.features = { hyperv: { spinlocks: { spinlocks: 10 } } }; }).problems), [['FieldInvalid', 'spec.domain.features.hyperv.spinlocks.spinlocks']]);
  t.deepEqual(reasons(build((d) => { d['spec'].domain.features = { hyperv: { vendorid: { vendorid: 'much-too-long-vendor' } } }; }).problems), [['FieldInvalid', 'spec.domain.features.hyperv.vendorid.vendorid']]);
  t.deepEqual(reasons(build((d) => { d['spec'].domain.features = { smm: { enabled: 'yes' } }; }).problems), [['FieldInvalid', 'spec.domain.features.smm.enabled']]);
  t.deepEqual(reasons(build((d) => { d['spec'].domain.features = { sev: {} }; }).problems), [['FieldNotSupported', 'spec.domain.features.sev']]);
});

test('clock: utc (reset, or an offset), a timezone, timers', (t) => {
  t.deepEqual(build((d) => { d['spec'].domain.clock = { utc: {} }; }).xml?.['clock'], { '@_offset': 'utc', '@_adjustment': 'reset' });
  t.deepEqual(build((d) => { d['spec'].domain.clock = { utc: { offsetSeconds: 3600 } }; }).xml?.['clock'], { '@_offset': 'utc', '@_adjustment': '3600' });
  t.deepEqual(build((d) => { d['spec'].domain.clock = { timezone: 'America/New_York' }; }).xml?.['clock'], { '@_offset': 'timezone', '@_timezone': 'America/New_York' });
  const timers = build((d) => {
    d['spec'].domain.clock = { utc: {}, timer: { hpet: { present: false }, kvm: {}, pit: { tickPolicy: 'delay' }, rtc: { tickPolicy: 'catchup', track: 'guest' }, hyperv: {} } };
  }).xml?.['clock'].timer;
  t.deepEqual(timers, [
    { '@_name': 'rtc', '@_present': 'yes', '@_tickpolicy': 'catchup', '@_track': 'guest' },
    { '@_name': 'pit', '@_present': 'yes', '@_tickpolicy': 'delay' },
    { '@_name': 'kvmclock', '@_present': 'yes' },
    { '@_name': 'hpet', '@_present': 'no' },
    { '@_name': 'hypervclock', '@_present': 'yes' },
  ]);
});

test('clock: refusals', (t) => {
  t.deepEqual(reasons(build((d) => { d['spec'].domain.clock = { utc: {}, timezone: 'UTC' }; }).problems), [['FieldInvalid', 'spec.domain.clock']]);
  t.deepEqual(reasons(build((d) => { d['spec'].domain.clock = { timezone: '../../etc/passwd' }; }).problems), [['FieldInvalid', 'spec.domain.clock.timezone']]);
  t.deepEqual(reasons(build((d) => { d['spec'].domain.clock = { utc: { offsetSeconds: 1.5 } }; }).problems), [['FieldInvalid', 'spec.domain.clock.utc.offsetSeconds']]);
  t.deepEqual(reasons(build((d) => { d['spec'].domain.clock = { timer: { kvm: { tickPolicy: 'delay' } } }; }).problems), [['FieldNotSupported', 'spec.domain.clock.timer.kvm.tickPolicy']]);
});

test('cpu.model: host-model and host-passthrough under KVM; the maximum TCG emulates, with a note; a named model', (t) => {
  t.is(build((d) => { d['spec'].domain.cpu.model = 'host-passthrough'; }).xml?.['cpu']['@_mode'], 'host-passthrough');
  t.is(build((d) => { d['spec'].domain.cpu.model = 'host-model'; }).xml?.['cpu']['@_mode'], 'host-model');
  const tcg = build((d) => { d['spec'].domain.cpu.model = 'host-passthrough'; }, 'qemu');
  t.is(tcg.xml?.['cpu']['@_mode'], 'maximum');
  t.deepEqual(reasons(tcg.problems), [['CpuModelUnderTcg', 'spec.domain.cpu.model']]);
  const named = build((d) => { d['spec'].domain.cpu.model = 'EPYC-Rome'; }, 'qemu');
  t.deepEqual(named.problems, []);
  t.like(named.xml?.['cpu'], { '@_mode': 'custom', model: 'EPYC-Rome', topology: { '@_cores': '2' } });
  t.deepEqual(reasons(build((d) => { d['spec'].domain.cpu.model = 'a b<c>'; }).problems), [['FieldInvalid', 'spec.domain.cpu.model']]);
});

test('a VirtualMachine: notes made while building name the field where it is, under spec.template.spec', (t) => {
  const asVm = (d: Doc): void => {
    const { apiVersion, metadata, spec } = { ...d };
    for (const k of Object.keys(d)) delete d[k];
    Object.assign(d, { apiVersion, kind: 'VirtualMachine', metadata, spec: { runStrategy: 'Always', template: { spec } } });
  };
  const tcg = build((d) => { d['spec'].domain.cpu.model = 'host-model'; d['spec'].domain.firmware = { bootloader: { efi: { secureBoot: false } } }; asVm(d); }, 'qemu');
  t.deepEqual(reasons(tcg.problems).filter(([r]) => r !== 'VmRunStrategy'), [
    ['KubeVirtDefault', 'spec.template.spec.domain.machine.type'],
    ['CpuModelUnderTcg', 'spec.template.spec.domain.cpu.model'],
  ]);
  t.true(tcg.problems.every((p) => !/^spec\.domain/.test(p.message)), 'no message names spec.domain');
});

// ---------------------------------------------------------------------------------------------------------------
// Firmware and SMBIOS

test('firmware.uuid: the domain UUID and the SMBIOS system UUID; serial; chassis; KubeVirt\'s system strings', (t) => {
  const { domain, xml, problems } = build((d) => {
    d['spec'].domain.firmware = { uuid: '5D307CA9-B3EF-428C-8861-06E72D69F223', serial: 'SN-1' };
    d['spec'].domain.chassis = { manufacturer: 'Acme', version: '1', serial: 'C-1', asset: 123456, sku: 'S' };
  });
  t.deepEqual(problems, []);
  t.is(domain?.uuid, '5d307ca9-b3ef-428c-8861-06e72d69f223');
  t.deepEqual(xml?.['os'].smbios, { '@_mode': 'sysinfo' });
  const entries = (list: Array<{ '@_name': string; '#text': string }>) => list.map((e) => [e['@_name'], e['#text']]);
  t.deepEqual(entries(xml?.['sysinfo'].system.entry), [
    ['uuid', '5d307ca9-b3ef-428c-8861-06e72d69f223'], ['serial', 'SN-1'], ['manufacturer', 'KubeVirt'], ['family', 'KubeVirt'], ['product', 'None'],
  ]);
  t.deepEqual(entries(xml?.['sysinfo'].chassis.entry), [['manufacturer', 'Acme'], ['version', '1'], ['serial', 'C-1'], ['asset', '123456'], ['sku', 'S']]);
});

test('bios: useSerial', (t) => {
  t.deepEqual(build((d) => { d['spec'].domain.firmware = { bootloader: { bios: { useSerial: true } } }; }).xml?.['os'].bios, { '@_useserial': 'yes' });
});

test('efi: secure boot is KubeVirt\'s default, needs SMM, and gets q35 when no machine is named', (t) => {
  const noSmm = build((d) => { d['spec'].domain.firmware = { bootloader: { efi: {} } }; });
  t.deepEqual(reasons(noSmm.problems), [
    ['KubeVirtDefault', 'spec.domain.firmware.bootloader.efi.secureBoot'],
    ['SecureBootNeedsSmm', 'spec.domain.firmware.bootloader.efi.secureBoot'],
  ]);
  const secure = build((d) => { d['spec'].domain.firmware = { bootloader: { efi: {} } }; d['spec'].domain.features = { smm: {} }; });
  t.deepEqual(reasons(secure.problems), [['KubeVirtDefault', 'spec.domain.firmware.bootloader.efi.secureBoot'], ['KubeVirtDefault', 'spec.domain.machine.type']]);
  t.like(secure.xml?.['os'], { '@_firmware': 'efi', type: { '@_machine': 'q35' } });
  t.deepEqual(secure.xml?.['os'].firmware.feature, [{ '@_enabled': 'yes', '@_name': 'enrolled-keys' }, { '@_enabled': 'yes', '@_name': 'secure-boot' }]);
  t.is(secure.xml?.['os'].nvram, undefined, 'not persistent: libvirt keeps the variables in the runtime dir');
  const plain = build((d) => { d['spec'].domain.firmware = { bootloader: { efi: { secureBoot: false } } }; d['spec'].domain.machine = { type: 'pc-q35-7.2' }; });
  t.deepEqual(plain.problems, []);
  t.deepEqual(plain.xml?.['os'].firmware.feature, [{ '@_enabled': 'no', '@_name': 'enrolled-keys' }, { '@_enabled': 'no', '@_name': 'secure-boot' }]);
});

test('efi: persistent NVRAM goes where the launcher says', (t) => {
  const doc = base();
  doc['spec'].domain.firmware = { bootloader: { efi: { secureBoot: false, persistent: true } } };
  const { spec } = parseVmi(doc);
  const built = buildDomain(spec!, filesystemFacts(spec!), { accel: 'kvm', consoleLogPath: '/c.log', nvramPath: '/nv/hw_VARS.fd' });
  t.is(built.domain?.os.nvram, '/nv/hw_VARS.fd');
  t.true(spec!.hardware?.firmware.persistentNvram);
});

const firmwareRefusals: Array<[string, Doc, string, string]> = [
  ['bios and efi', { bootloader: { bios: {}, efi: {} } }, 'FieldInvalid', 'spec.domain.firmware.bootloader'],
  ['serial with a control character', { serial: 'a\nb' }, 'FieldInvalid', 'spec.domain.firmware.serial'],
  ['kernelBoot', { kernelBoot: { kernelArgs: 'x' } }, 'FieldNotSupported', 'spec.domain.firmware.kernelBoot'],
  ['efi unknown key', { bootloader: { efi: { secureBoot: false, keys: 1 } } }, 'FieldNotSupported', 'spec.domain.firmware.bootloader.efi.keys'],
];
for (const [title, firmware, reason, field] of firmwareRefusals) {
  test(`refused: firmware ${title}`, (t) => {
    t.deepEqual(reasons(build((d) => { d['spec'].domain.firmware = firmware; }).problems), [[reason, field]]);
  });
}

test('secure boot on an i440fx machine is refused', (t) => {
  const r = build((d) => { d['spec'].domain.firmware = { bootloader: { efi: { secureBoot: true } } }; d['spec'].domain.features = { smm: {} }; d['spec'].domain.machine = { type: 'pc' }; });
  t.deepEqual(reasons(r.problems), [['FieldInvalid', 'spec.domain.machine.type']]);
});

test('chassis: a value that is not a string or number is refused', (t) => {
  t.deepEqual(reasons(build((d) => { d['spec'].domain.chassis = { asset: { a: 1 } }; }).problems), [['FieldInvalid', 'spec.domain.chassis.asset']]);
});
