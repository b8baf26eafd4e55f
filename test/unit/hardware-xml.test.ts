// The XML nodes of the hardware beyond disks (domain/libvirt/hardware-xml.ts), called directly: each optional element is
// there exactly when the model holds it (no element, and no key holding undefined, otherwise), with libvirt's names.
import test from 'ava';
import { clockNode, cpuNode, extraDeviceNodes, featuresNode, osNode } from '../../domain/libvirt/hardware-xml.js';
import type { Domain } from '../../domain/libvirt/index.js';

test('hardware XML <os>: BIOS is type alone; EFI carries its features, NVRAM, SMBIOS mode and useserial only when set', (t) => {
  t.deepEqual(osNode({ arch: 'x86_64', type: 'hvm' }), { type: { '@_arch': 'x86_64', '#text': 'hvm' } });
  t.deepEqual(osNode({
    arch: 'x86_64', type: 'hvm', machine: 'q35', firmware: 'efi', firmwareFeatures: [{ name: 'secure-boot', enabled: 'no' }],
    nvram: '/n/VARS.fd', smbios: 'sysinfo', biosUseSerial: true,
  }), {
    '@_firmware': 'efi', type: { '@_arch': 'x86_64', '@_machine': 'q35', '#text': 'hvm' },
    firmware: { feature: [{ '@_enabled': 'no', '@_name': 'secure-boot' }] }, nvram: '/n/VARS.fd', smbios: { '@_mode': 'sysinfo' },
    bios: { '@_useserial': 'yes' },
  });
});

test('hardware XML <features>: only what is on; hyperv passthrough or custom with each enlightenment given', (t) => {
  t.deepEqual(featuresNode({ acpi: false, apic: false }), {});
  t.deepEqual(featuresNode({ acpi: true, apic: true, smm: true, kvmHidden: false, pvspinlock: 'off' }), {
    acpi: '', apic: '', kvm: { hidden: { '@_state': 'off' } }, pvspinlock: { '@_state': 'off' }, smm: { '@_state': 'on' },
  });
  t.deepEqual(featuresNode({ acpi: false, apic: false, kvmHidden: true }).kvm, { hidden: { '@_state': 'on' } });
  t.deepEqual(featuresNode({ acpi: false, apic: false, hyperv: { passthrough: true, relaxed: 'on' } }).hyperv, { '@_mode': 'passthrough' });
  t.deepEqual(featuresNode({ acpi: false, apic: false, hyperv: { relaxed: 'on', ipi: 'off' } }).hyperv,
    { '@_mode': 'custom', relaxed: { '@_state': 'on' }, ipi: { '@_state': 'off' } }, 'no spinlocks, stimer or vendor_id when not given');
  t.deepEqual(featuresNode({
    acpi: false, apic: false,
    hyperv: { spinlocks: { state: 'on', retries: 8191 }, stimer: { state: 'on', direct: 'on' }, vendor_id: { state: 'on', value: 'KubeVirt' } },
  }).hyperv, {
    '@_mode': 'custom', spinlocks: { '@_state': 'on', '@_retries': 8191 }, stimer: { '@_state': 'on', direct: { '@_state': 'on' } },
    vendor_id: { '@_state': 'on', '@_value': 'KubeVirt' },
  });
  t.deepEqual(featuresNode({ acpi: false, apic: false, hyperv: { stimer: { state: 'off' } } }).hyperv, { '@_mode': 'custom', stimer: { '@_state': 'off' } });
});

test('hardware XML <cpu> and <clock>: a model and timers only when there are some', (t) => {
  const topology = { sockets: 1, cores: 2, threads: 1 };
  t.deepEqual(cpuNode({ topology }), { topology: { '@_sockets': 1, '@_cores': 2, '@_threads': 1 } });
  t.deepEqual(cpuNode({ mode: 'custom', model: 'Skylake-Server', topology }), { '@_mode': 'custom', model: 'Skylake-Server', topology: { '@_sockets': 1, '@_cores': 2, '@_threads': 1 } });
  t.deepEqual(clockNode({ offset: 'utc', timers: [] }), { '@_offset': 'utc' });
  t.deepEqual(clockNode({ offset: 'utc', timers: [{ name: 'rtc', present: 'yes', tickpolicy: 'catchup' }] }), { '@_offset': 'utc', timer: [{ '@_name': 'rtc', '@_present': 'yes', '@_tickpolicy': 'catchup' }] });
});

test('hardware XML extra devices: inputs only when listed, a TPM 2.0 emulator, virtio-rng from its backend', (t) => {
  const devices = (extra: Partial<Domain['devices']>) => ({ devices: { disks: [], controllers: [], serials: [], consoles: [], memballoon: { model: 'none' }, ...extra } }) as unknown as Domain;
  t.deepEqual(extraDeviceNodes(devices({})), {});
  t.deepEqual(extraDeviceNodes(devices({ inputs: [] })), {});
  t.deepEqual(extraDeviceNodes(devices({ inputs: [{ type: 'tablet', bus: 'usb' }], tpm: { model: 'tpm-tis' }, rng: { backend: '/dev/urandom' } })), {
    input: [{ '@_type': 'tablet', '@_bus': 'usb' }],
    tpm: { '@_model': 'tpm-tis', backend: { '@_type': 'emulator', '@_version': '2.0' } },
    rng: { '@_model': 'virtio', backend: { '@_model': 'random', '#text': '/dev/urandom' } },
  });
});
