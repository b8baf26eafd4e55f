// Edges of the manifest reader, the allow-lists and the XML tree found by mutation testing: labels come back as an
// ordinary mutable record, the fix hints reach the user, a VirtualMachine template's server-written metadata is
// accepted, and the domain tree holds no element for what the model does not have.
import test from 'ava';
import { readStringMap, type Problems } from '../../domain/manifest/manifest-reader.js';
import { parseVmi } from '../../domain/manifest/index.js';
import { buildDomain } from '../../domain/convert/index.js';
import { domainToXmlTree } from '../../domain/libvirt/index.js';
import { acceptedSpec, pvc, vmi } from '../helpers/vmi-builder.js';
import { filesystemFacts } from '../helpers/volume-facts.js';

test('readStringMap: an ordinary record (writable, deletable) even for __proto__; a value that is not a string says to quote it', (t) => {
  const problems: Problems = [];
  const labels = readStringMap(problems, { labels: { app: 'web', ['__proto__']: 'x', n: 5 } }, 'labels', 'metadata');
  t.deepEqual(problems.map((p) => [p.reason, p.field, p.message, p.fix]), [['FieldInvalid', 'metadata.labels.n', 'metadata.labels.n: must be a string', 'quote the value']]);
  labels['app'] = 'db';
  t.is(labels['app'], 'db');
  delete labels['__proto__'];
  t.false(Object.hasOwn(labels, '__proto__'));
  t.is(Object.getPrototypeOf(labels), Object.prototype);
});

test('the fix hints reach the user: lun, floppy and the CPU resources say what to use instead', (t) => {
  const doc = vmi({
    domain: { resources: { requests: { cpu: '1' } } },
    disks: [{ name: 'a', lun: {} }, { name: 'b', floppy: {} }],
    volumes: [pvc('a'), pvc('b')],
  });
  const fixes = Object.fromEntries(parseVmi(doc).problems.filter((p) => p.reason === 'FieldNotSupported').map((p) => [p.field, p.fix]));
  t.deepEqual(fixes, {
    'spec.domain.devices.disks[0].lun': 'use disk (with a block PVC) instead of lun',
    'spec.domain.devices.disks[1].floppy': 'use disk or cdrom instead',
    'spec.domain.resources.requests.cpu': 'set the vCPU count with spec.domain.cpu sockets/cores/threads; CPU requests and limits are not supported',
  });
});

test('a VirtualMachine template\'s metadata may carry the server\'s creationTimestamp and a name: accepted, not refused', (t) => {
  const vm = {
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'vm1', namespace: 'ns' },
    spec: {
      runStrategy: 'Always',
      template: {
        metadata: { creationTimestamp: '2026-11-26T08:00:00Z', name: 'ignored', labels: { a: 'b' } },
        spec: { domain: { memory: { guest: '128Mi' }, devices: { disks: [{ name: 'root' }] } }, volumes: [{ name: 'root', persistentVolumeClaim: { claimName: 'root' } }] },
      },
    },
  };
  const r = parseVmi(vm);
  t.deepEqual(r.problems.filter((p) => p.severity === 'error'), []);
  t.truthy(r.spec);
});

test('the domain tree: no serial, iothreads or emulator element unless the model has one', (t) => {
  const spec = acceptedSpec(vmi({ disks: [{ name: 'root' }], volumes: [pvc('root')] }));
  const domain = buildDomain(spec, filesystemFacts(spec), { accel: 'qemu', consoleLogPath: '/c.log' }).domain!;
  const tree = domainToXmlTree(domain)['domain'] as Record<string, Record<string, unknown>>;
  t.false('iothreads' in tree);
  t.false('emulator' in tree['devices']!);
  const disk = (tree['devices']!['disk'] as Array<Record<string, unknown>>)[0]!;
  t.false('serial' in disk);
  const withAll = domainToXmlTree({ ...domain, iothreads: 2, devices: { ...domain.devices, emulator: '/usr/bin/qemu-system-x86_64', disks: [{ ...domain.devices.disks[0]!, serial: 'S1' }] } })['domain'] as Record<string, Record<string, unknown>>;
  t.is(withAll['iothreads'] as unknown, 2);
  t.is(withAll['devices']!['emulator'], '/usr/bin/qemu-system-x86_64');
  t.is((withAll['devices']!['disk'] as Array<Record<string, unknown>>)[0]!['serial'], 'S1');
});
