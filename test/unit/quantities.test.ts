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
