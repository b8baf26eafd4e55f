import { StringDecoder } from 'node:string_decoder';

// The guest's serial output as log lines: split on newlines, terminal control sequences (cursor moves, colours)
// removed, since they are noise in a log. A line longer than 8 KiB is cut there.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1bc|[\x00-\x08\x0b-\x1f\x7f]/g;
const MAX_LINE = 8192;

export class ConsoleLines {
  private partial = '';
  /** A character split across two reads stays whole. */
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const parts = (this.partial + this.decoder.write(chunk)).split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > MAX_LINE) { parts.push(this.partial); this.partial = ''; }
    for (const raw of parts) this.emit(raw);
  }

  /** The last unterminated line, at exit. */
  flush(): void {
    this.emit(this.partial);
    this.partial = '';
  }

  private emit(raw: string): void {
    const line = raw.replace(ANSI, '').trimEnd();
    if (line) this.onLine(line);
  }
}
