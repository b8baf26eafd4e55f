// emptyDisk and ephemeral volumes (domain/manifest/vmi-created-disks.ts) read by parseEmptyDisk and parseEphemeral
// directly: a source that is not an object, a capacity that is missing, null, of the wrong type or below 1Mi, a
// missing or null persistentVolumeClaim, every problem word for word (with its volume), and when the PVC parser
// is asked at all.
import test from 'ava';
import { parseEmptyDisk, parseEphemeral } from '../../domain/manifest/vmi-created-disks.js';
import type { Obj, Problems } from '../../domain/manifest/manifest-reader.js';

const V = 'spec.volumes[1]';
const CAP = `${V}.emptyDisk.capacity`;
const rows = (problems: Problems) => problems.map((p) => [p.reason, p.field, p.volume, p.message, p.fix]);

const emptyDisk = (item: Obj) => {
  const problems: Problems = [];
  const out = parseEmptyDisk(problems, item, V, 'scratch');
  return { out, problems: rows(problems) };
};

const NO_CAPACITY = ['FieldMissing', CAP, 'scratch', `${CAP}: an emptyDisk needs a capacity`, 'set capacity, e.g. 2Gi'];
const notQuantity = (raw: string) => ['FieldInvalid', CAP, 'scratch', `${CAP}: ${raw} is not a quantity`, 'write a Kubernetes quantity such as 2Gi'];
const belowMiB = (raw: string) => ['FieldInvalid', CAP, 'scratch', `${CAP}: ${raw} is below 1Mi; disks are made in whole MiB`, 'give at least 1Mi'];
const beyondQemu = (bytes: number) => ['FieldInvalid', CAP, 'scratch', `${CAP}: ${BigInt(bytes)} bytes is beyond QEMU's largest disk (9223372035781033984 bytes, 8 EiB - 1 GiB)`,
  'give a capacity of at most 8Ei - 1Gi (in practice: what the ephemeral dir\'s filesystem holds)'];
const NOT_OBJECT = ['FieldInvalid', `${V}.emptyDisk`, undefined, `${V}.emptyDisk: must be an object`, 'write it as a mapping of keys to values'];

const MiB = 2 ** 20;
// [title, emptyDisk, problems, capacityBytes taken (undefined: none)]
const capacities: Array<[string, unknown, unknown[][], number | undefined]> = [
  ['2Gi', { capacity: '2Gi' }, [], 2 * 2 ** 30],
  ['a number of bytes, rounded down to a whole MiB', { capacity: 3 * MiB + 5 }, [], 3 * MiB],
  ['exactly 1Mi', { capacity: '1Mi' }, [], MiB],
  ['absent', {}, [NO_CAPACITY], undefined],
  ['null is absent', { capacity: null }, [NO_CAPACITY], undefined],
  ['garbage', { capacity: 'lots' }, [notQuantity('"lots"')], undefined],
  ['a boolean', { capacity: true }, [notQuantity('true')], undefined],
  ['a list', { capacity: ['1Gi'] }, [notQuantity('["1Gi"]')], undefined],
  ['below 1Mi', { capacity: '1023Ki' }, [belowMiB('"1023Ki"')], undefined],
  ['zero', { capacity: 0 }, [belowMiB('0')], undefined],
  ['not an object', '2Gi', [NOT_OBJECT], undefined],
  // QEMU opens at most 8 EiB - 1 GiB (BDRV_MAX_LENGTH): a larger emptyDisk was created by run, then refused by QEMU.
  ['exactly QEMU\'s largest disk, 8Ei - 1Gi', { capacity: 2 ** 63 - 2 ** 30 }, [], 2 ** 63 - 2 ** 30],
  ['one MiB beyond QEMU\'s largest disk', { capacity: 2 ** 63 - 2 ** 30 + MiB }, [beyondQemu(2 ** 63 - 2 ** 30 + MiB)], undefined],
  ['8Ei', { capacity: '8Ei' }, [beyondQemu(2 ** 63)], undefined],
];
for (const [title, ed, problems, capacityBytes] of capacities) {
  test(`vmi-created-disks › emptyDisk capacity ${title}`, (t) => {
    const r = emptyDisk({ name: 'scratch', emptyDisk: ed });
    t.deepEqual(r.problems, problems);
    t.deepEqual(r.out, capacityBytes === undefined ? undefined : { kind: 'emptyDisk', capacityBytes });
  });
}

test('vmi-created-disks › no emptyDisk (absent or null): nothing taken, nothing said', (t) => {
  for (const item of [{ name: 'scratch' }, { name: 'scratch', emptyDisk: null }]) {
    t.deepEqual(emptyDisk(item), { out: undefined, problems: [] });
  }
});

// ---------------------------------------------------------------------------------------------- ephemeral
const EPH = `${V}.ephemeral`;
const ephemeral = (item: Obj) => {
  const problems: Problems = [];
  const asked: unknown[] = [];
  const out = parseEphemeral(problems, item, V, 'scratch', (_problems, obj, field, volume) => {
    asked.push([obj, field, volume]);
    return { kind: 'pvc', claimName: 'golden' };
  });
  return { out, problems: rows(problems), asked };
};
const NO_PVC = ['FieldMissing', `${EPH}.persistentVolumeClaim`, 'scratch', `${EPH}.persistentVolumeClaim: missing`,
  'name the PVC whose disk.img backs the ephemeral disk'];

test('vmi-created-disks › ephemeral: the PVC parser reads the claim under ephemeral', (t) => {
  const eph = { persistentVolumeClaim: { claimName: 'golden' } };
  t.deepEqual(ephemeral({ name: 'scratch', ephemeral: eph }), {
    out: { kind: 'ephemeral', claimName: 'golden' }, problems: [], asked: [[eph, EPH, 'scratch']],
  });
});

const ephCases: Array<[string, unknown, unknown[][]]> = [
  ['without persistentVolumeClaim', {}, [NO_PVC]],
  ['with persistentVolumeClaim null', { persistentVolumeClaim: null }, [NO_PVC]],
  ['not an object', 'golden', [['FieldInvalid', EPH, undefined, `${EPH}: must be an object`, 'write it as a mapping of keys to values']]],
];
for (const [title, eph, problems] of ephCases) {
  test(`vmi-created-disks › ephemeral ${title}: refused, the PVC parser not asked`, (t) => {
    t.deepEqual(ephemeral({ name: 'scratch', ephemeral: eph }), { out: undefined, problems, asked: [] });
  });
}

test('vmi-created-disks › no ephemeral (absent or null): nothing taken, nothing said', (t) => {
  for (const item of [{ name: 'scratch' }, { name: 'scratch', ephemeral: null }]) {
    t.deepEqual(ephemeral(item), { out: undefined, problems: [], asked: [] });
  }
});
