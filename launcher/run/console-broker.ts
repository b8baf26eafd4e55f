// The guest's serial console, owned by the launcher. QEMU's unix serial socket (serial0.sock) serves one client; the
// launcher is that client for the guest's whole life, from before its first vCPU runs (it is created paused) to its
// end, and it hands the console over to `vm-launcher console` through a socket of its own (console.sock).
//
// Why the launcher and not each `console` client connecting to QEMU directly (as before): with QEMU holding the one
// slot, a client whose process was left behind (a killed `podman exec`, a dropped `kubectl exec`) kept the slot, and
// every later attach queued in QEMU's backlog, got nothing, then EAGAIN. Here the launcher sees a client's socket
// close the moment its process dies (the kernel closes it, even on SIGKILL), and the newest attach always wins: the
// older client is told and ends, as with `virtctl console`. And every byte the guest writes passes through one
// reader, which keeps the console file bounded (console-file.ts) and the launcher's log (when asked) complete, with
// or without a client attached: QEMU drops serial output while nobody is connected, and somebody always is.
//
// A slow client never slows the guest or the file: past CLIENT_BACKLOG unsent bytes, its output is skipped (and it
// is told how much). A guest faster than the file slows down instead: past FILE_BACKLOG, QEMU's socket is read only
// as fast as the file takes it, as a real serial line would.
import { constants } from 'node:fs';
// eslint-disable-next-line no-restricted-syntax -- unlink: the launcher's own socket, a top-level name of the runtime dir (unlink never follows a link; only root can change the dir's path); open: --console-log FILE, the operator's path, O_NOFOLLOW
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { connectVerified } from '../common/verified-socket.js';
import { frame } from '../common/console-frames.js';
import { ConsoleFile } from './console-file.js';
import { ConsoleLines } from './console-lines.js';

/** Unsent bytes a client may lag behind before its output is skipped. */
const CLIENT_BACKLOG = 1024 * 1024;
/** Bytes read from QEMU but not yet in the console file, before QEMU's socket is paused. */
const FILE_BACKLOG = 256 * 1024;
/** What an attaching client is shown of the line the guest is on (a login prompt, a shell prompt). */
const RECENT_BYTES = 512;

export interface ConsoleBrokerOptions {
  /** QEMU's serial socket, and the uid it must belong to (the VM user). */
  serialSocket: string;
  vmUid: number;
  /** The launcher's socket for `vm-launcher console`. */
  clientSocket: string;
  /** The bounded console file in the runtime dir. */
  consoleFile: string;
  /** --console-log: also appended there, unbounded (the operator's file). */
  copyTo?: string;
  /** Each line the guest writes, when the launcher's log carries the console. */
  onLine?: (line: string) => void;
  /** Problems worth a warning (a file that cannot be written...). */
  onProblem: (message: string) => void;
  /** Attach, detach and takeover: worth an info line. */
  onEvent: (message: string, fields: Record<string, unknown>) => void;
  /** The guest's name for the attach line. */
  vmiName: string;
}

export class ConsoleBroker {
  private qemu: Socket | undefined;
  private server: Server | undefined;
  private client: Socket | undefined;
  private skipped = 0;
  private recent: Buffer = Buffer.alloc(0);
  private readonly file: ConsoleFile;
  private readonly lines: ConsoleLines | undefined;
  private copy: FileHandle | undefined;
  private copyFailed = false;
  private pumping: Promise<void> = Promise.resolve();
  private unwritten: Buffer[] = [];
  private unwrittenBytes = 0;
  private writing = false;
  private qemuClosed = false;
  private stopping = false;
  private resolveFirstByte!: (at: number) => void;
  private resolveQemuClosed!: () => void;
  private readonly qemuGone = new Promise<void>((r) => { this.resolveQemuClosed = r; });
  /** performance.now() of the first byte the guest wrote. */
  readonly firstByte = new Promise<number>((r) => { this.resolveFirstByte = r; });
  private sawByte = false;

  constructor(private readonly o: ConsoleBrokerOptions) {
    this.file = new ConsoleFile(o.consoleFile, o.onProblem);
    this.lines = o.onLine && new ConsoleLines(o.onLine);
  }

  /** Connects to QEMU's serial socket (it exists once libvirt's Create returned) and starts reading it. */
  async connectSerial(): Promise<void> {
    const qemu = await connectVerified(this.o.serialSocket, [this.o.vmUid]);
    this.qemu = qemu;
    qemu.on('data', (chunk: Buffer) => this.fromGuest(chunk));
    qemu.on('error', () => undefined); // 'close' follows
    qemu.on('close', () => {
      this.qemuClosed = true;
      this.resolveQemuClosed();
      void this.pumping.then(() => this.closeClient('the guest stopped (QEMU closed its serial port)'));
    });
  }

  /** Opens console.sock for `vm-launcher console`. */
  async listen(): Promise<void> {
    const server = createServer((s) => this.attach(s));
    this.server = server;
    server.on('error', (e) => this.o.onProblem(`the console socket failed: ${e.message}`));
    const bind = () => new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // bind() creates the socket with mode 0777 & ~umask; 0 lets the VM user's `kubectl exec` attach too. The
      // runtime dir (0700, the VM user's) is what keeps everybody else out. bind never follows a link: a planted
      // name is EADDRINUSE.
      const old = process.umask(0);
      try {
        server.listen(this.o.clientSocket, () => { server.removeListener('error', reject); resolve(); });
      } finally {
        process.umask(old);
      }
    });
    try {
      await bind();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      await unlink(this.o.clientSocket); // the entry itself, whatever it is
      await bind();
    }
  }

  private attach(s: Socket): void {
    s.on('error', () => undefined);
    if (this.stopping || this.qemuClosed) {
      s.end(frame('closing', this.qemuClosed ? 'the guest is not running (QEMU closed its serial port)' : 'the launcher is stopping'));
      return;
    }
    const old = this.client;
    this.client = s;
    this.skipped = 0;
    if (old) {
      old.end(frame('taken-over', 'another console attached to this guest; this one is detached (the newest attach wins)'));
      this.o.onEvent('another console attached: the previous one was detached', { reason: 'ConsoleTakenOver' });
    } else {
      this.o.onEvent('a console attached', { reason: 'ConsoleAttached' });
    }
    s.write(frame('attached', JSON.stringify({ name: this.o.vmiName, recent: this.recent.toString('base64') })));
    s.on('data', (d: Buffer) => { if (this.client === s) this.qemu?.write(d); });
    s.on('close', () => {
      if (this.client !== s) return;
      this.client = undefined;
      this.o.onEvent('the console detached', { reason: 'ConsoleDetached' });
    });
  }

  private fromGuest(chunk: Buffer): void {
    if (!this.sawByte) { this.sawByte = true; this.resolveFirstByte(performance.now()); }
    this.remember(chunk);
    this.toClient(chunk);
    this.lines?.push(chunk);
    this.toFiles(chunk);
  }

  /**
   * The files get the guest's bytes in batches (QEMU's serial hands them over a few bytes at a time: one write per
   * read would slow the guest to a crawl). Past FILE_BACKLOG unwritten bytes, QEMU's socket is no longer read until
   * the files caught up: the guest waits, nothing is dropped.
   */
  private toFiles(chunk: Buffer): void {
    this.unwritten.push(chunk);
    this.unwrittenBytes += chunk.length;
    if (this.unwrittenBytes > FILE_BACKLOG) this.qemu?.pause();
    if (this.writing) return;
    this.writing = true;
    this.pumping = (async () => {
      while (this.unwritten.length > 0) {
        const batch = Buffer.concat(this.unwritten);
        this.unwritten = [];
        this.unwrittenBytes = 0;
        await this.file.append(batch);
        if (this.o.copyTo) await this.copyChunk(batch);
        if (!this.qemuClosed) this.qemu?.resume();
      }
      this.writing = false;
    })();
  }

  /** The line the guest is on, for the next attach: what follows the last newline, at most RECENT_BYTES. */
  private remember(chunk: Buffer): void {
    const nl = chunk.lastIndexOf(0x0a);
    this.recent = nl >= 0 ? chunk.subarray(nl + 1) : Buffer.concat([this.recent, chunk]);
    if (this.recent.length > RECENT_BYTES) this.recent = this.recent.subarray(this.recent.length - RECENT_BYTES);
  }

  private toClient(chunk: Buffer): void {
    const c = this.client;
    if (!c) return;
    if (c.writableLength > CLIENT_BACKLOG) { this.skipped += chunk.length; return; }
    if (this.skipped > 0) {
      c.write(frame('data', `\r\n[vm-launcher: ${this.skipped} bytes of the guest's output skipped: this console read too slowly; vm-launcher console --log has them]\r\n`));
      this.skipped = 0;
    }
    c.write(frame('data', chunk));
  }

  /** --console-log: the operator's file, never reached through a link. A failure is said once. */
  private async copyChunk(chunk: Buffer): Promise<void> {
    if (this.copyFailed) return;
    try {
      this.copy ??= await open(this.o.copyTo!, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o640);
      await this.copy.write(chunk);
    } catch (e) {
      this.copyFailed = true;
      this.o.onProblem(`cannot append to --console-log ${this.o.copyTo}: ${(e as Error).message}`);
    }
  }

  private closeClient(why: string): void {
    const c = this.client;
    this.client = undefined;
    c?.end(frame('closing', why));
  }

  /** At exit: waits briefly for QEMU's last bytes, tells a client, closes the socket and the files. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.qemu && !this.qemuClosed) {
      await Promise.race([this.qemuGone, new Promise((r) => setTimeout(r, 500))]);
      this.qemu.destroy();
    }
    await this.pumping;
    this.closeClient('the launcher is stopping');
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.lines?.flush();
    await this.file.close();
    await this.copy?.close().catch(() => undefined);
  }
}
