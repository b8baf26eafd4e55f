// applyHardware through buildDomain (domain/convert/build-hardware.ts): what the domain model holds, including what it must
// NOT hold (no key set to undefined, no device nobody asked for), every problem word for word, the EFI machine and
// NVRAM rules, and the I/O thread pool's edges.
import test from 'ava';
import { parseVmi } from '../../domain/manifest/index.js';
import { buildDomain } from '../../domain/convert/index.js';
import { assignIoThreads } from '../../domain/convert/build-hardware.js';
import type { Accel, DomainOptions } from '../../domain/model/index.js';
import { pvc, vmi, type Doc } from '../helpers/vmi-builder.js';
import { filesystemFacts } from '../helpers/volume-facts.js';

const base = (): Doc => vmi({
  name: 'hw',
  disks: [{ name: 'rootdisk' }, { name: 'data', disk: { bus: 'sata' } }],
  volumes: [pvc('rootdisk', 'root'), pvc('data')],
});

function build(mutate: (d: Doc) => void, accel: Accel = 'kvm', opts: Partial<DomainOptions> = {}, directIo = true) {
  const doc = base();
  mutate(doc);
  const parsed = parseVmi(doc);
  if (!parsed.spec) throw new Error(JSON.stringify(parsed.problems));
  const facts = filesystemFacts(parsed.spec, directIo);
  const built = buildDomain(parsed.spec, facts, { accel, consoleLogPath: '/c.log', ...opts });
  if (!built.domain) throw new Error(JSON.stringify(built.problems));
  return { domain: built.domain, problems: built.problems.map((p) => [p.reason, p.field, p.message, p.fix]) };
}

test('build-hardware: a plain VMI gets no clock, TPM, inputs, kvm-hidden or iothread keys it did not ask for', (t) => {
  const { domain } = build(() => {});
  t.deepEqual(domain.features, { acpi: true, apic: true });
  t.false('clock' in domain);
  t.false('tpm' in domain.devices);
  t.false('inputs' in domain.devices);
  t.false('iothreads' in domain);
  for (const disk of domain.devices.disks) t.false('iothread' in disk.driver, disk.target.dev);
});

test('build-hardware: a TPM is libvirt\'s tpm-tis; kvm.hidden false is said (off), not dropped', (t) => {
  const { domain } = build((d) => { d['spec'].domain.devices.tpm = {}; d['spec'].domain.features = { kvm: { hidden: false } }; });
  t.deepEqual(domain.devices.tpm, { model: 'tpm-tis' });
  t.is(domain.features?.kvmHidden, false);
});

test('build-hardware: a USB tablet turns only the USB controller into qemu-xhci', (t) => {
  const { domain } = build((d) => {
    d['spec'].domain.devices.inputs = [{ name: 't', type: 'tablet', bus: 'usb' }];
    d['spec'].domain.devices.disks[1].disk.bus = 'scsi';
  });
  const byType = Object.fromEntries(domain.devices.controllers.map((c) => [c.type, c]));
  t.like(byType['usb'], { type: 'usb', model: 'qemu-xhci' });
  t.truthy(byType['scsi'], 'the SCSI controller stays');
  t.not(byType['scsi']?.model, 'qemu-xhci');
  t.is(domain.devices.controllers.filter((c) => c.type === 'usb').length, 1);
});

const Q35_NOTE = ['KubeVirtDefault', 'spec.domain.machine.type', 'spec.domain.machine.type: not given; EFI gets q35, KubeVirt\'s default machine type', 'set machine.type to choose'];
test('build-hardware: EFI machine type: q35 by default (said); secure boot refuses a non-q35 machine; plain EFI takes it', (t) => {
  const efi = (efiBody: Doc, machine?: string) => build((d) => {
    d['spec'].domain.firmware = { bootloader: { efi: efiBody } };
    d['spec'].domain.features = { smm: {} };
    if (machine) d['spec'].domain.machine = { type: machine };
  });
  t.deepEqual(efi({ secureBoot: false }).problems, [Q35_NOTE]);
  t.is(efi({ secureBoot: false }).domain.os.machine, 'q35');
  t.deepEqual(efi({ secureBoot: true }, 'pc-i440fx-7.2').problems, [['FieldInvalid', 'spec.domain.machine.type',
    'spec.domain.machine.type: secure boot needs a q35 machine, not pc-i440fx-7.2', 'set machine.type: q35, or remove it']]);
  t.deepEqual(efi({ secureBoot: false }, 'pc-i440fx-7.2').problems, [], 'without secure boot any machine will do');
  t.deepEqual(efi({ secureBoot: true }, 'pc-q35-7.2').problems, []);
});

test('build-hardware: the NVRAM path is used only for a persistent EFI store, and only when the launcher gives one', (t) => {
  const efi = (persistent: boolean, nvramPath?: string) => build((d) => {
    d['spec'].domain.firmware = { bootloader: { efi: { secureBoot: false, persistent } } };
    d['spec'].domain.machine = { type: 'q35' };
  }, 'kvm', nvramPath === undefined ? {} : { nvramPath }).domain.os;
  t.is(efi(true, '/pv/VARS.fd').nvram, '/pv/VARS.fd');
  t.false('nvram' in efi(false, '/pv/VARS.fd'));
  t.false('nvram' in efi(true));
});

test('build-hardware: a CPU model under TCG is QEMU\'s maximum, and the note says why word for word', (t) => {
  const r = build((d) => { d['spec'].domain.cpu = { model: 'host-passthrough' }; }, 'qemu');
  t.is(r.domain.cpu?.mode, 'maximum');
  t.deepEqual(r.problems, [['CpuModelUnderTcg', 'spec.domain.cpu.model',
    'spec.domain.cpu.model: host-passthrough under software emulation (TCG): there is no host CPU to give; the guest gets QEMU\'s maximum model (every feature TCG emulates)',
    'run with KVM for the host\'s CPU, or name a CPU model']]);
});

test('build-hardware: shareable without O_DIRECT is refused word for word', (t) => {
  const r = build((d) => { d['spec'].domain.devices.disks[0].shareable = true; }, 'kvm', {}, false);
  t.deepEqual(r.problems, [['FieldInvalid', 'spec.domain.devices.disks[0].shareable',
    'spec.domain.devices.disks[0].shareable: disk rootdisk is shareable, which needs cache none (O_DIRECT), but its cache is writethrough',
    'remove cache (or set cache: none) on a volume whose filesystem accepts O_DIRECT']]);
});

test('build-hardware: I/O threads go to virtio disks only; the SATA disk gets none', (t) => {
  const { domain } = build((d) => { d['spec'].domain.ioThreadsPolicy = 'shared'; });
  t.is(domain.iothreads, 1);
  t.is(domain.devices.disks[0]?.driver.iothread, 1);
  t.false('iothread' in domain.devices.disks[1]!.driver, 'sata');
});

test('assignIoThreads: one virtio disk under auto gets one thread, not the pool\'s two', (t) => {
  t.deepEqual(assignIoThreads([{ virtio: true, dedicated: false }], 'auto'), { count: 1, perDisk: [1] });
  t.deepEqual(assignIoThreads([{ virtio: true, dedicated: false }, { virtio: true, dedicated: false }], 'auto'), { count: 2, perDisk: [1, 2] });
});
