// A disk's extras (domain/manifest/vmi-disk-extras.ts) read by parseDiskExtras directly: blockSize.custom at its bounds
// (512 and 2 MiB, powers of two, physical at least logical), missing versus null versus a wrong value, matchVolume,
// and every problem word for word; which keys are set only when given (blockSize, discardGranularity).
import test from 'ava';
import { parseDiskExtras } from '../../domain/manifest/vmi-disk-extras.js';
import type { Problems } from '../../domain/manifest/manifest-reader.js';

const D = 'spec.domain.devices.disks[0]';
const C = `${D}.blockSize.custom`;
const parse = (item: Record<string, unknown>) => {
  const problems: Problems = [];
  const out = parseDiskExtras(problems, item, D);
  return { out, problems: problems.map((p) => [p.reason, p.field, p.message, p.fix]) };
};
const custom = (sizes: Record<string, unknown>) => parse({ blockSize: { custom: sizes } });

const missing = (key: string) => ['FieldMissing', `${C}.${key}`, `${C}.${key}: missing`, 'give both logical and physical, e.g. 512 and 4096'];
const notBlockSize = (key: string, v: number) => ['FieldInvalid', `${C}.${key}`, `${C}.${key}: ${v} is not a power of two from 512 to 2097152`, 'use 512 or 4096'];
const wrongValue = (key: string, v: unknown) => ['FieldInvalid', `${C}.${key}`, `${C}.${key}: must be an integer >= 512, not ${JSON.stringify(v)}`, 'write a whole number >= 512'];
const below = (physical: number, logical: number) => ['FieldInvalid', `${C}.physical`, `${C}.physical: ${physical} is below the logical size ${logical}`, 'make physical at least logical'];

// [title, custom, problems, blockSize taken (undefined: none)]
const sizes: Array<[string, Record<string, unknown>, unknown[][], unknown]> = [
  ['512/4096', { logical: 512, physical: 4096 }, [], { logical: 512, physical: 4096 }],
  ['equal sizes', { logical: 4096, physical: 4096 }, [], { logical: 4096, physical: 4096 }],
  ['2097152 (2 MiB) is the largest', { logical: 2097152, physical: 2097152 }, [], { logical: 2097152, physical: 2097152 }],
  ['with discardGranularity 0', { logical: 512, physical: 512, discardGranularity: 0 }, [], { logical: 512, physical: 512, discardGranularity: 0 }],
  ['4194304 is too large', { logical: 512, physical: 4194304 }, [notBlockSize('physical', 4194304)], undefined],
  ['1000 is not a power of two (logical)', { logical: 1000, physical: 4096 }, [notBlockSize('logical', 1000)], undefined],
  ['3000 is not a power of two (physical)', { logical: 4096, physical: 3000 }, [notBlockSize('physical', 3000)], undefined],
  ['physical below logical', { logical: 4096, physical: 512 }, [below(512, 4096)], undefined],
  ['logical absent', { physical: 4096 }, [missing('logical')], undefined],
  ['physical absent', { logical: 512 }, [missing('physical')], undefined],
  ['both absent', {}, [missing('logical'), missing('physical')], undefined],
  ['logical null is absent', { logical: null, physical: 4096 }, [missing('logical')], undefined],
  ['physical null is absent', { logical: 512, physical: null }, [missing('physical')], undefined],
  ['logical 256: below the minimum, said once', { logical: 256, physical: 4096 }, [wrongValue('logical', 256)], undefined],
  ['physical a string: wrong type, said once', { logical: 512, physical: '4096' }, [wrongValue('physical', '4096')], undefined],
];
for (const [title, sizesGiven, problems, blockSize] of sizes) {
  test(`vmi-disk-extras › blockSize.custom ${title}`, (t) => {
    const r = custom(sizesGiven);
    t.deepEqual(r.problems, problems);
    t.deepEqual(r.out.blockSize, blockSize);
    t.is('blockSize' in r.out, blockSize !== undefined, 'no blockSize key holding undefined');
    if (r.out.blockSize) t.is('discardGranularity' in r.out.blockSize, 'discardGranularity' in sizesGiven);
  });
}

const MATCH_VOLUME = ['FieldNotSupported', `${D}.blockSize.matchVolume`,
  `${D}.blockSize.matchVolume: not supported; vm-launcher does not read the volume's block sizes`,
  'give the sizes with blockSize.custom (logical, physical)'];
test('vmi-disk-extras › blockSize.matchVolume is refused word for word; null is absent', (t) => {
  t.deepEqual(parse({ blockSize: { matchVolume: { enabled: true } } }).problems, [MATCH_VOLUME]);
  t.deepEqual(parse({ blockSize: { matchVolume: {} } }).problems, [MATCH_VOLUME]);
  const nullMatch = parse({ blockSize: { matchVolume: null, custom: { logical: 512, physical: 512 } } });
  t.deepEqual(nullMatch.problems, []);
  t.deepEqual(nullMatch.out, { blockSize: { logical: 512, physical: 512 } });
});

test('vmi-disk-extras › blockSize without custom: nothing taken, no blockSize key', (t) => {
  for (const blockSize of [{}, { matchVolume: null }, { custom: null }]) {
    const r = parse({ blockSize });
    t.deepEqual(r.problems, []);
    t.false('blockSize' in r.out, JSON.stringify(blockSize));
  }
});

test('vmi-disk-extras › a bare disk has no extras; each extra only when given', (t) => {
  t.deepEqual(parse({}).out, {});
  t.deepEqual(parse({ dedicatedIOThread: false, shareable: false, errorPolicy: 'report' }).out,
    { dedicatedIOThread: false, shareable: false, errorPolicy: 'report' });
});
