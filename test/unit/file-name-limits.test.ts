// Files libvirt and the launcher name after the VMI (domain/file-name-limits.ts): a legal Kubernetes name that makes
// one of them longer than 255 bytes is refused at check with the exact limit (issue 21; measured with libvirt 9.0).
import test from 'ava';
import { fileNameProblems } from '../../domain/convert/file-name-limits.js';
import { defaultHardware } from '../../domain/model/hardware.js';
import type { HardwareSpec } from '../../domain/model/hardware.js';

const hw = (over: Partial<HardwareSpec> = {}, firmware: Partial<HardwareSpec['firmware']> = {}): HardwareSpec => {
  const d = defaultHardware();
  return { ...d, ...over, firmware: { ...d.firmware, ...firmware } };
};
const spec = (name: string, namespace = 'default', hardware?: HardwareSpec) => ({ name, namespace, ...(hardware && { hardware }) });
const a = (n: number) => 'a'.repeat(n);
const rows = (s: ReturnType<typeof spec>) => fileNameProblems(s).map((p) => [p.reason, p.field, p.fix]);

// [title, spec, the longest accepted name]
const limits: Array<[string, (name: string) => ReturnType<typeof spec>, number, string]> = [
  // `default_<name>.xml.new` <= 255: 255 - 8 - 8
  ['BIOS, namespace default: libvirt\'s <domain>.xml.new', (n) => spec(n), 239, ' (or use a shorter namespace)'],
  ['a one-letter namespace', (n) => spec(n, 'x'), 245, ' (or use a shorter namespace)'],
  // `<domain>_VARS.fd.new`: 255 - 12 - 8
  ['EFI: libvirt\'s <domain>_VARS.fd.new', (n) => spec(n, 'default', hw({}, { bootloader: 'efi' })), 235, ' (or use a shorter namespace)'],
  // `<domain>-swtpm.log`: 255 - 10 - 8
  ['a TPM: swtpm\'s <domain>-swtpm.log', (n) => spec(n, 'default', hw({ tpm: true })), 237, ' (or use a shorter namespace)'],
  // The launcher's `<name>_VARS.fd` (+ .new): 255 - 12, tighter than libvirt's definition in namespace x (245)
  ['persistent NVRAM, namespace x: <name>_VARS.fd.new', (n) => spec(n, 'x', hw({}, { bootloader: 'efi', persistentNvram: true })), 243, ''],
];
for (const [title, make, max, nsHint] of limits) {
  test(`file-name-limits: ${title}: ${max} characters pass, ${max + 1} are refused with the limit`, (t) => {
    t.deepEqual(fileNameProblems(make(a(max))), []);
    t.deepEqual(rows(make(a(max + 1))), [['NameTooLongForFiles', 'metadata.name', `shorten metadata.name to at most ${max} characters${nsHint}`]]);
  });
}

test('file-name-limits: the message names the file, its length and the limit', (t) => {
  const [p] = fileNameProblems(spec(a(253), 'ns'));
  t.is(p?.message, `metadata.name: libvirt's domain definition would be named ns_${a(253)}.xml.new, 264 bytes; a file name holds 255. In namespace ns this VMI's name may have at most 244 characters (it has 253)`);
});
