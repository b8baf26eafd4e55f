// `vm-launcher console`: the guest's serial console, interactive, from inside the VM pod
// (`kubectl exec -it POD -- vm-launcher console`), as `virtctl console` is for KubeVirt. It attaches to the launcher's
// console socket (the launcher owns QEMU's one serial connection: run/console-broker.ts says why). Ctrl-] detaches
// and leaves the guest running; so does the end of stdin, once the guest has said nothing for a second (so
// `echo cmd | vm-launcher console` prints the answer). The newest attach wins: an older console is told and exits 7.
// `--log` prints the console file instead (the guest's output so far; `--follow` keeps printing it).
import type { Socket } from 'node:net';
import { fail } from '../../domain/problem.js';
import { ExitCode } from '../../domain/reasons.js';
import { FrameReader } from '../common/console-frames.js';
import { connectVerified, SocketRefused } from '../common/verified-socket.js';
import { runtimeLayout } from '../plan/runtime-layout.js';
import { readTrustedStatus, type Status } from '../stack/status-file.js';

/** Ctrl-], as telnet and virsh console. */
const DETACH = 0x1d;
/** After stdin ends: detach once the guest has been quiet this long. */
const QUIET_MS = 1000;
/** The launcher answers an attach at once; this long without an answer is a fault worth saying. */
const ATTACH_TIMEOUT_MS = 5000;

const unavailable = (message: string): never => fail('ConsoleUnavailable', message);

/** The running launcher's status, or ConsoleUnavailable with what is wrong. */
export async function runningLauncher(runtimeDir: string): Promise<Status> {
  const read = await readTrustedStatus(runtimeLayout(runtimeDir, '').statusFile);
  if (!read.ok) return unavailable(`${read.why} in ${runtimeDir}: no launcher runs a guest there`);
  if (!read.launcherAlive) return unavailable(`the launcher of ${runtimeDir} (pid ${read.status.pid}) is gone; its guest's last phase was ${read.status.phase}`);
  return read.status;
}

/** Connects to the launcher's console socket: a socket of root or of this user, never through a link. */
async function connectToLauncher(runtimeDir: string, status: Status): Promise<Socket> {
  const path = runtimeLayout(runtimeDir, '').consoleSocket;
  const me = process.getuid?.() ?? 0;
  try {
    return await connectVerified(path, [...new Set([0, me])]);
  } catch (e) {
    if (e instanceof SocketRefused && ['ELINK', 'ENOTSOCK', 'EOWNER'].includes(e.code)) return fail('ConsoleSocketRefused', e.message);
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    if (code === 'ENOENT') {
      return unavailable(['StartingStack', 'Defining', 'Starting'].includes(status.phase)
        ? `the guest is still starting (phase ${status.phase}): its console opens once it runs`
        : `${path} is missing although the launcher runs (phase ${status.phase}): the guest has no serial console (autoattachSerialConsole: false?)`);
    }
    return unavailable(`cannot connect to ${path} (${code}; phase ${status.phase})`);
  }
}

export async function attachConsole(runtimeDir: string): Promise<number> {
  const io = process;
  const status = await runningLauncher(runtimeDir);
  const socket = await connectToLauncher(runtimeDir, status);
  const reader = new FrameReader();
  const raw = io.stdin.isTTY === true;
  return new Promise<number>((resolve) => {
    let attached = false;
    let ended = false;
    let quiet: NodeJS.Timeout | undefined;
    const noAnswer = setTimeout(() => end(`the launcher (pid ${status.pid}) did not answer the attach within ${ATTACH_TIMEOUT_MS / 1000} s: it may be overloaded; try again`, ExitCode.Failed), ATTACH_TIMEOUT_MS);
    const end = (message: string, code: number = ExitCode.Clean): void => {
      if (ended) return;
      ended = true;
      clearTimeout(quiet);
      clearTimeout(noAnswer);
      if (raw && attached) io.stdin.setRawMode(false);
      io.stdin.pause();
      socket.destroy();
      io.stderr.write(`${attached ? '\r\n' : ''}vm-launcher: ${message}\n`);
      resolve(code);
    };
    const onAttached = (payload: Buffer): void => {
      clearTimeout(noAnswer);
      const hello = JSON.parse(payload.toString('utf8')) as { name: string; recent: string };
      attached = true;
      io.stderr.write(`vm-launcher: attached to the serial console of ${hello.name} (phase ${status.phase}); Ctrl-] detaches (the guest keeps running); press Enter for a prompt\r\n`);
      if (raw) io.stdin.setRawMode(true);
      io.stdout.write(Buffer.from(hello.recent, 'base64'));
      startInput();
    };
    let stdinEnded = false;
    const waitForQuiet = (): void => {
      clearTimeout(quiet);
      quiet = setTimeout(() => end('stdin ended: detached; the guest keeps running'), QUIET_MS);
    };
    const startInput = (): void => {
      io.stdin.on('data', (chunk: Buffer) => {
        const at = chunk.indexOf(DETACH);
        if (at < 0) return void socket.write(chunk);
        if (at > 0) socket.write(chunk.subarray(0, at));
        end('detached; the guest keeps running');
      });
      io.stdin.on('end', () => { stdinEnded = true; waitForQuiet(); });
      // The terminal went away (EIO on a hung-up tty): nobody is left to type.
      io.stdin.on('error', (e: NodeJS.ErrnoException) => end(`the terminal is gone (${e.code ?? e.message}): detached`));
      io.stdin.resume();
    };
    socket.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = reader.push(chunk);
      } catch (e) {
        return end(`${(e as Error).message}: is the launcher in ${runtimeDir} an older vm-launcher?`, ExitCode.Failed);
      }
      for (const f of frames) {
        if (f.type === 'attached') onAttached(f.payload);
        else if (f.type === 'data') { io.stdout.write(f.payload); if (stdinEnded) waitForQuiet(); }
        else if (f.type === 'taken-over') return end(f.payload.toString('utf8'), ExitCode.ConsoleTakenOver);
        else return end(`the console closed: ${f.payload.toString('utf8')}`, attached ? ExitCode.Clean : ExitCode.Failed);
      }
    });
    socket.on('error', () => undefined); // 'close' follows and says it
    socket.on('close', () => end('the launcher closed the console without a word (it stopped or was killed)', ExitCode.Failed));
  });
}
