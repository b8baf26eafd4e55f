// The name rules of domain/manifest/names.ts, one table per rule: every row pins an anchor, a character class, a quantifier
// or a length bound that `npm run mutation` could otherwise change without a test failing.
import test from 'ava';
import { isDiskSerial, isDns1123Label, isDns1123Subdomain, isUuid } from '../../domain/manifest/index.js';

// `unknown`: under mutation a rule may be instrumented as `() => undefined`, which must still compile.
type Rule = [string, (s: string) => unknown, Array<[string, boolean]>];

const label63 = 'a'.repeat(63);
const rules: Rule[] = [
  ['DNS-1123 label', isDns1123Label, [
    ['a', true], ['0', true], ['a-b', true], ['abcd', true], ['a--9', true], [label63, true],
    ['', false], ['-a', false], ['a-', false], ['A', false], ['a_b', false], ['a.b', false], ['a/b', false],
    ['..', false], [' a', false], ['a\n', false], ['a'.repeat(64), false],
  ]],
  ['DNS-1123 subdomain', isDns1123Subdomain, [
    ['a', true], ['a.b', true], ['abcd.e-f.g', true],
    // 253 characters is the limit: four labels, the last one shortened to reach exactly 253 / 254
    [`${label63}.${label63}.${label63}.${'a'.repeat(61)}`, true],
    [`${label63}.${label63}.${label63}.${'a'.repeat(62)}`, false],
    ['', false], ['.a', false], ['a.', false], ['a..b', false], ['A.b', false], ['a_b.c', false], ['-a.b', false],
  ]],
  ['disk serial', isDiskSerial, [
    ['a', true], ['Z', true], ['9', true], ['a_b.c+d-e', true], ['x'.repeat(20), true], ['AbC123', true],
    ['', false], ['x'.repeat(21), false], ['a b', false], ['a/b', false], ['a\n', false], ['é', false], ['a:b', false],
  ]],
  ['UUID', isUuid, [
    ['01234567-89ab-cdef-0123-456789abcdef', true], ['01234567-89AB-CDEF-0123-456789ABCDEF', true],
    ['01234567-89ab-cdef-0123-456789abcde', false], // one short
    ['01234567-89ab-cdef-0123-456789abcdef0', false], // one long
    ['x01234567-89ab-cdef-0123-456789abcdef', false],
    ['0123456-789ab-cdef-0123-456789abcdef', false],
    ['012345678-9ab-cdef-0123-456789abcdef', false],
    ['01234567-89abc-def-0123-456789abcdef', false],
    ['01234567-89ab-cdef0-123-456789abcdef', false],
    ['01234567-89ab-cdef-01234-56789abcdef', false],
    ['g1234567-89ab-cdef-0123-456789abcdef', false], ['01234567-g9ab-cdef-0123-456789abcdef', false],
    ['01234567-89ab-gdef-0123-456789abcdef', false], ['01234567-89ab-cdef-g123-456789abcdef', false],
    ['01234567-89ab-cdef-0123-g56789abcdef', false],
    ['01234567089ab-cdef-0123-456789abcdef', false], ['', false],
  ]],
];

for (const [rule, accepts, cases] of rules) {
  for (const [input, ok] of cases) {
    test(`${rule} ${input.length > 40 ? `${input.slice(0, 3)}...(${input.length} characters)` : JSON.stringify(input)}: ${ok ? 'accepted' : 'refused'}`, (t) => {
      t.is(accepts(input), ok);
    });
  }
}
