// The pieces that keep a root launcher from following the VM user's links and from Node's timer overflow
// (issue 12), exercised directly: safe-files, the runtime dir's cache choice, long timers.
import test from 'ava';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync, linkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { readTrusted, writeFileSafely } from '../../launcher/common/safe-files.js';
import { longTimeout, MAX_TIMER_MS } from '../../common/long-timer.js';
import { RuntimeDir } from '../../launcher/stack/runtime-dir.js';
import { runtimeLayout } from '../../launcher/plan/runtime-layout.js';
import { isRoot } from '../../harness/requirements.js';

const scratch = () => mkdtempSync(join(tmpdir(), 'vml-unit-'));
const me = process.getuid?.() ?? 0;

test('writeFileSafely replaces a planted link at the final name and never writes through it', async (t) => {
  const dir = scratch();
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'precious');
  symlinkSync(victim, join(dir, 'status.json'));
  symlinkSync(victim, join(dir, 'status.json.tmp'));
  await writeFileSafely(join(dir, 'status.json'), '{"phase":"Running"}');
  t.is(readFileSync(victim, 'utf8'), 'precious');
  t.is(readFileSync(join(dir, 'status.json'), 'utf8'), '{"phase":"Running"}');
  t.false(statSync(join(dir, 'status.json')).isSymbolicLink());
});

test('readTrusted refuses a link, another owner, a hard link and a group-writable file', async (t) => {
  const dir = scratch();
  writeFileSync(join(dir, 'secret'), 'root only', { mode: 0o600 });
  symlinkSync(join(dir, 'secret'), join(dir, 'link'));
  await t.throwsAsync(readTrusted(join(dir, 'link'), { owners: [me] }), { code: 'EUNTRUSTED' });
  await t.throwsAsync(readTrusted(join(dir, 'secret'), { owners: [me + 1] }), { message: /owned by uid/ });
  linkSync(join(dir, 'secret'), join(dir, 'hard'));
  await t.throwsAsync(readTrusted(join(dir, 'hard'), { owners: [me] }), { message: /2 hard links/ });
  writeFileSync(join(dir, 'open'), 'x');
  chmodSync(join(dir, 'open'), 0o666);
  await t.throwsAsync(readTrusted(join(dir, 'open'), { owners: [me], notWritableByOthers: true }), { message: /writable by group or others/ });
  t.is(await readTrusted(join(dir, 'open'), { owners: [me] }), 'x');
});

test('long timers: a delay beyond 2^31-1 ms does not fire at once; a short one fires', async (t) => {
  let fired = 0;
  const long = longTimeout(() => fired++, 3_000_000 * 1000);
  const longer = longTimeout(() => fired++, MAX_TIMER_MS + 1);
  await new Promise<void>((resolve) => { longTimeout(resolve, 50); });
  await new Promise((r) => setTimeout(r, 100));
  t.is(fired, 0, 'Node alone would have fired both after 1 ms');
  long.clear();
  longer.clear();
});

test('an existing cache dir the launcher did not create is never chowned; the cache moves into the runtime dir', async (t) => {
  if (!isRoot) { t.log('skipped: chown needs root'); t.pass(); return; }
  const dir = scratch();
  chmodSync(dir, 0o755); // the VM user walks down to its runtime dir, as in a pod
  const cache = join(dir, 'cache');
  mkdirSync(cache, { mode: 0o755 });
  chownSync(cache, 1000, 1000);
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (l: string) => { warnings.push(l); } });
  const rd = await RuntimeDir.claim(runtimeLayout(join(dir, 'rt'), cache), { uid: 107, gid: 107 }, logger);
  t.is(statSync(cache).uid, 1000, 'not chowned');
  t.is(rd.layout.cacheDir, join(dir, 'rt', 'cache'));
  t.true(warnings.some((w) => w.includes('CacheDirUnavailable')));
  t.is(statSync(join(dir, 'rt')).mode & 0o777, 0o700);
  t.is(statSync(join(dir, 'rt')).uid, 107);
  // Release removes only its own names; a foreign file stays, and so does the directory.
  writeFileSync(join(dir, 'rt', 'stop-record'), 'a hook wrote this');
  t.deepEqual(await rd.release(logger), ['stop-record']);
  t.true(existsSync(join(dir, 'rt', 'stop-record')));
  t.false(existsSync(join(dir, 'rt', 'vm-launcher.owner')));
  for (const f of rd.logFiles.values()) await f.close().catch(() => undefined);
});
