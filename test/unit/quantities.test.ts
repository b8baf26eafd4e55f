// Kubernetes quantities (domain/manifest/quantity.ts) as bytes: the forms a manifest writes, the values refused, and
// the grammar's and arithmetic's edges (rounding up to a whole byte, the exponent guard).
import test from 'ava';
import { parseQuantity } from '../../domain/manifest/index.js';

const good: Array<[string | number, number]> = [
  ['128Mi', 128 * 2 ** 20],
  ['4096M', 4_096_000_000],
  ['1G', 1e9],
  ['1Gi', 2 ** 30],
  ['512Ki', 512 * 1024],
  ['1e9', 1e9],
  ['1E3', 1000],
  ['2e-3', 1], // rounded up to whole bytes, like Kubernetes' Value()
  ['1E', 1e18],
  ['1.5Gi', 1.5 * 2 ** 30],
  ['1.1M', 1_100_000], // exact, no floating-point residue
  ['0.5Ki', 512],
  ['.5Ki', 512],
  ['1k', 1000],
  ['100m', 1], // 0.1 byte rounds up
  ['1Ti', 2 ** 40],
  ['0', 0],
  ['+64Mi', 64 * 2 ** 20],
  ['1073741824', 2 ** 30],
  [134217728, 134217728],
  [1e9, 1e9],
  [0.5, 1],
];

for (const [input, bytes] of good) {
  test(`parseQuantity(${typeof input === "number" ? String(input) : JSON.stringify(input)}) = ${bytes}`, (t) => {
    t.is(parseQuantity(input), bytes);
  });
}

const garbage: Array<string | number> = [
  '', ' 1Gi', '1Gi ', '1 Gi', 'Gi', '1GB', '1gi', '1K', '1MiB', '-1Gi', '-5', '1..5', '1.5.5', 'abc', '0x10',
  '1e', '1e999999', 'NaN', 'Infinity', '1,5Gi', -1, Number.NaN, Number.POSITIVE_INFINITY,
];

for (const input of garbage) {
  test(`parseQuantity(${typeof input === "number" ? String(input) : JSON.stringify(input)}) is undefined`, (t) => {
    t.is(parseQuantity(input), undefined);
  });
}

test('parseQuantity refuses values that are not strings or numbers', (t) => {
  t.is(parseQuantity({} as unknown as string), undefined);
  t.is(parseQuantity(null as unknown as string), undefined);
});

// The grammar and arithmetic edges `npm run mutation` found unpinned (fractions, exponents and their guard, n/u/m).
// [input, bytes] (undefined: refused). Each row pins a part of the grammar or the arithmetic.
const quantities: Array<[string | number | unknown[], number | undefined]> = [
  ['1.25Gi', 1.25 * 2 ** 30], // two-digit fraction
  ['0.125Ki', 128],
  ['.25Ki', 256], // fraction without a whole part, two digits
  ['1.', 1], // a trailing dot is a valid quantity
  ['1e12', 1e12], // multi-digit exponent
  ['5E+10', 5e10],
  ['1e-12', 1], // rounded up to a whole byte
  ['1e100', 1e100], // the largest exponent accepted
  ['1e-100', 1],
  ['1e101', undefined], // the exponent guard: BigInt math on 10^huge would hang
  ['1e-101', undefined],
  ['1e99999999999999999999', undefined], // not even a safe integer
  ['1n', 1], // nano: 1e-9 of a byte rounds up to 1, never to a gigabyte
  ['2000000000n', 2],
  ['1u', 1], // micro
  ['2500000u', 3],
  ['1500m', 2],
  ['1M', 1e6],
  ['1T', 1e12],
  ['1P', 1e15],
  ['1Pi', 2 ** 50],
  ['1Ei', 2 ** 60],
  [0, 0],
  [0.1, 1],
  [['1Gi'], undefined], // a one-element array must not be read as its only string
  [true as unknown as number, undefined],
];

for (const [input, bytes] of quantities) {
  test(`quantity ${JSON.stringify(input)} -> ${bytes ?? 'refused'}`, (t) => {
    t.is(parseQuantity(input as string), bytes);
  });
}
