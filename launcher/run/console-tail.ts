// Follows the file QEMU writes the guest's serial console to and hands out whole lines.
// Woken by inotify (fs.watch) with a slow timer as a safety net, so a line reaches the log
// within milliseconds without busy polling.
// The file is QEMU's (the VM user's), in the VM user's directory: it is opened without following a link and only
// when the VM user owns it, so a root launcher never streams another file into the log.
import { constants, watch, type FSWatcher } from 'node:fs';
// eslint-disable-next-line no-restricted-syntax -- --console-log FILE is the operator's path, opened O_NOFOLLOW (docs/threat-model.md)
import { open, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { openTrusted } from '../common/safe-files.js';

// Terminal control sequences the guest sends (cursor moves, colours) are noise in a log.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1bc|[\x00-\x08\x0b-\x1f\x7f]/g;

export class ConsoleTail {
  private fh: FileHandle | undefined;
  private offset = 0;
  private partial = '';
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> = Promise.resolve();
  private pending = false;
  private firstByteAt: number | undefined;
  private copy: FileHandle | undefined;
  private refused = false;
  private copyFailed = false;
  private resolveFirstByte!: (at: number) => void;
  /** performance.now() of the first byte the guest wrote. */
  readonly firstByte = new Promise<number>((r) => { this.resolveFirstByte = r; });

  constructor(
    private readonly path: string,
    private readonly onLine: (line: string) => void,
    /** The uid that writes the console file (the VM user). */
    private readonly owner: number,
    private readonly copyTo?: string,
    private readonly onError: (message: string) => void = () => {},
  ) {}

  start(): void {
    // Watch the directory: the file does not exist until QEMU starts.
    this.watcher = watch(dirname(this.path), (_event, name) => {
      if (name === null || name === basename(this.path)) this.poke();
    });
    this.watcher.on('error', () => { /* the timer still reads */ });
    this.timer = setInterval(() => this.poke(), 250);
  }

  private poke(): void {
    if (this.pending) return;
    this.pending = true;
    this.reading = this.reading.then(async () => {
      this.pending = false;
      await this.readAvailable().catch((e: Error) => this.onError(`reading the console file failed: ${e.message}`));
    });
  }

  private async readAvailable(): Promise<void> {
    if (!this.fh) {
      try {
        this.fh = await openTrusted(this.path, { owners: [this.owner] });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && !this.refused) {
          this.refused = true;
          this.onError(`not reading the console file: ${(e as Error).message}`);
        }
        return;
      }
    }
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await this.fh.read(buf, 0, buf.length, this.offset);
      if (bytesRead === 0) return;
      if (this.firstByteAt === undefined) {
        this.firstByteAt = performance.now();
        this.resolveFirstByte(this.firstByteAt);
      }
      this.offset += bytesRead;
      const chunk = buf.subarray(0, bytesRead);
      if (this.copyTo) await this.copyChunk(chunk);
      this.emit(chunk.toString('utf8'));
    }
  }

  /** --console-log: the operator's file; still never reached through a link. A failure is said once. */
  private async copyChunk(chunk: Buffer): Promise<void> {
    if (this.copyFailed) return;
    try {
      this.copy ??= await open(this.copyTo!, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o640);
      await this.copy.write(chunk);
    } catch (e) {
      this.copyFailed = true;
      this.onError(`cannot append to --console-log ${this.copyTo}: ${(e as Error).message}`);
    }
  }

  private emit(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > 8192) { parts.push(this.partial); this.partial = ''; }
    for (const raw of parts) {
      const line = raw.replace(ANSI, '').trimEnd();
      if (line) this.onLine(line);
    }
  }

  /** Reads what is left, flushes a last unterminated line, and stops. */
  async stop(): Promise<void> {
    this.watcher?.close();
    clearInterval(this.timer);
    this.poke();
    await this.reading;
    if (this.partial.trim()) this.onLine(this.partial.replace(ANSI, '').trimEnd());
    this.partial = '';
    await this.fh?.close().catch(() => undefined);
    await this.copy?.close().catch(() => undefined);
  }
}
