// Turns a child's stderr (a hook's, a daemon's, virtiofsd's) into log lines. Bounded both ways so that it cannot
// flood memory or the log: an overlong line is cut, and after `maxLines` lines the rest is only counted.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export interface StderrSummary {
  /** The last few lines, for error messages. */
  tail: string[];
  /** Lines read but not passed on because of `maxLines`. */
  dropped: number;
}

export function followLines(
  stream: Readable,
  onLine: (line: string) => void,
  { maxLineChars = 8192, maxLines = 1000, tailLines = 5 } = {},
): Promise<StderrSummary> {
  const decoder = new StringDecoder('utf8');
  const tail: string[] = [];
  let pending = '';
  let emitted = 0;
  let dropped = 0;
  const emit = (raw: string): void => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    tail.push(line);
    if (tail.length > tailLines) tail.shift();
    if (emitted < maxLines) { emitted++; onLine(line); } else dropped++;
  };
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      pending += decoder.write(chunk);
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        emit(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
      while (pending.length > maxLineChars) {
        emit(pending.slice(0, maxLineChars));
        pending = pending.slice(maxLineChars);
      }
    });
    const finish = (): void => {
      pending += decoder.end();
      if (pending !== '') emit(pending);
      pending = '';
      resolve({ tail, dropped });
    };
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
  });
}
