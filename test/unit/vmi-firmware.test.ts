// spec.domain.firmware read by parseFirmware directly: the serial's bounds, every problem word for word, which
// values are set only when asked (useSerial, persistent), the secure-boot default note, and when SMM is required.
import test from 'ava';
import { checkSecureBoot, parseFirmware } from '../../domain/manifest/vmi-firmware.js';
import type { Problems } from '../../domain/manifest/manifest-reader.js';
import type { FeaturesSpec, FirmwareSpec } from '../../domain/model/index.js';

const P = 'spec.domain.firmware';
const parse = (firmware: Record<string, unknown>) => {
  const problems: Problems = [];
  const out = parseFirmware(problems, firmware, P);
  return { out, problems: problems.map((p) => [p.reason, p.field, p.message, p.fix]) };
};

const SERIAL_REFUSED = [['FieldInvalid', `${P}.serial`, `${P}.serial: must be 1 to 64 printable characters`, 'write a short serial number']];
const serials: Array<[string, boolean]> = [
  ['a', true], ['x'.repeat(64), true], ['SN 1-ü', true],
  ['', false], ['x'.repeat(65), false], ['a\x00', false], ['a\x1f', false], ['a\x7f', false], ['\tSN', false],
];
for (const [serial, ok] of serials) {
  test(`firmware.serial ${JSON.stringify(serial.length > 10 ? `${serial.length} characters` : serial)}: ${ok ? 'accepted' : 'refused'}`, (t) => {
    const r = parse({ serial });
    t.deepEqual(r.problems, ok ? [] : SERIAL_REFUSED);
    t.is(r.out.serial, ok ? serial : undefined);
  });
}

test('firmware: bios and efi together are refused word for word; nothing of either is taken', (t) => {
  const r = parse({ bootloader: { bios: { useSerial: true }, efi: {} } });
  t.deepEqual(r.problems, [['FieldInvalid', `${P}.bootloader`, `${P}.bootloader: bios and efi exclude each other`, 'keep one of bios and efi']]);
  t.deepEqual(r.out, { bootloader: 'bios' });
});

test('firmware.bootloader.bios: useSerial only when true; its problems carry the bios path', (t) => {
  t.deepEqual(parse({ bootloader: { bios: { useSerial: false } } }).out, { bootloader: 'bios' });
  t.deepEqual(parse({ bootloader: { bios: {} } }).out, { bootloader: 'bios' });
  t.deepEqual(parse({ bootloader: { bios: { useSerial: true } } }).out, { bootloader: 'bios', biosUseSerial: true });
  t.deepEqual(parse({ bootloader: { bios: { useSerial: 'yes', x: 1 } } }).problems.map((p) => p[1]),
    [`${P}.bootloader.bios.x`, `${P}.bootloader.bios.useSerial`]);
});

const DEFAULT_NOTE = ['KubeVirtDefault', `${P}.bootloader.efi.secureBoot`,
  `${P}.bootloader.efi.secureBoot: not given; KubeVirt's default is true: secure boot is on (it needs features.smm)`,
  'set secureBoot: true or false to choose'];
const efiCases: Array<[string, unknown, unknown[][], Partial<FirmwareSpec>]> = [
  ['absent: the default, said', undefined, [DEFAULT_NOTE], { secureBoot: true }],
  ['null is absent: the default, said', null, [DEFAULT_NOTE], { secureBoot: true }],
  ['false: off, nothing said', false, [], { secureBoot: false }],
  ['true: on, nothing said', true, [], { secureBoot: true }],
  ['not a boolean: refused, no default note', 'yes', [['FieldInvalid', `${P}.bootloader.efi.secureBoot`,
    `${P}.bootloader.efi.secureBoot: must be true or false, not "yes"`, 'write true or false']], {}],
];
for (const [title, secureBoot, problems, like] of efiCases) {
  test(`firmware.bootloader.efi.secureBoot ${title}`, (t) => {
    const r = parse({ bootloader: { efi: secureBoot === undefined ? {} : { secureBoot } } });
    t.deepEqual(r.problems, problems);
    t.like(r.out, { bootloader: 'efi', persistentNvram: false, ...like });
  });
}

test('firmware.bootloader.efi.persistent: NVRAM kept only when asked', (t) => {
  t.true(parse({ bootloader: { efi: { secureBoot: false, persistent: true } } }).out.persistentNvram);
  t.false(parse({ bootloader: { efi: { secureBoot: false, persistent: false } } }).out.persistentNvram);
});

const features = (smm: boolean): FeaturesSpec => ({ acpi: true, apic: true, smm });
test('secure boot needs SMM under EFI only; the refusal says how to turn it on', (t) => {
  const check = (firmware: FirmwareSpec, smm: boolean) => {
    const problems: Problems = [];
    checkSecureBoot(problems, firmware, features(smm), 'spec.domain');
    return problems.map((p) => [p.reason, p.field, p.message, p.fix]);
  };
  const F = 'spec.domain.firmware.bootloader.efi.secureBoot';
  t.deepEqual(check({ bootloader: 'efi', secureBoot: true }, false), [['SecureBootNeedsSmm', F,
    `${F}: secure boot needs SMM, which spec.domain.features.smm does not turn on`, 'add spec.domain.features.smm: {} (or set secureBoot: false)']]);
  t.deepEqual(check({ bootloader: 'efi', secureBoot: true }, true), []);
  t.deepEqual(check({ bootloader: 'efi', secureBoot: false }, false), []);
  t.deepEqual(check({ bootloader: 'bios', secureBoot: true }, false), [], 'a BIOS guest has no secure boot to protect');
});
