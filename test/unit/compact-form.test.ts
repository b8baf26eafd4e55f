// The compact form's expansion as a table: which document gets which default, the name taken from the file, and
// each note word for word (pinned after mutation testing found the name rules and the notes unchecked).
import test from 'ava';
import { expandCompactForm, nameFromSource } from '../../domain/manifest/compact-form.js';
import type { Problem } from '../../domain/problem.js';

const names: Array<[string | undefined, string, string]> = [
  ['my-vm.yaml', 'my-vm', 'the file name my-vm.yaml'],
  ['/etc/vm-launcher/db-1.yml', 'db-1', 'the file name /etc/vm-launcher/db-1.yml'],
  ['dir/sub/web.JSON', 'web', 'the file name dir/sub/web.JSON'],
  ['vm.yml.yaml', 'vm.yml', 'the file name vm.yml.yaml'],
  ['/a\nb/c.yaml', 'c', 'the file name /a\nb/c.yaml'],
  ['My_VM.yaml', 'vmi', 'the fixed default'],
  ['.yaml', 'vmi', 'the fixed default'],
  [undefined, 'vmi', 'the fixed default'],
];
for (const [source, name, from] of names) {
  test(`compact form: the VM named after ${JSON.stringify(source)} is ${name}`, (t) => {
    t.deepEqual(nameFromSource(source), { name, from });
  });
}

/** Expands `doc`; the expanded document and the notes as [field, message]. */
function expand(doc: Record<string, unknown>, sourceName?: string) {
  const problems: Problem[] = [];
  const full = expandCompactForm(doc, problems, sourceName === undefined ? {} : { sourceName });
  return { full: full as Record<string, any>, notes: problems.map((p) => [p.reason, p.field, p.message, p.fix]) }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const NAME_NOTE = (name: string, from: string) => ['CompactFormDefault', 'metadata.name', `metadata.name: not given; the compact form names the VM ${name} (from ${from})`, 'set metadata.name to choose the name'];
const MEMORY_NOTE = ['CompactFormDefault', 'spec.domain.memory.guest', 'spec.domain.memory.guest: not given; the compact form gives the guest 256Mi', 'set spec.domain.memory.guest (e.g. 1Gi) to choose the size'];

test('compact form: the notes word for word; kind, apiVersion, name and memory filled in', (t) => {
  const { full, notes } = expand({ kind: 'VMI', spec: { domain: {} } }, 'app.yaml');
  t.deepEqual(notes, [NAME_NOTE('app', 'the file name app.yaml'), MEMORY_NOTE]);
  t.like(full, { kind: 'VirtualMachineInstance', apiVersion: 'kubevirt.io/v1', metadata: { name: 'app' }, spec: { domain: { memory: { guest: '256Mi' } } } });
});

// [title, document fields beside kind: VMI, whether the memory default is applied]
const memoryCases: Array<[string, Record<string, unknown>, boolean]> = [
  ['no memory at all', {}, true],
  ['memory: {} (no guest)', { memory: {} }, true],
  ['memory.guest: null', { memory: { guest: null } }, true],
  ['memory: null', { memory: null }, true],
  ['resources: null', { resources: null }, true],
  ['resources.requests without memory', { resources: { requests: { cpu: '1' } } }, true],
  ['resources: {} (no requests)', { resources: {} }, true],
  ['memory.guest given', { memory: { guest: '1Gi' } }, false],
  ['resources.requests.memory given', { resources: { requests: { memory: '1Gi' } } }, false],
  ['memory malformed (a string): left for the validator', { memory: '1Gi' }, false],
  ['resources malformed (a list): left for the validator', { resources: ['x'] }, false],
];
for (const [title, domain, defaulted] of memoryCases) {
  test(`compact form memory: ${title} -> ${defaulted ? 'the 256Mi default, with its note' : 'left as given, no note'}`, (t) => {
    const { full, notes } = expand({ kind: 'VMI', metadata: { name: 'm' }, spec: { domain: structuredClone(domain) } });
    t.deepEqual(notes, defaulted ? [MEMORY_NOTE] : []);
    if (defaulted) t.is(full['spec'].domain.memory.guest, '256Mi');
    else t.deepEqual(full['spec'].domain, domain, 'the domain untouched');
  });
}

test('compact form: a name or apiVersion given as null is not given; given ones are kept; other kinds are not touched', (t) => {
  const nulls = expand({ kind: 'VMI', apiVersion: null, metadata: { name: null }, spec: { domain: { memory: { guest: '1Gi' } } } }, 'n.yaml');
  t.deepEqual(nulls.notes, [NAME_NOTE('n', 'the file name n.yaml')]);
  t.like(nulls.full, { apiVersion: 'kubevirt.io/v1', metadata: { name: 'n' } });
  const kept = expand({ kind: 'VMI', apiVersion: 'kubevirt.io/v1alpha3', metadata: { name: 'x' }, spec: { domain: { memory: { guest: '1Gi' } } } });
  t.deepEqual(kept.notes, []);
  t.like(kept.full, { apiVersion: 'kubevirt.io/v1alpha3', metadata: { name: 'x' } });
  const other = { kind: 'VirtualMachineInstance', spec: {} };
  t.is(expand(other).full, other, 'a full-form document is returned as it is');
});

test('compact form: the default guest memory joins the memory fields that are there', (t) => {
  const { full } = expand({ kind: 'VMI', metadata: { name: 'm' }, spec: { domain: { memory: { maxGuest: '2Gi' } } } });
  t.deepEqual(full['spec'].domain.memory, { maxGuest: '2Gi', guest: '256Mi' });
});
