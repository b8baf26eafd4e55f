// The guest agent's replies are hostile input: bounded, typed field by field, control characters removed.
import test from 'ava';
import {
  MAX_AGENT_REPLY_BYTES, REQUIRED_AGENT_COMMANDS, parseAgentReply, parseExecStarted, parseExecStatus, parseFsInfo, parseGuestInfo,
  parseInterfaces, parseOsInfo, parseTimezone, parseUsers,
} from '../../domain/guest/agent-replies.js';

test('agent reply: return, error, garbage and oversize', (t) => {
  t.deepEqual(parseAgentReply('{"return":{}}'), { ok: true, value: {} });
  t.deepEqual(parseAgentReply('{"error":{"class":"CommandNotFound","desc":"no such command"}}'), { ok: false, error: 'CommandNotFound: no such command' });
  t.false(parseAgentReply('not json').ok);
  t.false(parseAgentReply('[1]').ok);
  t.false(parseAgentReply('{"x":1}').ok);
  const big = parseAgentReply(`{"return":"${'a'.repeat(MAX_AGENT_REPLY_BYTES)}"}`);
  t.false(big.ok);
});

test('guest-info: enabled commands only; the required ones it lacks are listed', (t) => {
  const all = REQUIRED_AGENT_COMMANDS.map((name) => ({ name, enabled: true }));
  t.deepEqual(parseGuestInfo({ version: '10.0.2', supported_commands: all })?.missing, []);
  const some = all.map((c) => (c.name === 'guest-get-users' ? { ...c, enabled: false } : c)).filter((c) => c.name !== 'guest-get-osinfo');
  const info = parseGuestInfo({ version: '5.2', supported_commands: [...some, 'junk', { name: 7, enabled: true }] });
  t.is(info?.version, '5.2');
  t.deepEqual(info?.missing, ['guest-get-users', 'guest-get-osinfo']);
  t.is(parseGuestInfo('x'), undefined);
});

test('guest-get-osinfo: KubeVirt\'s fields; control characters become spaces and long strings are cut', (t) => {
  const os = parseOsInfo({ name: 'Debian GNU/Linux', 'pretty-name': 'Debian\u001b[31m 13', 'version-id': '13', 'kernel-release': 'x'.repeat(1000), id: 42 });
  t.is(os?.name, 'Debian GNU/Linux');
  t.is(os?.prettyName, 'Debian [31m 13');
  t.is(os?.versionId, '13');
  t.is(os?.kernelRelease?.length, 256);
  t.false('id' in (os ?? {}));
});

test('timezone, users, exec replies', (t) => {
  t.deepEqual(parseTimezone({ zone: 'UTC', offset: 0 }), { zone: 'UTC', offsetSeconds: 0 });
  t.is(parseTimezone({ zone: 'UTC' }), undefined);
  t.deepEqual(parseUsers([{ user: 'debian', 'login-time': 1700000000.5 }, { nope: 1 }, ...Array(100).fill({ user: 'x' })]).slice(0, 2), [{ name: 'debian', loginTime: 1700000000 }, { name: 'x' }]);
  t.is(parseUsers(Array(100).fill({ user: 'x' })).length, 32);
  t.is(parseExecStarted({ pid: 1234 }), 1234);
  t.is(parseExecStarted({ pid: '1234' }), undefined);
  t.deepEqual(parseExecStatus({ exited: true, exitcode: 3, 'out-data': Buffer.from('down\n').toString('base64') }), { exited: true, exitCode: 3, output: 'down' });
  t.deepEqual(parseExecStatus({ exited: false }), { exited: false, output: '' });
  t.is(parseExecStatus({}), undefined);
});

test('interfaces (libvirt-dbus a(ssa(isu))): loopback dropped, bad addresses dropped', (t) => {
  const ifaces = parseInterfaces([
    ['lo', '00:00:00:00:00:00', [[0, '127.0.0.1', 8]]],
    ['enp1s0', '52:54:00:12:34:56', [[0, '10.0.2.15', 24], [1, 'fe80::5054:ff:fe12:3456', 64], [0, '1.2.3.4; rm -rf', 24], [5, '1.1.1.1', 8], [0, '10.0.0.1', 300]]],
    'junk',
  ]);
  t.deepEqual(ifaces, [{ name: 'enp1s0', mac: '52:54:00:12:34:56', addresses: [{ family: 'ipv4', address: '10.0.2.15', prefix: 24 }, { family: 'ipv6', address: 'fe80::5054:ff:fe12:3456', prefix: 64 }] }]);
});

test('filesystems (libvirt-dbus a(sssas))', (t) => {
  t.deepEqual(parseFsInfo([['/', 'vda1', 'ext4', ['vda']], [7]]), [{ mountPoint: '/', device: 'vda1', type: 'ext4', disks: ['vda'] }]);
});
