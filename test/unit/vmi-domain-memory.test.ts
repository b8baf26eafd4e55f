// spec.domain's memory and machine (domain/manifest/vmi-domain.ts) at their edges: where the bytes come from and which field
// a problem names, the limit's boundary, null as absent, and no key holding undefined in what parseDomain returns.
import test from 'ava';
import { parseDomain } from '../../domain/manifest/vmi-domain.js';
import type { Problems } from '../../domain/manifest/manifest-reader.js';

const parse = (domain: Record<string, unknown>) => {
  const problems: Problems = [];
  const part = parseDomain(problems, domain, 'spec.domain');
  return { part, problems: problems.map((p) => [p.reason, p.field, p.message, p.fix]) };
};

test('vmi-domain: without memory or a machine type, parseDomain holds neither key', (t) => {
  const { part } = parse({ resources: { limits: { memory: '1Gi' } } });
  t.false('memoryBytes' in part);
  t.false('machineType' in part);
  const typed = parse({ memory: { guest: '1Gi' }, machine: { type: 'q35' } }).part;
  t.is(typed.memoryBytes, 2 ** 30);
  t.is(typed.machineType, 'q35');
});

test('vmi-domain: a limit alone is no memory: MemoryMissing, not a crash', (t) => {
  t.deepEqual(parse({ resources: { limits: { memory: '1Gi' } } }).problems, [['MemoryMissing', 'spec.domain.memory.guest',
    'spec.domain.memory.guest: the guest\'s memory is not given', 'set spec.domain.memory.guest (or spec.domain.resources.requests.memory), e.g. 128Mi']]);
});

test('vmi-domain: zero memory from the request names the request\'s field', (t) => {
  t.deepEqual(parse({ resources: { requests: { memory: '0' } } }).problems, [['FieldInvalid', 'spec.domain.resources.requests.memory',
    'spec.domain.resources.requests.memory: the guest needs some memory', 'give at least a few MiB, e.g. 128Mi']]);
});

test('vmi-domain: guest memory equal to the limit is fine; one byte above is MemoryAboveLimit', (t) => {
  t.deepEqual(parse({ memory: { guest: '1Gi' }, resources: { limits: { memory: '1Gi' } } }).problems, []);
  t.deepEqual(parse({ memory: { guest: 2 ** 30 + 1 }, resources: { limits: { memory: '1Gi' } } }).problems.map((p) => p[0]), ['MemoryAboveLimit']);
});

test('vmi-domain: memory.guest: null is absent: the request gives the memory', (t) => {
  const r = parse({ memory: { guest: null }, resources: { requests: { memory: '256Mi' } } });
  t.deepEqual(r.problems, []);
  t.is(r.part.memoryBytes, 256 * 2 ** 20);
});

test('vmi-domain: memory.guest: null alone is memory not given (MemoryMissing)', (t) => {
  t.deepEqual(parse({ memory: { guest: null } }).problems.map((p) => p[0]), ['MemoryMissing']);
});
