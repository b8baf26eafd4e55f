// The probe actions against real sockets on 127.0.0.1 (tcpSocket, httpGet), a fake agent for exec and
// guestAgentPing (the agent's side is the integration and container tests'), and the conditions they feed.
import test from 'ava';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { evaluate, type AgentAccess } from '../../launcher/run/probe-loop.js';
import { Conditions } from '../../launcher/run/conditions.js';
import { formatStatus, statusJson } from '../../launcher/cli/status.js';
import type { AgentReply } from '../../domain/guest/index.js';

const noAgent: AgentAccess = { connected: false, command: () => Promise.reject(new Error('not called')) };

async function tcpServer(onConnection: (s: import('node:net').Socket) => void): Promise<{ port: number; close: () => void }> {
  const server = createTcpServer(onConnection);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

test('tcpSocket: a server that speaks first passes at once; one that closes fails; a silent one passes at the timeout', async (t) => {
  const banner = await tcpServer((s) => s.end('SSH-2.0-test\r\n'));
  const closer = await tcpServer((s) => s.destroy());
  const silent = await tcpServer(() => undefined);
  try {
    const t0 = Date.now();
    t.deepEqual(await evaluate({ kind: 'tcpSocket', port: banner.port }, 5, noAgent, '127.0.0.1'), { ok: true, output: `port ${banner.port} answered` });
    t.true(Date.now() - t0 < 4000, 'data ends the wait');
    t.false((await evaluate({ kind: 'tcpSocket', port: closer.port }, 5, noAgent, '127.0.0.1')).ok, 'closed by the other side');
    t.true((await evaluate({ kind: 'tcpSocket', port: silent.port }, 1, noAgent, '127.0.0.1')).ok, 'held open for the whole timeout');
  } finally {
    banner.close(); closer.close(); silent.close();
  }
  const refused = await evaluate({ kind: 'tcpSocket', port: banner.port }, 1, noAgent, '127.0.0.1');
  t.false(refused.ok);
  t.regex(refused.output, /ECONNREFUSED/);
});

test('httpGet: 2xx/3xx pass, others fail, with the status in the output', async (t) => {
  const server = createHttpServer((req, res) => { res.statusCode = req.url === '/ok' ? 204 : 503; res.end(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    t.deepEqual(await evaluate({ kind: 'httpGet', port, path: '/ok', scheme: 'http', headers: [['X-Probe', '1']] }, 5, noAgent, '127.0.0.1'), { ok: true, output: 'HTTP 204' });
    t.deepEqual(await evaluate({ kind: 'httpGet', port, path: '/bad', scheme: 'http', headers: [] }, 5, noAgent, '127.0.0.1'), { ok: false, output: 'HTTP 503 from /bad' });
  } finally {
    server.close();
  }
});

test('exec and guestAgentPing: fail without the agent; exec passes on exit code 0 only, with the output', async (t) => {
  t.deepEqual(await evaluate({ kind: 'guestAgentPing' }, 1, noAgent, '127.0.0.1'), { ok: false, output: 'the guest agent is not connected' });
  const replies: Record<string, AgentReply[]> = {
    'guest-exec': [{ ok: true, value: { pid: 7 } }],
    'guest-exec-status': [{ ok: true, value: { exited: false } }, { ok: true, value: { exited: true, exitcode: 1, 'out-data': Buffer.from('inactive').toString('base64') } }],
  };
  const agent: AgentAccess = { connected: true, command: async (name) => replies[name]!.shift()! };
  t.deepEqual(await evaluate({ kind: 'exec', command: ['/bin/systemctl', 'is-active', 'x'] }, 5, agent, '127.0.0.1'), { ok: false, output: 'exit code 1: inactive' });
});

test('conditions: Ready waits for the readiness probe; lastTransitionTime moves only on a change', (t) => {
  const c = new Conditions();
  const readiness = { since: 'x', action: 'tcpSocket 22', consecutiveFailures: 1, consecutiveSuccesses: 0, lastResult: { ok: false, at: 'x', output: 'port 22: ECONNRESET' } };
  const first = c.compute({ phase: 'Running', reason: 'Started', message: '', readiness }, 't1');
  t.deepEqual(first, [{ type: 'Ready', status: 'False', reason: 'ReadinessProbeFailed', message: 'readiness probe (tcpSocket 22): port 22: ECONNRESET', lastTransitionTime: 't1' }]);
  const agent = { connected: true, since: 't2', missingCommands: ['guest-get-users'] };
  const second = c.compute({ phase: 'Running', reason: 'Started', message: '', agent, readiness: { ...readiness, ok: true } }, 't2');
  t.deepEqual(second.map((x) => [x.type, x.status, x.lastTransitionTime]), [['Ready', 'True', 't2'], ['AgentConnected', 'True', 't2'], ['UnsupportedAgent', 'True', 't2']]);
  const third = c.compute({ phase: 'Paused', reason: 'GuestPausedIoError', message: 'volume full', agent }, 't3');
  t.deepEqual(third.map((x) => [x.type, x.status, x.reason, x.lastTransitionTime]), [
    ['Ready', 'False', 'Paused', 't3'], ['AgentConnected', 'True', undefined, 't2'], ['UnsupportedAgent', 'True', 'UnsupportedAgent', 't2'], ['Paused', 'True', 'GuestPausedIoError', 't3'],
  ]);
});

test('status: the human form is aligned and shows the guest\'s facts; the JSON form has every documented key', (t) => {
  const j = statusJson('/rt', {
    phase: 'Running', since: new Date().toISOString(), reason: 'Started', message: 'the guest is running', pid: 1,
    vmi: { namespace: 'default', name: 'vm1' },
    agent: { connected: true, since: 'x', version: '10.0.2' },
    guest: { os: { prettyName: 'Debian GNU/Linux 13 (trixie)', kernelRelease: '6.12' }, hostname: 'vm1', interfaces: [{ name: 'enp1s0', addresses: [{ family: 'ipv4', address: '10.0.2.2', prefix: 24 }] }] },
    network: { interface: 'default', binding: 'masquerade', model: 'virtio', ports: ['22/tcp'] },
    processes: { 'vm-launcher': process.pid },
  }, true);
  t.deepEqual(Object.keys(j), ['version', 'runtimeDir', 'launcher', 'vmi', 'phase', 'since', 'reason', 'message', 'conditions', 'agent', 'guest', 'probes', 'network', 'disks', 'timings', 'processes']);
  t.true((j.processes[0]?.rssBytes ?? 0) > 0);
  const text = formatStatus(j);
  t.regex(text, /^Guest OS {4}Debian GNU\/Linux 13 \(trixie\), kernel 6\.12$/m);
  t.regex(text, /^Addresses {3}enp1s0: 10\.0\.2\.2\/24$/m);
  t.regex(text, /^NIC {9}default: masquerade, virtio, ports 22\/tcp$/m);
});
