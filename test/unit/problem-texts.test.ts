// problem() and fail(), the one way problems are made, and the run-strategy problems, word for word: severity and
// default fix come from the catalogue, a given fix wins, and a reason without a fix leaves no fix key.
import test from 'ava';
import { fail, LauncherError, problem, type Problem } from '../../domain/problem.js';
import { REASONS } from '../../domain/reasons.js';
import { readRunStrategy } from '../../domain/manifest/vm-run-strategy.js';
import { startRefusals } from '../../domain/manifest/index.js';

test('problem-texts › a problem gets its severity and fix from the catalogue', (t) => {
  t.deepEqual(problem('VmHalted', 'm', { field: 'spec.x' }), {
    reason: 'VmHalted', severity: 'error', message: 'm', field: 'spec.x', fix: REASONS.VmHalted.fix,
  });
  t.deepEqual(problem('KubeVirtDefault', 'n'), { reason: 'KubeVirtDefault', severity: 'warning', message: 'n', fix: REASONS.KubeVirtDefault.fix });
});

test('problem-texts › a given fix wins over the catalogue', (t) => {
  t.is(problem('VmHalted', 'm', { fix: 'do this' }).fix, 'do this');
});

test('problem-texts › a reason without a catalogue fix and none given has no fix key', (t) => {
  const p = problem('QemuKilled', 'm', { volume: 'root' });
  t.deepEqual(p, { reason: 'QemuKilled', severity: 'warning', message: 'm', volume: 'root' });
  t.false('fix' in p);
});

test('problem-texts › fail throws a LauncherError that carries the problem and dispatches on its reason', (t) => {
  const e = t.throws(() => fail('VmHalted', 'halted', { field: 'spec.runStrategy' }), { instanceOf: LauncherError });
  t.is(e?.name, 'LauncherError');
  t.is(e?.message, 'halted');
  t.is(e?.reason, 'VmHalted');
  t.deepEqual(e?.problem, problem('VmHalted', 'halted', { field: 'spec.runStrategy' }));
});

test('problem-texts › running and runStrategy together are refused, and runStrategy wins', (t) => {
  const problems: Problem[] = [];
  t.is(readRunStrategy(problems, { runStrategy: 'Manual', running: true }), 'Manual');
  t.deepEqual(problems, [{
    reason: 'FieldInvalid', severity: 'error', field: 'spec.running',
    message: 'spec.running: running and runStrategy exclude each other (KubeVirt refuses both)',
    fix: 'keep spec.runStrategy and remove spec.running',
  }]);
});

test('problem-texts › runStrategy WaitAsReceiver needs live migration: refused, no strategy', (t) => {
  const problems: Problem[] = [];
  t.is(readRunStrategy(problems, { runStrategy: 'WaitAsReceiver' }), undefined);
  t.deepEqual(problems, [{
    reason: 'FieldNeedsCluster', severity: 'error', field: 'spec.runStrategy',
    message: 'spec.runStrategy: needs KubeVirt\'s live migration (WaitAsReceiver is a migration target); vm-launcher runs alone in the pod',
    fix: 'use runStrategy: Always',
  }]);
});

// [spec, strategy] for the older `running`
const runningTable: Array<[Record<string, unknown>, string | undefined]> = [
  [{ running: true }, 'Always'], [{ running: false }, 'Halted'], [{}, undefined], [{ runStrategy: 'Once' }, 'Once'],
];
for (const [spec, strategy] of runningTable) {
  test(`problem-texts › VirtualMachine spec ${JSON.stringify(spec)} runs as ${strategy ?? 'nothing said'}`, (t) => {
    const problems: Problem[] = [];
    t.is(readRunStrategy(problems, spec) as string | undefined, strategy);
    t.deepEqual(problems, []);
  });
}

test('problem-texts › a halted VirtualMachine is refused at start, word for word; any other strategy starts', (t) => {
  t.deepEqual(startRefusals({ runStrategy: 'Halted' }), [{
    reason: 'VmHalted', severity: 'error', field: 'spec.runStrategy',
    message: 'spec.runStrategy: the VirtualMachine is halted (runStrategy: Halted or running: false); KubeVirt would not start it, nor does vm-launcher',
    fix: 'set spec.runStrategy: Always (or Manual) to run it',
  }]);
  t.deepEqual(startRefusals({ runStrategy: 'Always' }), []);
  t.deepEqual(startRefusals({}), []);
});
