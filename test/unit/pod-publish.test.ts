// `pod --publish GUESTPORT=HOSTPORT [--host-ip IP]`: hostPort/hostIP on the forwarded port, the loopback unless told
// otherwise; a port the VMI does not forward is refused; the flags are checked for form.
import test from 'ava';
import { parseVmi } from '../../domain/manifest/vmi.js';
import { renderPod, type PodOptions } from '../../domain/pod/render-pod.js';
import { podSettings, DEFAULT_HOST_IP } from '../../launcher/cli/pod.js';
import type { PodFlags } from '../../launcher/cli/options.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const vmi = (iface: Record<string, unknown> | undefined) => ({
  apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'vm1' },
  spec: {
    domain: { memory: { guest: '128Mi' }, devices: { disks: [{ name: 'root' }], ...(iface && { interfaces: [{ name: 'default', masquerade: {}, ...iface }] }) } },
    ...(iface && { networks: [{ name: 'default', pod: {} }] }),
    volumes: [{ name: 'root', persistentVolumeClaim: { claimName: 'root' } }],
  },
});
const SSH = { ports: [{ name: 'ssh', port: 22 }, { port: 53, protocol: 'UDP' }] };

function render(iface: Record<string, unknown> | undefined, opts: Partial<PodOptions>) {
  const spec = parseVmi(vmi(iface)).spec!;
  const r = renderPod(spec, '', { image: 'img', target: 'podman', accel: 'tcg', service: false, hostDevices: {}, ...opts });
  return { r, c: (r.objects[1] as any).spec.containers[0] };
}

test('a published port gets hostPort and hostIP (127.0.0.1 unless given); the others stay containerPorts only', (t) => {
  const { r, c } = render(SSH, { publish: [{ port: 22, hostPort: 2222 }], hostIp: '127.0.0.1' });
  t.deepEqual(r.problems, []);
  t.deepEqual(c.ports, [
    { name: 'ssh', containerPort: 22, protocol: 'TCP', hostPort: 2222, hostIP: '127.0.0.1' },
    { containerPort: 53, protocol: 'UDP' },
  ]);
  t.true(r.notes.some((n) => n.startsWith('published on the node: 127.0.0.1:2222 -> guest port 22') && n.includes('not exposed by accident')));
  t.is(render(SSH, { publish: [{ port: 22, hostPort: 2222 }] }).c.ports[0].hostIP, '127.0.0.1', 'the renderer defaults to the loopback too');
  const wide = render(SSH, { publish: [{ port: 22, hostPort: 2222 }], hostIp: '0.0.0.0' });
  t.is(wide.c.ports[0].hostIP, '0.0.0.0');
  t.true(wide.r.notes.some((n) => n.includes('chosen with --host-ip')));
  t.is(render(SSH, {}).c.ports[0].hostPort, undefined, 'nothing published without --publish');
});

test('every port forwarded (no list): the published port becomes a containerPort; a port not forwarded is refused', (t) => {
  const all = render({}, { publish: [{ port: 8080, hostPort: 18080 }] });
  t.deepEqual(all.r.problems, []);
  t.deepEqual(all.c.ports, [{ containerPort: 8080, protocol: 'TCP', hostPort: 18080, hostIP: '127.0.0.1' }]);
  t.is(render({}, {}).c.ports, undefined);
  const notForwarded = render(SSH, { publish: [{ port: 80, hostPort: 8080 }] });
  t.deepEqual(notForwarded.r.problems.map((p) => p.reason), ['UsageInvalid']);
  t.regex(notForwarded.r.problems[0]!.message, /does not forward port 80 \(it forwards 22, 53\)/);
  const noNic = render(undefined, { publish: [{ port: 22, hostPort: 2222 }] });
  t.regex(noNic.r.problems[0]!.message, /it has no NIC/);
});

test('the flags: GUESTPORT=HOSTPORT in range; --host-ip an address, only with --publish', (t) => {
  const flags = (f: Partial<PodFlags>): PodFlags => ({ validate: false, service: false, hostDevice: [], publish: [], ...f });
  t.deepEqual(podSettings(flags({ publish: ['22=2222', '80=8080'] }), undefined).publish, [{ port: 22, hostPort: 2222 }, { port: 80, hostPort: 8080 }]);
  t.is(podSettings(flags({ publish: ['22=2222'] }), undefined).hostIp, DEFAULT_HOST_IP);
  t.is(DEFAULT_HOST_IP, '127.0.0.1');
  t.is(podSettings(flags({ publish: ['22=2222'], hostIp: '::1' }), undefined).hostIp, '::1');
  for (const bad of [{ publish: ['22'] }, { publish: ['22:2222'] }, { publish: ['0=2222'] }, { publish: ['22=70000'] }, { publish: ['22=2222'], hostIp: 'localhost' }, { hostIp: '127.0.0.1' }]) {
    const e = t.throws(() => podSettings(flags(bad), undefined), undefined, JSON.stringify(bad));
    t.is((e as any).reason, 'UsageInvalid', JSON.stringify(bad));
  }
});
