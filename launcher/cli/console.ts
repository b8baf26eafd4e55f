// `vm-launcher console`: the guest's serial console, interactive, from inside the VM pod
// (`kubectl exec -it POD -- vm-launcher console`), as `virtctl console` is for KubeVirt. It attaches to the socket
// QEMU listens on (serial port 0; the launcher's log keeps getting every line). Ctrl-] detaches and leaves the guest
// running; so does the end of stdin, once the guest has said nothing for a second (so `echo cmd | vm-launcher
// console` prints the answer). QEMU serves one client at a time: a second attach waits until the first detaches.
import { connect, type Socket } from 'node:net';
import { fail } from '../../domain/problem.js';
import { runtimeLayout } from '../plan/runtime-layout.js';
import { readTrustedStatus } from '../stack/status-file.js';

/** Ctrl-], as telnet and virsh console. */
const DETACH = 0x1d;
/** After stdin ends: detach once the guest has been quiet this long. */
const QUIET_MS = 1000;

const unavailable = (message: string): never => fail('ConsoleUnavailable', message);

export async function attachConsole(runtimeDir: string): Promise<number> {
  const io = process;
  const layout = runtimeLayout(runtimeDir, '');
  const read = await readTrustedStatus(layout.statusFile);
  if (!read.ok) return unavailable(`${read.why} in ${runtimeDir}: no launcher runs a guest there`);
  const { status } = read;
  if (!read.launcherAlive) return unavailable(`launcher pid ${status.pid} is gone (last phase ${status.phase})`);
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect(layout.consoleSocket);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  }).catch((e: NodeJS.ErrnoException) => unavailable(`cannot attach to ${layout.consoleSocket} (phase ${status.phase}): ${e.code ?? e.message}`));
  const name = status.vmi ? `${status.vmi.namespace}/${status.vmi.name}` : 'the guest';
  io.stderr.write(`vm-launcher: attached to the serial console of ${name}; Ctrl-] detaches (the guest keeps running)\r\n`);
  const raw = io.stdin.isTTY === true;
  if (raw) io.stdin.setRawMode(true);
  return new Promise<number>((resolve) => {
    let ended = false;
    let quiet: NodeJS.Timeout | undefined;
    const end = (message: string): void => {
      if (ended) return;
      ended = true;
      clearTimeout(quiet);
      if (raw) io.stdin.setRawMode(false);
      io.stdin.pause();
      socket.destroy();
      io.stderr.write(`\r\nvm-launcher: ${message}\n`);
      resolve(0);
    };
    io.stdin.on('data', (chunk: Buffer) => {
      const at = chunk.indexOf(DETACH);
      if (at < 0) return void socket.write(chunk);
      if (at > 0) socket.write(chunk.subarray(0, at));
      end('detached; the guest keeps running');
    });
    let stdinEnded = false;
    const waitForQuiet = (): void => {
      clearTimeout(quiet);
      quiet = setTimeout(() => end('stdin ended: detached; the guest keeps running'), QUIET_MS);
    };
    io.stdin.on('end', () => { stdinEnded = true; waitForQuiet(); });
    socket.on('data', (d: Buffer) => {
      io.stdout.write(d);
      if (stdinEnded) waitForQuiet();
    });
    socket.on('error', () => undefined); // 'close' follows and says it
    socket.on('close', () => end('the console closed: the guest stopped'));
  });
}
