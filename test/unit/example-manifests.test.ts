// The project's own example manifests (examples/vmi/) must parse with no problem at all.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseVmiText } from '../../domain/manifest/index.js';
import { seedOf } from '../helpers/disk-source.js';

const dir = fileURLToPath(new URL('../../../examples/vmi/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

test('the examples are there', (t) => {
  t.true(files.length >= 4, files.join(', '));
  for (const f of ['vmi-filesystem-pvc.yaml', 'vmi-block-pvc.yaml', 'vmi-compact.yaml', 'vmi-two-disks.yaml']) t.true(files.includes(f), f);
});

/** The notes (warnings) an example shows on purpose: its defaults and scheduling fields. */
const notes: Record<string, string[]> = {
  'vmi-design-example.yaml': ['CompactFormDefault', 'CompactFormDefault'],
  'vmi-devices.yaml': ['HandledByScheduler', 'HandledByScheduler', 'HandledByScheduler'],
};

for (const file of files) {
  test(`examples/vmi/${file} parses with no problems but its deliberate notes`, (t) => {
    const { spec, problems } = parseVmiText(readFileSync(dir + file, 'utf8'), { sourceName: file });
    t.deepEqual(problems.map((p) => p.reason), notes[file] ?? []);
    t.true(problems.every((p) => p.severity === 'warning'));
    t.truthy(spec);
    t.is(spec?.namespace, 'default');
    t.true((spec?.memoryBytes ?? 0) >= 128 * 2 ** 20);
    t.true(spec?.disks.some((d) => d.volumeName === 'rootdisk' || d.volumeName === 'my-fs-store'), 'a root volume');
  });
}

test('the two-disk example: rootdisk boots, datadisk carries a serial', (t) => {
  const { spec } = parseVmiText(readFileSync(dir + 'vmi-two-disks.yaml', 'utf8'));
  t.deepEqual(spec?.disks.map((d) => [d.volumeName, d.bootOrder, d.serial]), [['rootdisk', 1, undefined], ['datadisk', undefined, 'data01']]);
});

test('the Debian example: a masquerade NIC forwarding SSH, a NoCloud seed on its own disk', (t) => {
  const { spec } = parseVmiText(readFileSync(dir + 'vmi-debian-ssh.yaml', 'utf8'));
  t.like(spec?.interfaces?.[0], { name: 'default', binding: 'masquerade', ports: [{ name: 'ssh', protocol: 'tcp', port: 22 }] });
  t.like(spec?.cloudInit, { volumeName: 'cloudinit', dataSource: 'noCloud' });
  t.deepEqual(spec?.disks.map((d) => [d.volumeName, seedOf(d), d.readonly]), [['rootdisk', undefined, false], ['cloudinit', 'noCloud', true]]);
});
