#!/usr/bin/env node
/* global console, process */
// Prints a Stryker JSON report (default reports/mutation/mutation.json) as a score per file and one line per
// mutant that was not detected (file:line mutator `replacement`), the list docs/mutation-equivalents.md explains.
// Several reports (runs of different `--mutate` sets, e.g. one per file, then a re-run of a line range after new
// tests) are merged mutant by mutant: a mutant of a later report (same file, span, mutator and replacement)
// replaces the earlier result. Only valid while the mutated source is unchanged between the runs (else `whole:`).
import { readFileSync } from 'node:fs';

// A report named as `whole:PATH` ran its files whole (after their source changed): every earlier mutant of those
// files is dropped, not merged, since its line and column may no longer mean the same code.
const paths = process.argv.length > 2 ? process.argv.slice(2) : ['reports/mutation/mutation.json'];
const merged = new Map(); // file -> Map(mutant key -> mutant)
for (const arg of paths) {
  const whole = arg.startsWith('whole:');
  const path = whole ? arg.slice('whole:'.length) : arg;
  for (const [file, { mutants }] of Object.entries(JSON.parse(readFileSync(path, 'utf8')).files)) {
    const byKey = (!whole && merged.get(file)) || new Map();
    for (const m of mutants) {
      const { start, end } = m.location;
      byKey.set(`${start.line}:${start.column}-${end.line}:${end.column}:${m.mutatorName}:${m.replacement}`, m);
    }
    merged.set(file, byKey);
  }
}
const report = { files: Object.fromEntries([...merged].map(([file, byKey]) => [file, { mutants: [...byKey.values()] }])) };
const DETECTED = new Set(['Killed', 'Timeout']);
const COUNTED = new Set(['Killed', 'Timeout', 'Survived', 'NoCoverage']);
const pct = (k, n) => (n === 0 ? 'n/a' : `${((100 * k) / n).toFixed(1)} %`);
let killed = 0;
let counted = 0;
const undetected = [];
for (const [file, { mutants }] of Object.entries(report.files).sort()) {
  const c = mutants.filter((m) => COUNTED.has(m.status));
  const k = c.filter((m) => DETECTED.has(m.status)).length;
  killed += k;
  counted += c.length;
  console.log(`${pct(k, c.length).padStart(8)}  ${String(k).padStart(4)}/${String(c.length).padEnd(4)} ${file}`);
  for (const m of c.filter((x) => !DETECTED.has(x.status))) {
    undetected.push(`${file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} ${m.status}: ${JSON.stringify(m.replacement ?? '')}`);
  }
}
console.log(`${pct(killed, counted).padStart(8)}  ${String(killed).padStart(4)}/${String(counted).padEnd(4)} all\n`);
for (const line of undetected) console.log(line);
// MUTATION_BREAK=90: exit 1 below that score (for a scheduled CI job).
const breakAt = Number(process.env.MUTATION_BREAK ?? 0);
if (counted > 0 && (100 * killed) / counted < breakAt) {
  console.log(`\nmutation score below ${breakAt} %`);
  process.exitCode = 1;
}
