// spec.domain.devices.disks (domain/manifest/vmi-disks.ts) at its edges: a name that is empty, null or of the wrong type,
// CD-ROM buses and read-only, the defaults a bare disk gets, the texts of its problems word for word, and the disk
// KubeVirt gives a volume no disk uses (addDefaultDisks).
import test from 'ava';
import { parseVmi } from '../../domain/manifest/index.js';
import type { Problems } from '../../domain/manifest/manifest-reader.js';
import { addDefaultDisks } from '../../domain/manifest/kubevirt-defaults.js';
import { parseDisks, type ParsedDisk } from '../../domain/manifest/vmi-disks.js';
import type { Problem } from '../../domain/problem.js';
import { pvc, vmi as baseVmi } from '../helpers/vmi-builder.js';

const D = 'spec.domain.devices.disks[0]';
const vmi = (disk: unknown, volume: Record<string, unknown> = pvc('root')) => baseVmi({ namespace: 'ns', disks: [disk], volumes: [volume] });
const errors = (disk: unknown) => parseVmi(vmi(disk)).problems.filter((p) => p.severity === 'error' && p.field?.startsWith(D))
  .map((p) => [p.reason, p.field, p.message, p.fix]);

const NAME_MISSING = ['FieldMissing', `${D}.name`, `${D}.name: a disk needs a name`, 'name the disk after the volume that backs it'];
const names: Array<[string, unknown, unknown[][]]> = [
  ['absent', { disk: {} }, [NAME_MISSING]],
  ['null', { name: null, disk: {} }, [NAME_MISSING]],
  ['empty', { name: '', disk: {} }, [NAME_MISSING]],
  ['a number: wrong type, said once', { name: 5, disk: {} }, [['FieldInvalid', `${D}.name`, `${D}.name: must be a string, not 5`, 'quote the value']]],
];
for (const [title, disk, expected] of names) {
  test(`vmi-disks: a disk name ${title}`, (t) => {
    t.deepEqual(errors(disk), expected);
  });
}

test('vmi-disks: a disk that is not an object says how to write one', (t) => {
  t.deepEqual(errors('root'), [['FieldInvalid', D, `${D}: a disk must be an object`, 'give each disk a name and a disk or cdrom target']]);
});

test('vmi-disks: a bare disk is a writable virtio disk; disk: {} the same', (t) => {
  for (const disk of [{ name: 'root' }, { name: 'root', disk: {} }]) {
    t.like(parseVmi(vmi(disk)).spec?.disks[0], { device: 'disk', bus: 'virtio', readonly: false });
  }
});

test('vmi-disks: a CD-ROM keeps its sata or scsi bus (sata by default) and is read-only, readonly: true or not', (t) => {
  const cd = (cdrom: Record<string, unknown>) => parseVmi(vmi({ name: 'root', cdrom }, { name: 'root', persistentVolumeClaim: { claimName: 'root', readOnly: true } })).spec?.disks[0];
  t.like(cd({ bus: 'scsi' }), { device: 'cdrom', bus: 'scsi', readonly: true });
  t.like(cd({}), { device: 'cdrom', bus: 'sata', readonly: true });
  t.like(cd({ readonly: true }), { device: 'cdrom', bus: 'sata', readonly: true });
});

test('vmi-disks: the parsed CD-ROM is read-only and on sata even when its bus was refused or its claim is writable', (t) => {
  const problems: Problems = [];
  const [cd] = parseDisks(problems, [{ name: 'iso', cdrom: { bus: 'virtio' } }], 'spec.domain.devices.disks');
  t.like(cd, { device: 'cdrom', bus: 'sata', readonly: true });
  t.deepEqual(problems.map((p) => p.field), ['spec.domain.devices.disks[0].cdrom.bus']);
  t.like(parseVmi(vmi({ name: 'root', cdrom: {} })).spec?.disks[0], { device: 'cdrom', readonly: true });
});

test('a volume no disk uses gets a writable virtio disk of its name, and a note saying so', (t) => {
  const problems: Problem[] = [];
  const listed: ParsedDisk = { name: 'root', volumeName: 'root', volumeField: 'spec.domain.devices.disks[0].name',
    field: 'spec.domain.devices.disks[0]', device: 'disk', bus: 'sata', readonly: false };
  const disks = addDefaultDisks(problems, [listed], [{ name: 'root', field: 'spec.volumes[0]' }, { name: 'data', field: 'spec.volumes[1]' }]);
  t.deepEqual(disks, [listed, {
    name: 'data', volumeName: 'data', volumeField: 'spec.volumes[1].name', field: 'spec.volumes[1]',
    device: 'disk', bus: 'virtio', readonly: false,
  }]);
  t.deepEqual(problems, [{
    reason: 'KubeVirtDefault', severity: 'warning', field: 'spec.volumes[1]', volume: 'data',
    message: 'spec.volumes[1]: no disk uses volume data; as in KubeVirt, it gets a virtio disk named data',
    fix: 'list a disk for data in spec.domain.devices.disks to choose its bus or boot order',
  }]);
});
