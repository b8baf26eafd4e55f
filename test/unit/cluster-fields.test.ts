// The two tables of fields that belong to the cluster (domain/manifest/cluster-fields.ts): every entry must tell the user
// something. A refusal that reads "needs undefined" or a fix that is empty leaves someone at 3 a.m. with nothing;
// these check every entry's texts and that the scheduler's fields become notes only when they hold a value.
import test from 'ava';
import { clusterFieldProblem, HOTPLUG, NEEDS_CLUSTER, SCHEDULER_FIELDS } from '../../domain/manifest/cluster-fields.js';
import { parseVmi } from '../../domain/manifest/index.js';
import { pvc, vmi } from '../helpers/vmi-builder.js';

test('every field that needs the cluster says what it needs, and what to do instead', (t) => {
  const entries = Object.entries(NEEDS_CLUSTER);
  t.true(entries.length >= 15, "the table is read, not empty");
  for (const [key, c] of [...entries, ['hotpluggable', HOTPLUG] as const]) {
    const p = clusterFieldProblem(key, `spec.x.${key}`, c);
    t.is(p?.reason, 'FieldNeedsCluster', key);
    // "needs <something of at least two words>; ..." and never the text of a missing value
    t.regex(p?.message ?? '', new RegExp(`^spec\\.x\\.${key}: needs \\S+ \\S.{8,}; vm-launcher runs alone in the pod$`), key);
    t.notRegex(p?.message ?? '', /undefined/, key);
    t.regex(p?.fix ?? '', /^(remove|put|use|create|bake|write) \S/, `${key}: the fix is an instruction`);
  }
});

test('a key that only looks like a cluster field is not one (own keys only)', (t) => {
  for (const key of ['constructor', 'toString', 'hasOwnProperty', 'containerdisk', 'image']) t.is(clusterFieldProblem(key, `spec.${key}`), undefined, key);
});

const specWith = (fields: Record<string, unknown>) => vmi({ namespace: 'ns', disks: [{ name: 'root' }], volumes: [pvc('root')], spec: fields });

test('every scheduler field with a value is a note saying what the scheduler did; a null one is no note', (t) => {
  const keys = Object.keys(SCHEDULER_FIELDS);
  const values: Record<string, unknown> = {
    nodeSelector: { disk: 'ssd' }, affinity: {}, tolerations: [], topologySpreadConstraints: [], schedulerName: 'x',
    priorityClassName: 'high', evictionStrategy: 'LiveMigrate',
  };
  t.deepEqual(Object.keys(values).sort(), [...keys].sort(), 'the test covers every scheduler field');
  const notes = parseVmi(specWith(values)).problems.filter((p) => p.reason === 'HandledByScheduler');
  t.deepEqual(notes.map((p) => p.field).sort(), keys.map((k) => `spec.${k}`).sort());
  for (const p of notes) {
    t.not(p.severity, 'error');
    t.regex(p.message, /^spec\.\w+: handled by the scheduler \((Kubernetes|the scheduler|this scheduler) \S.{8,}\); nothing for the launcher to do$/, p.message);
  }
  const none = parseVmi(specWith(Object.fromEntries(keys.map((k) => [k, null]))));
  t.deepEqual(none.problems.filter((p) => p.reason === 'HandledByScheduler'), []);
  t.truthy(none.spec);
});
