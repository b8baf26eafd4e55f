// The console socket's path decision (launcher/inspect/console-socket.ts): up to 107 bytes it is used; longer, the
// console stays a log file and a warning says why. Bytes, not characters: a non-ASCII runtime dir counts double.
import test from 'ava';
import { consoleSocket } from '../../launcher/inspect/console-socket.js';

test('console-socket › a path of 107 bytes is used as is', (t) => {
  const path = `/${'r'.repeat(93)}/console.sock`;
  t.is(Buffer.byteLength(path), 107);
  t.deepEqual(consoleSocket(path), { path, problems: [] });
});

test('console-socket › a path of 108 bytes: no socket, a warning with the numbers', (t) => {
  const path = `/${'é'.repeat(47)}/console.sock`;
  t.is(Buffer.byteLength(path), 108);
  const r = consoleSocket(path);
  t.false('path' in r);
  t.deepEqual(r.problems, [{
    reason: 'ConsoleSocketPathTooLong', severity: 'warning',
    message: `the console socket would be ${path} (108 bytes; a unix socket path holds 107): the console goes to the log only`,
    fix: 'use a shorter --runtime-dir',
  }]);
});
