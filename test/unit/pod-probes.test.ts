// The Pod's probes: always the launcher's exec probes; a VMI readinessProbe/livenessProbe (any kind) lends them its
// period and is evaluated by the launcher, never copied for the kubelet (domain/pod/pod-probes.ts says why).
import test from 'ava';
import { parseVmi } from '../../domain/manifest/vmi.js';
import { renderPod } from '../../domain/pod/render-pod.js';
import { LAUNCHER_LIVENESS, LAUNCHER_READINESS } from '../../domain/pod/pod-probes.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const vmi = (probes: Record<string, unknown>) => ({
  apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'vm1' },
  spec: {
    domain: { memory: { guest: '128Mi' }, devices: { disks: [{ name: 'root' }], interfaces: [{ name: 'default', masquerade: {}, ports: [{ name: 'ssh', port: 22 }, { name: 'http', port: 8080 }] }] } },
    networks: [{ name: 'default', pod: {} }],
    volumes: [{ name: 'root', persistentVolumeClaim: { claimName: 'root' } }],
    ...probes,
  },
});

function container(probes: Record<string, unknown>) {
  const parsed = parseVmi(vmi(probes));
  if (!parsed.spec) throw new Error(parsed.problems.map((p) => p.message).join('\n'));
  const r = renderPod(parsed.spec, '', { image: 'img', target: 'kubernetes', accel: 'auto', service: false, hostDevices: {} });
  return { c: (r.objects[1] as any).spec.containers[0], notes: r.notes };
}
const exec = (kind: string) => ({ exec: { command: ['/usr/local/bin/vm-launcher', 'probe', kind] } });

test('no VMI probe: the launcher\'s own timings', (t) => {
  const { c, notes } = container({});
  t.deepEqual(c.readinessProbe, { ...exec('ready'), ...LAUNCHER_READINESS });
  t.deepEqual(c.livenessProbe, { ...exec('live'), ...LAUNCHER_LIVENESS });
  t.false(notes.some((n) => n.includes('Probe')));
});

test('tcpSocket and httpGet on a forwarded port are not copied: the exec probe reads the launcher\'s verdict at the VMI\'s period', (t) => {
  const { c, notes } = container({
    readinessProbe: { tcpSocket: { port: 22 }, initialDelaySeconds: 20, periodSeconds: 7, timeoutSeconds: 3, failureThreshold: 4 },
    livenessProbe: { httpGet: { port: 'http', path: '/healthz' }, initialDelaySeconds: 60, periodSeconds: 15 },
  });
  t.deepEqual(c.readinessProbe, { ...exec('ready'), initialDelaySeconds: 20, periodSeconds: 7, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 1 });
  t.deepEqual(c.livenessProbe, { ...exec('live'), initialDelaySeconds: 30, periodSeconds: 15, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 2 });
  t.is(c.readinessProbe.tcpSocket, undefined);
  t.is(c.livenessProbe.httpGet, undefined);
  t.true(notes.some((n) => n.startsWith('readinessProbe: the VMI\'s tcpSocket 22 is evaluated by the launcher (thresholds 1/4)') && n.includes('every 7 s')), notes.join('\n'));
  t.true(notes.some((n) => n.startsWith('livenessProbe: the VMI\'s httpGet 8080') && n.includes('2 failing reads')), notes.join('\n'));
});

test('exec and guestAgentPing probes: the same exec probe (the launcher runs them through the guest agent), timings copied', (t) => {
  const { c } = container({ readinessProbe: { guestAgentPing: {}, periodSeconds: 3 }, livenessProbe: { exec: { command: ['/bin/true'] }, periodSeconds: 20 } });
  t.deepEqual(c.readinessProbe.exec, exec('ready').exec);
  t.is(c.readinessProbe.periodSeconds, 3);
  t.is(c.readinessProbe.initialDelaySeconds, 0, 'Kubernetes\' default, as parsed');
  t.deepEqual(c.livenessProbe.exec, exec('live').exec);
  t.is(c.livenessProbe.periodSeconds, 20);
});

test('only the probe the VMI has changes: a readinessProbe alone leaves the launcher\'s liveness', (t) => {
  const { c } = container({ readinessProbe: { tcpSocket: { port: 22 }, periodSeconds: 4 } });
  t.is(c.readinessProbe.periodSeconds, 4);
  t.deepEqual(c.livenessProbe, { ...exec('live'), ...LAUNCHER_LIVENESS });
});
