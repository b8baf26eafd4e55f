// The hook runner and chains with real processes: small sh scripts written into temp dirs, and libvirt's real
// schema check (virt-xml-validate).
import test from 'ava';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { LauncherError } from '../../domain/problem.js';
import {
  HOOK_PATH, HookError, discoverHooks, runHook, runOnDefineDomain, runPostStop, runPreStart,
  type DefineDomainContext, type HookLogger, type HookPoint,
} from '../../hooks/index.js';
import { validateDomainXml as virtXmlValidate } from '../../launcher/common/xml-validate.js';

const DOMAIN_XML = `<domain type='kvm'>
  <name>default_testvm</name>
  <uuid>5a9fc181-957e-5c32-9e5a-2de5e9673531</uuid>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
  </os>
  <devices/>
</domain>
`;

interface LogLine { level: 'info' | 'warn' | 'error'; obj: Record<string, unknown>; msg: string }

class CapturingLogger implements HookLogger {
  readonly lines: LogLine[] = [];
  info(obj: object, msg: string): void { this.lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }); }
  warn(obj: object, msg: string): void { this.lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }); }
  error(obj: object, msg: string): void { this.lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg }); }
}


interface Fixture { hooksDir: string; runtimeDir: string; logger: CapturingLogger; ctx: DefineDomainContext; cleanup(): Promise<void> }

async function fixture(timeoutMs = 20_000): Promise<Fixture> {
  const root = await mkdtemp(join(tmpdir(), 'hooks-test-'));
  const hooksDir = join(root, 'hooks');
  const runtimeDir = join(root, 'run');
  await mkdir(hooksDir);
  await mkdir(runtimeDir);
  const vmiJsonPath = join(runtimeDir, 'vmi.json');
  await writeFile(vmiJsonPath, JSON.stringify({ metadata: { namespace: 'default', name: 'testvm', uid: 'u-1' } }));
  const logger = new CapturingLogger();
  return {
    hooksDir, runtimeDir, logger,
    ctx: {
      logger, runtimeDir, vmiJsonPath, timeoutMs,
      vmi: { namespace: 'default', name: 'testvm', uid: 'u-1' },
      validateXml: virtXmlValidate,
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

async function addHook(hooksDir: string, point: HookPoint, name: string, body: string, mode = 0o755): Promise<string> {
  const dir = join(hooksDir, `${point}.d`);
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, mode);
  return path;
}

/** Dead or a zombie waiting for init to reap it: either way it runs no more. */
async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return !/^\d+ \(.*\) Z/.test(stat);
}

async function waitDead(pid: number, withinMs = 3000): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    if (!await isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

const reasonOf = (e: unknown): string => (e instanceof LauncherError ? e.reason : `not a LauncherError: ${String(e)}`);

test('a pino logger is a HookLogger', (t) => {
  const logger: HookLogger = pino({ enabled: false });
  t.truthy(logger);
});

test('discovery: byte order, skips dotfiles, non-executables, directories and dangling links, follows links', async (t) => {
  const f = await fixture();
  try {
    t.deepEqual(await discoverHooks(f.hooksDir, 'onDefineDomain'), [], 'missing dir = no hooks');
    await addHook(f.hooksDir, 'preStart', 'b', 'true');
    await addHook(f.hooksDir, 'preStart', '10-x', 'true');
    await addHook(f.hooksDir, 'preStart', '9-y', 'true');
    await addHook(f.hooksDir, 'preStart', 'B', 'true');
    await addHook(f.hooksDir, 'preStart', '.hidden', 'true');
    await addHook(f.hooksDir, 'preStart', 'not-exec', 'true', 0o644);
    await mkdir(join(f.hooksDir, 'preStart.d', 'a-dir'));
    await symlink('/nonexistent/hook', join(f.hooksDir, 'preStart.d', 'dangling'));
    const target = await addHook(f.hooksDir, 'onDefineDomain', 'real', 'cat');
    await symlink(target, join(f.hooksDir, 'preStart.d', 'linked'));

    const hooks = await discoverHooks(f.hooksDir, 'preStart');
    t.deepEqual(hooks.map((h) => h.name), ['.hidden', '10-x', '9-y', 'B', 'a-dir', 'b', 'dangling', 'linked', 'not-exec']);
    const runnable = hooks.filter((h) => !h.skipped).map((h) => h.name);
    t.deepEqual(runnable, ['10-x', '9-y', 'B', 'b', 'linked']);
    const skipped = Object.fromEntries(hooks.filter((h) => h.skipped).map((h) => [h.name, h.skipped]));
    t.is(skipped['.hidden'], 'dotfile');
    t.regex(String(skipped['not-exec']), /not executable/);
    t.is(skipped['a-dir'], 'not a regular file');
    t.regex(String(skipped.dangling), /ENOENT/);
    for (const h of hooks.filter((x) => !x.skipped)) t.is(h.path, join(f.hooksDir, 'preStart.d', h.name));
  } finally { await f.cleanup(); }
});

test('discovery: a point dir that is not a directory is an error, not "no hooks"', async (t) => {
  const f = await fixture();
  try {
    await writeFile(join(f.hooksDir, 'preStart.d'), 'oops');
    const e = await t.throwsAsync(discoverHooks(f.hooksDir, 'preStart'));
    t.is(reasonOf(e), 'HooksDirUnreadable');
  } finally { await f.cleanup(); }
});

test('onDefineDomain: no hooks returns the XML unchanged', async (t) => {
  const f = await fixture();
  try {
    t.is(await runOnDefineDomain(await discoverHooks(f.hooksDir, 'onDefineDomain'), DOMAIN_XML, f.ctx), DOMAIN_XML);
  } finally { await f.cleanup(); }
});

test('onDefineDomain: hooks run in name order, each fed the previous output; skipped ones are logged', async (t) => {
  const f = await fixture();
  try {
    await addHook(f.hooksDir, 'onDefineDomain', '20-second', `sed 's#</name>#-second</name>#'`);
    await addHook(f.hooksDir, 'onDefineDomain', '10-first', `sed 's#</name>#-first</name>#'`);
    await addHook(f.hooksDir, 'onDefineDomain', '15-disabled', 'exit 1', 0o644);
    const out = await runOnDefineDomain(await discoverHooks(f.hooksDir, 'onDefineDomain'), DOMAIN_XML, f.ctx);
    t.regex(out, /<name>default_testvm-first-second<\/name>/);
    const skip = f.logger.lines.find((l) => l.obj.hook === '15-disabled');
    t.is(skip?.level, 'warn');
    t.regex(String(skip?.msg), /not executable/);
  } finally { await f.cleanup(); }
});

const failureModes: Array<{ title: string; body: string; reason: string; text: RegExp; timeoutMs?: number }> = [
  { title: 'timeout', body: 'sleep 30', reason: 'HookTimedOut', text: /timed out after 500 ms/, timeoutMs: 500 },
  { title: 'non-zero exit', body: 'echo "disk quota: boom" >&2; exit 3', reason: 'HookFailed', text: /exited with code 3.*boom/ },
  { title: 'killed by a signal', body: 'kill -SEGV $$', reason: 'HookFailed', text: /killed by SIGSEGV/ },
  { title: 'empty output', body: 'cat >/dev/null', reason: 'HookOutputEmpty', text: /printed nothing/ },
  { title: 'invalid XML', body: `cat >/dev/null; echo '<domain><name>x</domain>'`, reason: 'HookOutputInvalidXml', text: /invalid domain XML/ },
  { title: 'a root other than <domain>', body: `cat >/dev/null; echo '<network/>'`, reason: 'HookOutputInvalidXml', text: /root element is <network>/ },
  { title: 'schema-invalid XML', body: `cat >/dev/null; echo '<domain><bogus/></domain>'`, reason: 'HookOutputSchemaInvalid', text: /libvirt's domain schema/ },
  { title: 'a missing interpreter', body: '', reason: 'HookNotExecutable', text: /could not be started/ },
];

for (const mode of failureModes) {
  test(`onDefineDomain refuses on ${mode.title}, naming the hook, and runs no later hook`, async (t) => {
    const f = await fixture(mode.timeoutMs);
    try {
      const path = await addHook(f.hooksDir, 'onDefineDomain', '10-bad', mode.body);
      if (mode.reason === 'HookNotExecutable') await writeFile(path, '#!/nonexistent/interpreter\n');
      const marker = join(f.runtimeDir, 'later-ran');
      await addHook(f.hooksDir, 'onDefineDomain', '20-later', `touch '${marker}'; cat`);
      const started = Date.now();
      const e = await t.throwsAsync(runOnDefineDomain(await discoverHooks(f.hooksDir, 'onDefineDomain'), DOMAIN_XML, f.ctx));
      t.true(e instanceof HookError && e instanceof LauncherError);
      t.is(reasonOf(e), mode.reason);
      t.is((e as HookError).hook, '10-bad');
      t.is((e as HookError).point, 'onDefineDomain');
      t.regex(String(e?.message), /onDefineDomain hook 10-bad /);
      t.regex(String(e?.message), mode.text);
      t.truthy((e as HookError).problem.fix);
      await t.throwsAsync(readFile(marker), undefined, 'the next hook must not run');
      if (mode.timeoutMs) t.true(Date.now() - started < 5000, 'the timeout is enforced');
    } finally { await f.cleanup(); }
  });
}

test('a hook writing more than the stdout cap is refused', async (t) => {
  const f = await fixture();
  try {
    await addHook(f.hooksDir, 'onDefineDomain', '10-chatty', 'cat >/dev/null; head -c 1000000 /dev/zero | tr "\\0" a');
    const e = await t.throwsAsync(runOnDefineDomain(await discoverHooks(f.hooksDir, 'onDefineDomain'), DOMAIN_XML, { ...f.ctx, maxStdoutBytes: 4096 }));
    t.is(reasonOf(e), 'HookOutputTooLarge');
  } finally { await f.cleanup(); }
});

test('a hook that ignores a large stdin and prints its own XML is fine', async (t) => {
  const f = await fixture();
  try {
    const fixed = join(f.runtimeDir, 'fixed.xml');
    await writeFile(fixed, DOMAIN_XML);
    await addHook(f.hooksDir, 'onDefineDomain', '10-ignore-input', `cat '${fixed}'`);
    const big = DOMAIN_XML.replace('<devices/>', `<description>${'x'.repeat(512 * 1024)}</description>\n  <devices/>`);
    t.is(await runOnDefineDomain(await discoverHooks(f.hooksDir, 'onDefineDomain'), big, f.ctx), DOMAIN_XML);
  } finally { await f.cleanup(); }
});

test('stderr lines reach the logger with the hook name and point', async (t) => {
  const f = await fixture();
  try {
    await addHook(f.hooksDir, 'onDefineDomain', '10-talker', 'echo "first line" >&2; echo "second line" >&2; cat');
    await runOnDefineDomain(await discoverHooks(f.hooksDir, 'onDefineDomain'), DOMAIN_XML, f.ctx);
    const stderr = f.logger.lines.filter((l) => l.obj.stream === 'stderr');
    t.deepEqual(stderr.map((l) => l.msg), ['first line', 'second line']);
    for (const l of stderr) {
      t.is(l.obj.hook, '10-talker');
      t.is(l.obj.hookPoint, 'onDefineDomain');
    }
  } finally { await f.cleanup(); }
});

test('a hook gets a clean environment, the runtime dir as cwd, and the VMI file', async (t) => {
  const f = await fixture();
  process.env.HOOKS_TEST_LEAK = 'must-not-leak';
  try {
    const envFile = join(f.runtimeDir, 'env.txt');
    await addHook(f.hooksDir, 'preStart', '10-env', `env > '${envFile}'; pwd > '${f.runtimeDir}/pwd.txt'; cat "$VM_LAUNCHER_VMI_JSON" > '${f.runtimeDir}/vmi-seen.json'`);
    await runPreStart(await discoverHooks(f.hooksDir, 'preStart'), f.ctx);
    const env = Object.fromEntries((await readFile(envFile, 'utf8')).trim().split('\n').map((l) => {
      const i = l.indexOf('=');
      return [l.slice(0, i), l.slice(i + 1)];
    }));
    delete env.PWD; // set by sh itself
    t.deepEqual(env, {
      PATH: HOOK_PATH,
      LANG: 'C.UTF-8',
      VM_LAUNCHER_HOOK_POINT: 'preStart',
      VM_LAUNCHER_VMI_NAMESPACE: 'default',
      VM_LAUNCHER_VMI_NAME: 'testvm',
      VM_LAUNCHER_VMI_UID: 'u-1',
      VM_LAUNCHER_RUNTIME_DIR: f.runtimeDir,
      VM_LAUNCHER_VMI_JSON: f.ctx.vmiJsonPath,
    });
    t.false('HOME' in env);
    t.false('HOOKS_TEST_LEAK' in env);
    t.is((await readFile(join(f.runtimeDir, 'pwd.txt'), 'utf8')).trim(), f.runtimeDir);
    t.is(await readFile(join(f.runtimeDir, 'vmi-seen.json'), 'utf8'), await readFile(f.ctx.vmiJsonPath, 'utf8'));
  } finally {
    delete process.env.HOOKS_TEST_LEAK;
    await f.cleanup();
  }
});

test('preStart: stdout is logged; the first failure throws and stops the rest', async (t) => {
  const f = await fixture();
  try {
    await addHook(f.hooksDir, 'preStart', '10-ok', 'echo ready');
    await addHook(f.hooksDir, 'preStart', '20-fails', 'echo "no licence server" >&2; exit 2');
    const marker = join(f.runtimeDir, 'later-ran');
    await addHook(f.hooksDir, 'preStart', '30-later', `touch '${marker}'`);
    const e = await t.throwsAsync(runPreStart(await discoverHooks(f.hooksDir, 'preStart'), f.ctx));
    t.is(reasonOf(e), 'HookFailed');
    t.is((e as HookError).hook, '20-fails');
    t.regex(String(e?.message), /no licence server/);
    await t.throwsAsync(readFile(marker));
    t.truthy(f.logger.lines.find((l) => l.obj.hook === '10-ok' && l.obj.stream === 'stdout' && l.msg === 'ready'));
  } finally { await f.cleanup(); }
});

for (const stop of [{ reason: 'clean', exitCode: 0 }, { reason: 'forced', exitCode: 143 }] as const) {
  test(`postStop sees a ${stop.reason} stop and its exit code`, async (t) => {
    const f = await fixture();
    try {
      const out = join(f.runtimeDir, 'seen');
      await addHook(f.hooksDir, 'postStop', '10-record', `echo "$VM_LAUNCHER_HOOK_POINT $VM_LAUNCHER_STOP_REASON $VM_LAUNCHER_EXIT_CODE" > '${out}'`);
      const results = await runPostStop(await discoverHooks(f.hooksDir, 'postStop'), f.ctx, stop);
      t.is(results[0]?.outcome, 'ok');
      t.is((await readFile(out, 'utf8')).trim(), `postStop ${stop.reason} ${stop.exitCode}`);
    } finally { await f.cleanup(); }
  });
}

test('postStop: failures are logged, never thrown, and every hook still runs', async (t) => {
  const f = await fixture(500);
  try {
    await addHook(f.hooksDir, 'postStop', '10-fails', 'echo "backup target gone" >&2; exit 1');
    await addHook(f.hooksDir, 'postStop', '20-hangs', 'sleep 30');
    await writeFile(await addHook(f.hooksDir, 'postStop', '25-broken', ''), '#!/nonexistent/interpreter\n');
    const marker = join(f.runtimeDir, 'last-ran');
    await addHook(f.hooksDir, 'postStop', '30-ok', `touch '${marker}'`);
    const results = await runPostStop(await discoverHooks(f.hooksDir, 'postStop'), f.ctx, { reason: 'crashed', exitCode: 1 });
    t.deepEqual(results.map((r) => [r.hook, r.outcome]), [
      ['10-fails', 'failed'], ['20-hangs', 'timedOut'], ['25-broken', 'notExecutable'], ['30-ok', 'ok'],
    ]);
    await t.notThrowsAsync(readFile(marker));
    const errors = f.logger.lines.filter((l) => l.level === 'error' && l.obj.reason);
    t.deepEqual(errors.map((l) => [l.obj.hook, l.obj.reason]), [
      ['10-fails', 'HookFailed'], ['20-hangs', 'HookTimedOut'], ['25-broken', 'HookNotExecutable'],
    ]);
  } finally { await f.cleanup(); }
});

test('a hook cannot escape its timeout by leaving children behind', async (t) => {
  const f = await fixture(500);
  try {
    const pidFile = join(f.runtimeDir, 'child.pid');
    await addHook(f.hooksDir, 'preStart', '10-spawner', `sleep 1000 &\necho $! > '${pidFile}'\nsleep 1000`);
    const started = Date.now();
    const e = await t.throwsAsync(runPreStart(await discoverHooks(f.hooksDir, 'preStart'), f.ctx));
    t.is(reasonOf(e), 'HookTimedOut');
    t.true(Date.now() - started < 5000);
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    t.true(pid > 1);
    t.true(await waitDead(pid), `child ${pid} still runs after the timeout`);
  } finally { await f.cleanup(); }
});

test('children left in the background are killed when the hook exits, without waiting for them', async (t) => {
  const f = await fixture();
  try {
    const pidFile = join(f.runtimeDir, 'child.pid');
    // The child keeps the stdout pipe open: without killing the group we would wait for it.
    await addHook(f.hooksDir, 'postStop', '10-leaves-child', `sleep 1000 &\necho $! > '${pidFile}'\necho done`);
    const started = Date.now();
    const [r] = await runPostStop(await discoverHooks(f.hooksDir, 'postStop'), f.ctx, { reason: 'clean', exitCode: 0 });
    t.is(r?.outcome, 'ok');
    t.is(r?.stdout, 'done\n');
    t.true(Date.now() - started < 5000);
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    t.true(await waitDead(pid), `child ${pid} outlived its hook`);
  } finally { await f.cleanup(); }
});

test('runHook reports the outcome without throwing', async (t) => {
  const f = await fixture();
  try {
    await addHook(f.hooksDir, 'preStart', 'x', 'echo out; echo err >&2; exit 4');
    const [hook] = await discoverHooks(f.hooksDir, 'preStart');
    const lines: string[] = [];
    const r = await runHook(hook!, {
      point: 'preStart', env: { PATH: HOOK_PATH }, cwd: f.runtimeDir, timeoutMs: 5000, maxStdoutBytes: 1024, onStderr: (l) => lines.push(l),
    });
    t.like(r, { hook: 'x', point: 'preStart', outcome: 'failed', exitCode: 4, stdout: 'out\n', stderrTail: ['err'] });
    t.deepEqual(lines, ['err']);
  } finally { await f.cleanup(); }
});

test('a hook can run as another user, without the launcher\'s groups', async (t) => {
  if (process.getuid?.() !== 0) { t.log('skipped: running a hook as another user needs root'); t.pass(); return; }
  const f = await fixture();
  try {
    await chmod(join(f.runtimeDir, '..'), 0o755);
    await chmod(f.runtimeDir, 0o755);
    await chmod(f.hooksDir, 0o755);
    await addHook(f.hooksDir, 'preStart', '10-whoami', 'echo "$(id -u) $(id -g) $(id -G)"');
    await runPreStart(await discoverHooks(f.hooksDir, 'preStart'), { ...f.ctx, uid: 65534, gid: 65534 });
    const out = f.logger.lines.find((l) => l.obj.hook === '10-whoami' && l.obj.stream === 'stdout');
    t.is(out?.msg, '65534 65534 65534');
  } finally { await f.cleanup(); }
});

test('aborting the context signal kills the running hook and starts no more', async (t) => {
  const f = await fixture();
  try {
    await addHook(f.hooksDir, 'preStart', '10-slow', 'sleep 30');
    const marker = join(f.runtimeDir, 'later-ran');
    await addHook(f.hooksDir, 'preStart', '20-later', `touch '${marker}'`);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 300);
    const started = Date.now();
    const e = await t.throwsAsync(runPreStart(await discoverHooks(f.hooksDir, 'preStart'), { ...f.ctx, signal: abort.signal }));
    t.is(reasonOf(e), 'HookCancelled');
    t.is((e as HookError).hook, '10-slow');
    t.true(Date.now() - started < 5000);
    await t.throwsAsync(readFile(marker));
    const results = await runPostStop(await discoverHooks(f.hooksDir, 'preStart'), { ...f.ctx, signal: abort.signal }, { reason: 'clean', exitCode: 0 });
    t.deepEqual(results, [], 'an aborted signal starts no postStop hook');
  } finally { await f.cleanup(); }
});
