// flowDepth: the [ / { nesting a manifest's text asks of the YAML parser, counted before parsing (manifest-limits.ts).
// Each row is a case the scan must get right: quotes, escapes, comments and stray closers all change the count.
import test from 'ava';
import { flowDepth, MAX_FLOW_DEPTH } from '../../domain/manifest/manifest-limits.js';

// [text, deepest nesting outside strings and comments, why]
const depthTable: Array<[string, number, string]> = [
  ['a: [[1]]', 2, 'plain brackets'],
  ['a: {b: {c: 1}}', 2, 'braces count like brackets'],
  ['a: [{}]', 2, 'brackets and braces mixed'],
  ['a: [] [] []', 1, 'closed brackets give their depth back'],
  ['a: {} {} {}', 1, 'closed braces give their depth back'],
  ['a: ]] [[', 2, 'a closer with nothing open does not make the depth negative'],
  ['a: }} {{', 2, 'a brace closer with nothing open does not make the depth negative'],
  ['a: "[[["', 0, 'brackets inside a double-quoted string'],
  ["a: '{{{'", 0, 'braces inside a single-quoted string'],
  ['"[[[" [', 1, 'a quote at the very start of the text opens a string'],
  ['a: "x\\"[[[" [', 1, 'an escaped double quote does not end the string'],
  ['a: "x" [[', 2, 'a double-quoted string ends at its quote'],
  ["a: 'x\\' [[", 2, 'a backslash escapes nothing in a single-quoted string'],
  ["a: 'x' [[", 2, 'a single-quoted string ends at its quote'],
  ["a: it's [[", 2, 'a quote inside a plain word opens no string'],
  ["a: x' [[ '", 2, 'a quote after a letter opens no string even before a space'],
  ['a: x # [[[', 0, 'a comment after a space hides the rest of its line'],
  ['# [[[\na: [', 1, 'a comment at the start of the text'],
  ['a: [ # [[[\nb: [[', 3, 'a comment ends at its newline (the first bracket is still open)'],
  ['a: [ # [[[', 1, 'a comment with no newline ends the text'],
  ['a: x#[[', 2, 'a # inside a plain word starts no comment'],
  ['a: x #[[\nb: [', 1, 'a # after a space starts a comment even when a bracket follows'],
  ['', 0, 'empty text'],
];
for (const [text, depth, why] of depthTable) {
  test(`manifest-limits › ${why}: ${JSON.stringify(text)} nests ${depth} deep`, (t) => {
    t.is(flowDepth(text), depth);
  });
}

test('manifest-limits › the scan stops one past the limit, not at the end of a deeper text', (t) => {
  t.is(flowDepth('['.repeat(MAX_FLOW_DEPTH)), MAX_FLOW_DEPTH);
  t.is(flowDepth('['.repeat(MAX_FLOW_DEPTH + 1)), MAX_FLOW_DEPTH + 1);
  t.is(flowDepth('['.repeat(400_000)), MAX_FLOW_DEPTH + 1);
});
