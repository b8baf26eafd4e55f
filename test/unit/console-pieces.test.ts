// The console's parts that need no guest: the bounded console file (rotation, a planted link never followed, a
// full filesystem), the socket check that refuses a link or a stranger's socket, and the frame protocol.
import test from 'ava';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsoleFile, previousGeneration } from '../../launcher/run/console-file.js';
import { connectVerified } from '../../launcher/common/verified-socket.js';
import { frame, FrameReader } from '../../launcher/common/console-frames.js';
import { ConsoleLines } from '../../launcher/run/console-lines.js';

const scratch = (t: { teardown: (f: () => void) => void }) => {
  const dir = mkdtempSync(join(tmpdir(), 'vml-console-unit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};
const me = process.getuid?.() ?? 0;

test('the console file never holds more than two generations of its bound, and keeps the newest bytes', async (t) => {
  const path = join(scratch(t), 'console.log');
  const problems: string[] = [];
  const file = new ConsoleFile(path, (m) => problems.push(m), 1000);
  for (let i = 0; i < 100; i++) await file.append(Buffer.from(`line ${String(i).padStart(3, '0')} ${'x'.repeat(90)}\n`));
  await file.close();
  t.deepEqual(problems, []);
  t.true(statSync(path).size <= 1000 && statSync(previousGeneration(path)).size <= 1000);
  t.regex(readFileSync(path, 'utf8'), /line 099 x+\n$/);
  // Every byte of the two generations is in order and whole: the older ends where the newer begins.
  const both = readFileSync(previousGeneration(path), 'utf8') + readFileSync(path, 'utf8');
  const numbers = [...both.matchAll(/line (\d+)/g)].map((m) => Number(m[1]));
  t.deepEqual(numbers, numbers.map((_, i) => numbers[0]! + i));
});

test('the console file replaces a link planted at its name instead of writing through it', async (t) => {
  const dir = scratch(t);
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'precious\n', { mode: 0o600 });
  symlinkSync(victim, join(dir, 'console.log'));
  const file = new ConsoleFile(join(dir, 'console.log'), () => undefined, 1000);
  await file.append(Buffer.from('guest output\n'));
  // Rotation renames whatever is at the name; a link planted there again is removed, never followed.
  symlinkSync(victim, previousGeneration(join(dir, 'console.log')));
  for (let i = 0; i < 30; i++) await file.append(Buffer.from(`${'y'.repeat(99)}\n`));
  await file.close();
  t.is(readFileSync(victim, 'utf8'), 'precious\n');
  t.false(lstatSync(join(dir, 'console.log')).isSymbolicLink());
});

test('connectVerified refuses a link to a socket and a socket of another owner, and connects to the real one', async (t) => {
  const dir = scratch(t);
  const real = join(dir, 'real.sock');
  const server = createServer((s) => s.end('hello'));
  await new Promise<void>((r) => server.listen(real, r));
  t.teardown(() => server.close());
  symlinkSync(real, join(dir, 'console.sock'));
  await t.throwsAsync(connectVerified(join(dir, 'console.sock'), [me]), { message: /is a symbolic link/ });
  await t.throwsAsync(connectVerified(real, [me + 1]), { message: new RegExp(`owned by uid ${me}, not ${me + 1}`) });
  writeFileSync(join(dir, 'plain'), '');
  await t.throwsAsync(connectVerified(join(dir, 'plain'), [me]), { message: /not a socket/ });
  await t.throwsAsync(connectVerified(join(dir, 'absent'), [me]), { message: /ENOENT/ });
  const s = await connectVerified(real, [me]);
  const got = await new Promise<string>((r) => { let d = ''; s.on('data', (c) => { d += c; }); s.on('close', () => r(d)); });
  t.is(got, 'hello');
  t.true(existsSync(real));
});

test('frames survive being cut anywhere; bytes that are not frames are refused', (t) => {
  const bytes = Buffer.concat([frame('attached', '{"name":"a/b"}'), frame('data', Buffer.from([0, 1, 2, 0x1d])), frame('taken-over', 'newer')]);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const r = new FrameReader();
    const got = [...r.push(bytes.subarray(0, cut)), ...r.push(bytes.subarray(cut))];
    t.deepEqual(got.map((f) => f.type), ['attached', 'data', 'taken-over']);
    t.deepEqual([...got[1]!.payload], [0, 1, 2, 0x1d]);
  }
  t.throws(() => new FrameReader().push(Buffer.from('login: ')), { message: /does not speak vm-launcher's console protocol/ });
});

test('console lines: split on newlines, control sequences dropped, a character split across reads kept whole', (t) => {
  const lines: string[] = [];
  const l = new ConsoleLines((x) => lines.push(x));
  const euro = Buffer.from('€');
  l.push(Buffer.concat([Buffer.from('\x1b[1mbold\x1b[0m\r\nprice 5'), euro.subarray(0, 1)]));
  l.push(Buffer.concat([euro.subarray(1), Buffer.from('\nlast')]));
  l.flush();
  t.deepEqual(lines, ['bold', 'price 5€', 'last']);
});
