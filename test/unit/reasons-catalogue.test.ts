// The one catalogue of reason codes (domain/reasons.ts): every reason the code logs or reports is in it, the
// table in docs/reasons.md is generated from it, and hooks/README.md names exactly the hook reasons.
// Refresh docs/reasons.md after adding a reason: UPDATE_DOCS=1 npm run test:unit -- --match '*reason table*'
import test from 'ava';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALL_REASONS, REASONS, type ReasonInfo } from '../../domain/reasons.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const START = '<!-- reasons:start (generated from domain/reasons.ts) -->';
const END = '<!-- reasons:end -->';

const stageTitle: Record<ReasonInfo['stage'], string> = {
  manifest: 'manifest', volume: 'volume or image', host: 'host and runtime dir', cli: 'command line', stack: 'private stack', run: 'run', hook: 'hooks',
};

export function reasonsTable(): string {
  const rows = ALL_REASONS.map((r) => {
    const i: ReasonInfo = REASONS[r];
    const cell = (s: string) => s.replace(/\|/g, '\\|');
    return `| \`${r}\` | ${stageTitle[i.stage]} | ${i.severity} | ${i.exit ?? ''} | ${cell(i.means)} | ${cell(i.fix ?? '')} |`;
  });
  return [START, '| reason | where | severity | exit | means | fix |', '| --- | --- | --- | --- | --- | --- |', ...rows, END].join('\n');
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('every reason the launcher, hooks and domain code name is in the catalogue', (t) => {
  const known = new Set<string>(ALL_REASONS);
  const used = new Map<string, string>();
  for (const f of ['launcher', 'hooks', 'domain'].flatMap((d) => sourceFiles(join(repo, d))).filter((f) => !f.endsWith('reasons.ts'))) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/\breason: '([A-Za-z]+)'|\b(?:problem|fail)\('([A-Za-z]+)'|(?<![A-Za-z])Reason\.([A-Za-z]+)/g)) {
      const r = m[1] ?? m[2] ?? m[3]!;
      if (!used.has(r)) used.set(r, f.slice(repo.length));
    }
  }
  t.true(used.size > 50, `found ${used.size} reason uses`);
  for (const [r, where] of used) t.true(known.has(r), `${r} (used in ${where}) is not in domain/reasons.ts`);
});

test('reason codes are unique, PascalCase, with a meaning; errors and warnings carry a fix', (t) => {
  for (const r of ALL_REASONS) {
    t.regex(r, /^[A-Z][A-Za-z]+$/);
    const i: ReasonInfo = REASONS[r];
    t.true(i.means.length > 10, `${r} says what it means`);
    if (i.severity === 'error' && i.exit !== undefined && i.exit !== 0) t.truthy(i.fix, `${r} has a fix`);
  }
});

test('the reason table (docs/reasons.md) is generated from the catalogue', (t) => {
  const readme = join(repo, 'docs', 'reasons.md');
  const text = readFileSync(readme, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  const table = reasonsTable();
  if (process.env.UPDATE_DOCS === '1') {
    if (a < 0 || b < 0) return t.fail(`docs/reasons.md has no ${START} ... ${END} markers to fill`);
    writeFileSync(readme, text.slice(0, a) + table + text.slice(b + END.length));
    return t.pass();
  }
  t.true(a >= 0 && b > a, 'docs/reasons.md holds the generated table between its markers');
  t.is(text.slice(a, b + END.length), table, 'docs/reasons.md differs from domain/reasons.ts: run with UPDATE_DOCS=1');
});

test('hooks/README.md names exactly the hook reasons of the catalogue', (t) => {
  const text = readFileSync(join(repo, 'hooks', 'README.md'), 'utf8');
  const named = new Set([...text.matchAll(/`(Hooks?[A-Z][A-Za-z]+)`/g)].map((m) => m[1]!));
  const hookReasons = ALL_REASONS.filter((r) => REASONS[r].stage === 'hook');
  t.deepEqual([...named].sort(), [...hookReasons].sort());
});
