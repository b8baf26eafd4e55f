// What every table of manifest refusals checks, in one place: the errors as sorted [reason, field] pairs, and that
// each problem has a fix and a message of the form "<field>: <what is wrong>" (never a bare field).
import type { ExecutionContext } from 'ava';
import { parseVmi } from '../../domain/manifest/index.js';

type Doc = Record<string, unknown>;

export const errorsOf = (doc: Doc): Array<[string, string]> =>
  parseVmi(doc).problems.filter((p) => p.severity === 'error').map((p): [string, string] => [p.reason, p.field ?? '']).sort();

export function assertRefused(t: ExecutionContext, doc: Doc, expected: ReadonlyArray<[string, string]>): void {
  t.deepEqual(errorsOf(doc), [...expected].sort());
  for (const p of parseVmi(doc).problems) {
    t.truthy(p.fix, `${p.reason} has a fix`);
    t.true(p.message.startsWith(`${p.field}: `) && p.message.length > `${p.field}: `.length + 5, p.message);
  }
}
