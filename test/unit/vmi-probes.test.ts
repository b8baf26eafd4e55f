// spec.readinessProbe / spec.livenessProbe: parsed with Kubernetes' defaults, refused with the field when wrong,
// and tcpSocket/httpGet only on a port the interface forwards.
import test from 'ava';
import { parseVmi } from '../../domain/manifest/vmi.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests poke at raw manifests

const vmi = (spec: Doc, ports: Doc[] | null = [{ port: 22, name: 'ssh' }], withNic = true): Doc => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'vm1' },
  spec: {
    domain: {
      memory: { guest: '128Mi' },
      devices: { disks: [{ name: 'rootdisk' }], ...(withNic && { interfaces: [{ name: 'default', masquerade: {}, ...(ports && { ports }) }] }) },
    },
    ...(withNic && { networks: [{ name: 'default', pod: {} }] }),
    volumes: [{ name: 'rootdisk', persistentVolumeClaim: { claimName: 'root' } }],
    ...spec,
  },
});

const errors = (doc: Doc) => parseVmi(doc).problems.filter((p) => p.severity === 'error').map((p) => [p.reason, p.field]);

test('probes: a tcpSocket readiness probe on a forwarded port gets Kubernetes\' defaults', (t) => {
  const r = parseVmi(vmi({ readinessProbe: { tcpSocket: { port: 22 } } }));
  t.deepEqual(r.problems.filter((p) => p.severity === 'error'), []);
  t.deepEqual(r.spec?.probes, {
    readiness: { action: { kind: 'tcpSocket', port: 22 }, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, field: 'spec.readinessProbe' },
  });
});

test('probes: a named port resolves through the interface\'s ports; timings are kept', (t) => {
  const r = parseVmi(vmi({ livenessProbe: { httpGet: { port: 'ssh', path: '/healthz' }, initialDelaySeconds: 30, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 6 } }));
  t.deepEqual(r.spec?.probes?.liveness?.action, { kind: 'httpGet', port: 22, path: '/healthz', scheme: 'http', headers: [] });
  t.is(r.spec?.probes?.liveness?.initialDelaySeconds, 30);
  t.is(r.spec?.probes?.liveness?.failureThreshold, 6);
});

test('probes: exec and guestAgentPing need no NIC', (t) => {
  const r = parseVmi(vmi({ readinessProbe: { guestAgentPing: {} }, livenessProbe: { exec: { command: ['/bin/true', '-x'] } } }, null, false));
  t.deepEqual(errors(vmi({ readinessProbe: { guestAgentPing: {} } }, null, false)), []);
  t.deepEqual(r.spec?.probes?.readiness?.action, { kind: 'guestAgentPing' });
  t.deepEqual(r.spec?.probes?.liveness?.action, { kind: 'exec', command: ['/bin/true', '-x'] });
});

test('probes: an interface without ports forwards every port, so any port is accepted', (t) => {
  t.deepEqual(errors(vmi({ readinessProbe: { tcpSocket: { port: 8080 } } }, null)), []);
});

test('probes: refusals name the field and the reason', (t) => {
  t.deepEqual(errors(vmi({ readinessProbe: { tcpSocket: { port: 80 } } })), [['ProbePortNotForwarded', 'spec.readinessProbe.tcpSocket.port']]);
  t.deepEqual(errors(vmi({ readinessProbe: { tcpSocket: { port: 22 } } }, null, false)), [['ProbePortNotForwarded', 'spec.readinessProbe.tcpSocket.port']]);
  t.deepEqual(errors(vmi({ readinessProbe: { tcpSocket: { port: 22, host: '10.0.0.1' } } })), [['FieldNotSupported', 'spec.readinessProbe.tcpSocket.host']]);
  t.deepEqual(errors(vmi({ readinessProbe: { tcpSocket: { port: 'http' } } })), [['FieldInvalid', 'spec.readinessProbe.tcpSocket.port']]);
  t.deepEqual(errors(vmi({ readinessProbe: { tcpSocket: { port: 22 }, exec: { command: ['x'] } } })), [['FieldInvalid', 'spec.readinessProbe']]);
  t.deepEqual(errors(vmi({ readinessProbe: { periodSeconds: 5 } })), [['FieldInvalid', 'spec.readinessProbe']]);
  t.deepEqual(errors(vmi({ livenessProbe: { exec: { command: [] } } })), [['FieldInvalid', 'spec.livenessProbe.exec.command']]);
  t.deepEqual(errors(vmi({ livenessProbe: { guestAgentPing: {}, successThreshold: 2 } })), [['FieldInvalid', 'spec.livenessProbe.successThreshold']]);
  t.deepEqual(errors(vmi({ readinessProbe: { guestAgentPing: {}, periodSeconds: 0 } })), [['FieldInvalid', 'spec.readinessProbe.periodSeconds']]);
  t.deepEqual(errors(vmi({ readinessProbe: { httpGet: { port: 22, scheme: 'FTP' } } })), [['FieldInvalid', 'spec.readinessProbe.httpGet.scheme']]);
  t.deepEqual(errors(vmi({ readinessProbe: { httpGet: { port: 22, path: 'x' } } })), [['FieldInvalid', 'spec.readinessProbe.httpGet.path']]);
  t.deepEqual(errors(vmi({ readinessProbe: { grpc: { port: 22 } } })), [['FieldNotSupported', 'spec.readinessProbe.grpc'], ['FieldInvalid', 'spec.readinessProbe']]);
});
