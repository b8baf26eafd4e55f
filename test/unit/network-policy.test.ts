// The network decision tables, pure functions called directly (domain/convert/network-policy.ts and
// manifest/masquerade-addressing.ts): the VM network CIDR's bounds (255 in an octet, /0, /30 to /33, networks that are not unicast, text around the CIDR) with
// every refusal word for word, the passt backend choice with its reason (`why`) and refusals word for word, the
// --passt-mode values, when every port is forwarded, KubeVirt's port-forward rule and passt's socket path.
import test from 'ava';
import {
  choosePasstBackend, FORWARD_ALL_OPEN_FILES, forwardsAll, PASST_MODES, passtSocketPath, portForwards, type LibvirtPasstSupport, type PasstMode,
} from '../../domain/convert/index.js';
import { masqueradeAddressing } from '../../domain/manifest/masquerade-addressing.js';
import type { InterfaceModel, PortSpec } from '../../domain/model/index.js';

// ---------------------------------------------------------------------------------------------- the VM network CIDR
const CIDR_FIX = 'write an IPv4 CIDR with room for a gateway and the guest, such as 10.0.2.0/24 (at most /30)';
const notCidr = (cidr: string) => ['FieldInvalid', `${JSON.stringify(cidr)} is not an IPv4 CIDR`, CIDR_FIX];
const tooSmall = (cidr: string) => ['FieldInvalid', `${cidr} has fewer than 4 addresses: no room for a gateway and the guest`, CIDR_FIX];
const notUnicast = (cidr: string, range: string) => ['FieldInvalid', `${cidr} starts in ${range}: the gateway and the guest need unicast addresses`, CIDR_FIX];
const addressing = (cidr: string) => {
  const d = masqueradeAddressing(cidr);
  return d.ok ? [d.value.cidr, d.value.prefix, d.value.gateway, d.value.guestAddress] : [d.reason, d.message, d.fix];
};

const cidrs: Array<[string, unknown[]]> = [
  ['10.0.255.0/24', ['10.0.255.0/24', 24, '10.0.255.1', '10.0.255.2']],
  ['255.255.255.252/30', notUnicast('255.255.255.252/30', '224.0.0.0/3 (multicast and reserved)')],
  ['223.255.255.252/30', ['223.255.255.252/30', 30, '223.255.255.253', '223.255.255.254']],
  ['10.0.2.77/24', ['10.0.2.0/24', 24, '10.0.2.1', '10.0.2.2']],
  ['10.1.2.3/0', notUnicast('10.1.2.3/0', '0.0.0.0/8 ("this network")')],
  ['0.255.255.0/24', notUnicast('0.255.255.0/24', '0.0.0.0/8 ("this network")')],
  ['1.0.0.0/24', ['1.0.0.0/24', 24, '1.0.0.1', '1.0.0.2']],
  ['128.0.0.0/1', ['128.0.0.0/1', 1, '128.0.0.1', '128.0.0.2']],
  ['126.255.255.0/24', ['126.255.255.0/24', 24, '126.255.255.1', '126.255.255.2']],
  ['127.0.0.0/24', notUnicast('127.0.0.0/24', '127.0.0.0/8 (loopback)')],
  ['127.255.255.252/30', notUnicast('127.255.255.252/30', '127.0.0.0/8 (loopback)')],
  ['128.0.0.0/24', ['128.0.0.0/24', 24, '128.0.0.1', '128.0.0.2']],
  ['223.255.255.0/24', ['223.255.255.0/24', 24, '223.255.255.1', '223.255.255.2']],
  ['224.0.0.0/24', notUnicast('224.0.0.0/24', '224.0.0.0/3 (multicast and reserved)')],
  ['240.1.0.0/16', notUnicast('240.1.0.0/16', '224.0.0.0/3 (multicast and reserved)')],
  ['10.0.2.0/31', tooSmall('10.0.2.0/31')],
  ['10.0.2.0/32', tooSmall('10.0.2.0/32')],
  ['10.0.2.0/33', notCidr('10.0.2.0/33')],
  ['10.0.2.0/99', notCidr('10.0.2.0/99')],
  ['10.0.2.0/245', notCidr('10.0.2.0/245')],
  ['10.0.2.0/24x', notCidr('10.0.2.0/24x')],
  ['x10.0.2.0/24', notCidr('x10.0.2.0/24')],
  ['10.0.2.0/24\n', notCidr('10.0.2.0/24\n')],
  ['10.0.2.256/24', notCidr('10.0.2.256/24')],
  ['10.0.2/24', notCidr('10.0.2/24')],
  ['1.2.3.4.5/24', notCidr('1.2.3.4.5/24')],
  ['', notCidr('')],
];
for (const [cidr, expected] of cidrs) {
  test(`network-policy › VM network CIDR ${JSON.stringify(cidr)}`, (t) => {
    t.deepEqual(addressing(cidr), expected);
  });
}

// ---------------------------------------------------------------------------------------------- the passt backend
const ALL: LibvirtPasstSupport = { user: true, vhostUser: true };
const USER_ONLY: LibvirtPasstSupport = { user: true, vhostUser: false };
const NONE: LibvirtPasstSupport = { user: false, vhostUser: false };
const VHOST_ONLY_11: LibvirtPasstSupport = { user: false, vhostUser: true, version: '11.0.0' };
const NONE_9: LibvirtPasstSupport = { user: false, vhostUser: false, version: '9.0.0' };

const LIBVIRT_FIX = 'run the vm-launcher image (Debian trixie, libvirt 11), or a host with libvirt 11.1 or later';
const DEBIAN = "(Debian bookworm's libvirt 9.0 has passt disabled by a Debian patch)";
const USER_REFUSED = "passt (<interface type='user'><backend type='passt'/>)";
const VHOST_REFUSED = "passt over vhost-user (<interface type='vhostuser'><backend type='passt'/>)";
const refused = (libvirt: string, what: string) => ['PasstUnsupportedByLibvirt', `${libvirt} refuses ${what} ${DEBIAN}`, LIBVIRT_FIX];

const backends: Array<[PasstMode, InterfaceModel, LibvirtPasstSupport, unknown[]]> = [
  ['auto', 'virtio', ALL, ['vhost-user', 'auto: virtio model and libvirt accepts passt over vhost-user']],
  ['auto', 'virtio', USER_ONLY, ['user', 'auto: libvirt does not accept passt over vhost-user']],
  ['auto', 'e1000', ALL, ['user', 'auto: vhost-user needs the virtio model, not e1000']],
  ['auto', 'rtl8139', USER_ONLY, ['user', 'auto: vhost-user needs the virtio model, not rtl8139']],
  ['auto', 'virtio', NONE, refused('this libvirt', USER_REFUSED)],
  ['auto', 'virtio', NONE_9, refused('this libvirt (9.0.0)', USER_REFUSED)],
  ['auto', 'e1000', VHOST_ONLY_11, refused('this libvirt (11.0.0)', USER_REFUSED)],
  ['vhost-user', 'virtio', ALL, ['vhost-user', '--passt-mode vhost-user']],
  ['vhost-user', 'virtio', USER_ONLY, refused('this libvirt', VHOST_REFUSED)],
  ['vhost-user', 'virtio', NONE_9, refused('this libvirt (9.0.0)', VHOST_REFUSED)],
  ['vhost-user', 'e1000', ALL, ['FieldInvalid', 'vhost-user needs the virtio model, not e1000',
    'remove model (virtio is the default), or use --passt-mode user']],
  ['user', 'virtio', ALL, ['user', '--passt-mode user']],
  ['user', 'e1000', USER_ONLY, ['user', '--passt-mode user']],
  ['user', 'virtio', VHOST_ONLY_11, refused('this libvirt (11.0.0)', USER_REFUSED)],
];
for (const [mode, model, support, expected] of backends) {
  const has = [support.user && 'user', support.vhostUser && 'vhost-user'].filter(Boolean).join('+') || 'no passt';
  test(`network-policy › backend: --passt-mode ${mode}, model ${model}, libvirt ${support.version ?? '(no version)'} with ${has}`, (t) => {
    const d = choosePasstBackend(mode, model, support);
    t.deepEqual(d.ok ? [d.value.backend, d.value.why] : [d.reason, d.message, d.fix], expected);
  });
}

test('network-policy › --passt-mode accepts exactly auto, vhost-user and user', (t) => {
  t.deepEqual(PASST_MODES, ['auto', 'vhost-user', 'user']);
});

// ---------------------------------------------------------------------------------------------- ports
test('network-policy › every port is forwarded only when no port is listed', (t) => {
  const port = (p: number, protocol: 'tcp' | 'udp' = 'tcp'): PortSpec => ({ port: p, protocol, field: 'x' });
  t.is(forwardsAll([]), true);
  t.is(forwardsAll([port(22)]), false);
  t.is(forwardsAll([port(53, 'udp'), port(80)]), false);
});

// ---------------------------------------------------------------------------------------------- addressing, backend, forwards and socket path as tables
test('masquerade addressing table', (t) => {
  const ok = (cidr?: string) => { const d = masqueradeAddressing(cidr); return d.ok ? [d.value.gateway, d.value.guestAddress, d.value.prefix] : d.message; };
  t.deepEqual(ok(), ['10.0.2.1', '10.0.2.2', 24]);
  t.deepEqual(ok('192.168.100.0/30'), ['192.168.100.1', '192.168.100.2', 30]);
  t.deepEqual(ok('172.16.0.0/12'), ['172.16.0.1', '172.16.0.2', 12]);
  for (const bad of ['10.0.2.0/31', '10.0.2.0/33', '10.0.2.256/24', '10.0.2/24', 'fd10::/120', '', '010.0.2.0/24']) {
    t.is(typeof ok(bad), 'string', bad);
  }
});

test('backend: vhost-user for virtio where libvirt accepts it, else user; refusals say why', (t) => {
  const all = { user: true, vhostUser: true };
  const pick = (...a: Parameters<typeof choosePasstBackend>) => { const d = choosePasstBackend(...a); return d.ok ? d.value.backend : d.reason; };
  t.is(pick('auto', 'virtio', all), 'vhost-user');
  t.is(pick('auto', 'e1000', all), 'user');
  t.is(pick('auto', 'virtio', { user: true, vhostUser: false }), 'user');
  t.is(pick('auto', 'virtio', { user: false, vhostUser: false }), 'PasstUnsupportedByLibvirt');
  t.is(pick('user', 'virtio', all), 'user');
  t.is(pick('vhost-user', 'virtio', all), 'vhost-user');
  t.is(pick('vhost-user', 'e1000', all), 'FieldInvalid');
  t.is(pick('vhost-user', 'virtio', { user: true, vhostUser: false }), 'PasstUnsupportedByLibvirt');
  t.is(pick('user', 'virtio', { user: false, vhostUser: true }), 'PasstUnsupportedByLibvirt');
});

test('port forwards: KubeVirt\'s rule (none listed = every TCP and UDP port)', (t) => {
  const port = (port: number, protocol: 'tcp' | 'udp' = 'tcp'): PortSpec => ({ port, protocol, field: 'x' });
  t.deepEqual(portForwards([]), [{ proto: 'tcp', ports: [] }, { proto: 'udp', ports: [] }]);
  t.deepEqual(portForwards([port(22), port(80)]), [{ proto: 'tcp', ports: [22, 80] }]);
  t.deepEqual(portForwards([port(53, 'udp'), port(22)]), [{ proto: 'tcp', ports: [22] }, { proto: 'udp', ports: [53] }]);
  t.true(FORWARD_ALL_OPEN_FILES > 2 * 49151, 'a socket per port below 49152, per protocol');
});

test('passt socket path: libvirt\'s layout, domain name cut to 20 characters', (t) => {
  const path = passtSocketPath('/var/run/vm-launcher/run', 'namespace_a-very-long-vm-name', 'ua-default');
  t.is(path, '/var/run/vm-launcher/run/libvirt/qemu/run/passt/999-namespace_a-very-lon-ua-default.socket');
  t.true(Buffer.byteLength(path) <= 107);
});
