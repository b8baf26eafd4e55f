// Follows the file QEMU writes the guest's serial console to and hands out whole lines.
// Woken by inotify (fs.watch) with a slow timer as a safety net, so a line reaches the log
// within milliseconds without busy polling.
import { watch, type FSWatcher } from 'node:fs';
import { appendFile, open, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

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
  private resolveFirstByte!: (at: number) => void;
  /** performance.now() of the first byte the guest wrote. */
  readonly firstByte = new Promise<number>((r) => { this.resolveFirstByte = r; });

  constructor(
    private readonly path: string,
    private readonly onLine: (line: string) => void,
    private readonly copyTo?: string,
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
      await this.readAvailable();
    });
  }

  private async readAvailable(): Promise<void> {
    if (!this.fh) {
      try {
        this.fh = await open(this.path, 'r');
      } catch {
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
      if (this.copyTo) await appendFile(this.copyTo, chunk).catch(() => undefined);
      this.emit(chunk.toString('utf8'));
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
  }
}
