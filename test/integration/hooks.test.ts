// Hooks (issue 5) with the real launcher and real processes, no mocks: the onDefineDomain chain in `domain`
// output and in a real run's QEMU command line, every failure mode refusing with the hook's name and nothing
// started, preStart stopping a launch, postStop seeing how the guest stopped, and a hook's children killed at
// its timeout.
import test, { type ExecutionContext } from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LauncherRun, cliPath, processesMentioning, vmFixture, vmiYaml, type LogLine, type VmFixture } from '../../harness/launcher-process.js';
import { repoRoot } from '../../harness/guest-disk.js';
import { bootUnavailable, isRoot, qemuImgUnavailable, validatorUnavailable } from '../../harness/requirements.js';

const EXIT = { Clean: 0, Forced: 4, Failed: 5 };
const MANUFACTURER = 'Radical Edward';
const QEMU_ARG = 'type=11,value=vm-launcher:hook-example'; // what examples/hooks/onDefineDomain.d/20-qemu-arg adds

// ---------------------------------------------------------------------------------------------------------------
// Helpers

const temps: string[] = [];
test.after.always(() => { for (const d of temps) rmSync(d, { recursive: true, force: true }); });

/** A temp dir anyone may enter (hooks run as uid 107 when the launcher is root). */
function openTempDir(prefix: string, mode = 0o755): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(d, mode);
  temps.push(d);
  return d;
}

type HookTree = Partial<Record<'onDefineDomain' | 'preStart' | 'postStop', Record<string, string>>>;

/** A hooks dir (mode 755 throughout) holding `tree`'s scripts, optionally on top of examples/hooks. */
function hooksDir(tree: HookTree, opts: { examples?: boolean } = {}): string {
  const dir = openTempDir('vml-hooks-');
  if (opts.examples) cpSync(join(repoRoot, 'examples', 'hooks'), dir, { recursive: true });
  for (const [point, hooks] of Object.entries(tree)) {
    const pd = join(dir, `${point}.d`);
    mkdirSync(pd, { recursive: true });
    for (const [name, body] of Object.entries(hooks)) writeFileSync(join(pd, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
  execFileSync('chmod', ['-R', 'a+rX', dir]);
  return dir;
}

/** A VMI with a 1 MiB raw disk for `domain` (no guest needed); optional annotations. */
function domainFixture(annotations: Record<string, string> = {}): VmFixture {
  const fx = vmFixture({ withDisk: false });
  temps.push(fx.dir);
  execFileSync('qemu-img', ['create', '-f', 'raw', fx.image, '1M'], { stdio: 'ignore' });
  if (isRoot) execFileSync('chown', ['107:107', fx.image]);
  if (Object.keys(annotations).length > 0) withAnnotations(fx, annotations);
  return fx;
}

function withAnnotations(fx: VmFixture, annotations: Record<string, string>): void {
  const entries = Object.entries(annotations).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ');
  const yaml = vmiYaml('testvm', ['rootdisk']).replace('metadata: { name: testvm, namespace: tests }',
    `metadata: { name: testvm, namespace: tests, annotations: { ${entries} } }`);
  if (!yaml.includes('annotations')) throw new Error('vmiYaml changed its metadata line');
  writeFileSync(fx.vmiPath, yaml);
}

interface CliResult { code: number | null; stdout: string; stderr: string; log: LogLine[]; ms: number }

function runDomain(fx: VmFixture, ...extra: string[]): Promise<CliResult> {
  const args = ['domain', ...fx.args().slice(1), ...extra];
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath, ...args], {
      timeout: 60_000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8', env: { ...process.env, VM_LAUNCHER_LOG_FORMAT: 'json' },
    }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      const log = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
      resolve({ code, stdout, stderr, log, ms: Date.now() - t0 });
    });
  });
}

function virtXmlValidate(xml: string): { ok: boolean; output: string } {
  const dir = openTempDir('vml-validate-');
  const file = join(dir, 'domain.xml');
  writeFileSync(file, xml);
  try {
    return { ok: true, output: execFileSync('virt-xml-validate', [file, 'domain'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

/** `domain` refused: non-zero, no XML on stdout, and an error line with `reason` naming `hook`. */
function assertDomainRefused(t: ExecutionContext, r: CliResult, reason: string, hook: string, detail?: RegExp): LogLine | undefined {
  t.not(r.code, 0, 'exit code');
  t.is(r.code, EXIT.Failed, `exit code; stderr:\n${r.stderr}`);
  t.is(r.stdout, '', 'no XML printed');
  const line = r.log.find((l) => l.reason === reason);
  t.truthy(line, `a ${reason} line; stderr:\n${r.stderr}`);
  t.true(String(line?.msg).includes(hook), `the message names the hook: ${line?.msg}`);
  if (detail) t.regex(String(line?.msg), detail);
  return line;
}

/** Alive = present in /proc and not a zombie. */
function alive(pid: number): boolean {
  try {
    return /State:\s+(\w)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] !== 'Z';
  } catch {
    return false;
  }
}

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

/** A `run` that never got its guest going: nothing defined or started, nothing left behind. */
async function assertNothingStarted(t: ExecutionContext, run: LauncherRun, fx: VmFixture, defined: boolean): Promise<void> {
  t.falsy(run.lines.find((l) => l.component === 'guest-console'), 'no guest-console line');
  t.falsy(run.lines.find((l) => l.reason === 'Started' || l.reason === 'StartupTimings'), 'the domain was never started');
  if (!defined) t.falsy(run.lines.find((l) => l.reason === 'Defined' || l.phase === 'Starting'), 'the domain was never defined');
  await new Promise((r) => setTimeout(r, 300));
  t.deepEqual(processesMentioning(fx.runtimeDir), [], 'no process of the stack survives the launcher');
  t.false(existsSync(fx.runtimeDir), 'the runtime dir is removed');
}

// ---------------------------------------------------------------------------------------------------------------
// `domain`: the chain, the examples, the failure modes (fast: nothing is started)

const domainSkip = qemuImgUnavailable() ?? validatorUnavailable();
const domainTest = domainSkip ? test.skip : test;
if (domainSkip) test('hooks: domain tests', (t) => { t.log(`SKIPPED: ${domainSkip}`); t.pass(); });

domainTest('domain: two onDefineDomain hooks apply in name order, and the result passes the schema', async (t) => {
  const fx = domainFixture();
  // 20 only works on 10's output: run in the other order, the description would read "first" alone.
  const dir = hooksDir({
    onDefineDomain: {
      '20-second': 'echo "second sees $VM_LAUNCHER_HOOK_POINT" >&2\nsed "s#</description>#;second</description>#"',
      '10-first': 'sed "s#</name>#</name><description>first</description>#"',
    },
  });
  const r = await runDomain(fx, '--hooks-dir', dir);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /<description>first;second<\/description>/);
  t.is(r.stdout.match(/<description>/g)?.length, 1);
  const started = r.log.filter((l) => l.msg === 'hook started').map((l) => l.hook);
  t.deepEqual(started, ['10-first', '20-second'], 'hook logs on stderr, in order');
  t.truthy(r.log.find((l) => l.hook === '20-second' && l.stream === 'stderr' && l.msg === 'second sees onDefineDomain'), 'a hook\'s stderr is logged with its name');
  const v = virtXmlValidate(r.stdout);
  t.true(v.ok, v.output);
  t.log(`domain with 2 hooks: ${r.ms} ms`);
});

domainTest('domain: examples/hooks set the SMBIOS base board manufacturer from the annotation and add the QEMU arg', async (t) => {
  const fx = domainFixture({ 'smbios.vm.kubevirt.io/baseBoardManufacturer': MANUFACTURER });
  const dir = hooksDir({}, { examples: true });
  const r = await runDomain(fx, '--hooks-dir', dir);
  t.is(r.code, 0, r.stderr);
  const xml = r.stdout;
  // The launcher's own sysinfo (KubeVirt's system strings) is there already: the hook adds the base board to it,
  // it does not make a second one.
  t.is(xml.match(/<sysinfo /g)?.length, 1, 'one sysinfo');
  t.regex(xml, new RegExp(`<sysinfo type=["']smbios["']>[\\s\\S]*<baseBoard>\\s*<entry name=["']manufacturer["']>${MANUFACTURER}</entry>\\s*</baseBoard>\\s*</sysinfo>`));
  t.regex(xml, /<os>[\s\S]*<smbios mode=["']sysinfo["']\/>[\s\S]*<\/os>/);
  t.regex(xml, /^<domain [^>]*xmlns:qemu='http:\/\/libvirt.org\/schemas\/domain\/qemu\/1.0'/m);
  t.regex(xml, new RegExp(`<qemu:commandline>\\s*<qemu:arg value='-smbios'/>\\s*<qemu:arg value='${QEMU_ARG}'/>\\s*</qemu:commandline>`));
  const v = virtXmlValidate(xml);
  t.true(v.ok, `${v.output}\n${xml}`);

  // Without the annotation the SMBIOS hook passes the XML through; the QEMU arg hook still applies.
  const plain = await runDomain(domainFixture(), '--hooks-dir', dir);
  t.is(plain.code, 0, plain.stderr);
  t.notRegex(plain.stdout, /<baseBoard/, 'no base board without the annotation');
  t.regex(plain.stdout, /<qemu:arg value='-smbios'\/>/);
  t.log(`domain with examples/hooks: ${r.ms} ms`);
});

domainTest('domain: a hook that exits non-zero refuses with its name and stderr; later hooks do not run', async (t) => {
  const fx = domainFixture();
  const marker = join(openTempDir('vml-mark-', 0o777), 'ran');
  const dir = hooksDir({
    onDefineDomain: {
      '10-ok': 'cat',
      '20-deny': 'cat >/dev/null\necho "licence server unreachable" >&2\nexit 3',
      '30-after': `touch ${marker}\ncat`,
    },
  });
  const r = await runDomain(fx, '--hooks-dir', dir);
  assertDomainRefused(t, r, 'HookFailed', '20-deny', /exited with code 3.*licence server unreachable/);
  t.false(existsSync(marker), 'the chain stopped at the failing hook');
});

domainTest('domain: a hook that prints invalid XML refuses with HookOutputInvalidXml', async (t) => {
  const fx = domainFixture();
  const dir = hooksDir({ onDefineDomain: { '10-garbage': 'cat >/dev/null\necho "<domain type=\\"qemu\\"><name>x</domain>"' } });
  const r = await runDomain(fx, '--hooks-dir', dir);
  assertDomainRefused(t, r, 'HookOutputInvalidXml', '10-garbage');
});

domainTest('domain: a hook that prints schema-invalid XML refuses with HookOutputSchemaInvalid', async (t) => {
  const fx = domainFixture();
  const dir = hooksDir({ onDefineDomain: { '10-bogus': 'cat >/dev/null\necho \'<domain type="qemu"><bogus/></domain>\'' } });
  const r = await runDomain(fx, '--hooks-dir', dir);
  assertDomainRefused(t, r, 'HookOutputSchemaInvalid', '10-bogus', /libvirt's domain schema/);
});

domainTest('domain: a hook that outlives --hook-timeout refuses with HookTimedOut', async (t) => {
  const fx = domainFixture();
  const dir = hooksDir({ onDefineDomain: { '10-slow': 'echo "waiting for a licence" >&2\nsleep 30\ncat' } });
  const r = await runDomain(fx, '--hooks-dir', dir, '--hook-timeout', '1');
  assertDomainRefused(t, r, 'HookTimedOut', '10-slow', /timed out after 1000 ms/);
  // Not a timing bound (a loaded machine took 11 s): only proof the hook was cut short, not awaited (it sleeps 30 s).
  t.true(r.ms < 30_000, `refused after ${r.ms} ms, timeout 1 s: the hook's sleep 30 was not awaited`);
  t.log(`timeout refusal: ${r.ms} ms`);
});

domainTest('domain: a hook\'s background children are killed at its timeout', async (t) => {
  const fx = domainFixture();
  const out = openTempDir('vml-pid-', 0o777);
  const pidFile = join(out, 'child.pid');
  const dir = hooksDir({ onDefineDomain: { '10-forks': `sleep 1000 &\necho $! > ${pidFile}\nsleep 30` } });
  const r = await runDomain(fx, '--hooks-dir', dir, '--hook-timeout', '1');
  assertDomainRefused(t, r, 'HookTimedOut', '10-forks');
  const child = Number(readFileSync(pidFile, 'utf8').trim());
  t.true(Number.isInteger(child) && child > 1, `child pid ${child}`);
  try {
    t.true(await waitUntil(() => !alive(child), 2000), `the hook's child ${child} is gone after the launcher exited`);
  } finally {
    if (alive(child)) process.kill(child, 'SIGKILL');
  }
});

domainTest('domain: a hook whose child escapes its process group (setsid) still ends at the timeout', async (t) => {
  const fx = domainFixture();
  const pidFile = join(openTempDir('vml-hookpid-', 0o777), 'child.pid');
  // The escaped child keeps the hook's stdout/stderr open: the launcher must not wait for them.
  const dir = hooksDir({ onDefineDomain: { '10-escapes': `setsid sh -c 'echo $$ > ${pidFile}; exec sleep 1000' &\nsleep 30` } });
  const started = Date.now();
  const r = await runDomain(fx, '--hooks-dir', dir, '--hook-timeout', '1');
  assertDomainRefused(t, r, 'HookTimedOut', '10-escapes');
  t.true(Date.now() - started < 15_000, `returned after ${Date.now() - started} ms`);
  const child = Number(readFileSync(pidFile, 'utf8').trim());
  if (Number.isInteger(child) && child > 1 && alive(child)) process.kill(child, 'SIGKILL');
});

// ---------------------------------------------------------------------------------------------------------------
// `run`: a real private libvirt stack and a real guest (TCG)

const bootSkip = bootUnavailable() ?? validatorUnavailable();
const boot = bootSkip ? test.skip : test.serial;
if (bootSkip) test('hooks: run tests', (t) => { t.log(`SKIPPED: ${bootSkip}`); t.pass(); });

/** A postStop hook that writes "$VM_LAUNCHER_STOP_REASON $VM_LAUNCHER_EXIT_CODE" outside the runtime dir. */
function stopRecorder(): { file: string; hook: string } {
  const file = join(openTempDir('vml-stop-', 0o777), 'stop');
  return { file, hook: `echo "$VM_LAUNCHER_STOP_REASON $VM_LAUNCHER_EXIT_CODE" > ${file}` };
}

const readStop = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8').trim() : '(postStop did not write)');

boot('run: an onDefineDomain hook that exits non-zero stops the launch before define; nothing starts', async (t) => {
  const fx = vmFixture({ mode: 'wait' });
  temps.push(fx.dir);
  const stop = stopRecorder();
  const dir = hooksDir({ onDefineDomain: { '10-deny': 'cat >/dev/null\necho "no licence for this VM" >&2\nexit 7' }, postStop: { '10-record': stop.hook } });
  const t0 = Date.now();
  const run = new LauncherRun(fx.args('--hooks-dir', dir));
  try {
    t.is(await run.exitCode(60_000), EXIT.Failed, run.tail());
    const last = run.lines.at(-1)!;
    t.is(last.reason, 'HookFailed', run.tail());
    t.regex(last.msg, /onDefineDomain hook 10-deny exited with code 7.*no licence for this VM/);
    await assertNothingStarted(t, run, fx, false);
    t.is(readStop(stop.file), 'failed 5', 'postStop still runs and says the launch failed');
    t.log(`onDefineDomain refusal in run: ${Date.now() - t0} ms`);
  } finally {
    run.kill(fx.runtimeDir);
  }
});

boot('run: a failing preStart hook stops the launch after define: exit 5, the guest never starts', async (t) => {
  const fx = vmFixture({ mode: 'wait' });
  temps.push(fx.dir);
  const dir = hooksDir({
    preStart: {
      // preStart comes after define: the XML as defined is in the runtime dir, and the private libvirt knows the
      // domain, not yet running.
      '10-look': [
        'test -s "$VM_LAUNCHER_RUNTIME_DIR/domain.xml" && echo "domain.xml present" >&2',
        'HOME="$VM_LAUNCHER_RUNTIME_DIR/home" virsh -q -c "qemu+unix:///session?socket=$VM_LAUNCHER_RUNTIME_DIR/run/libvirt/libvirt-sock" \\',
        '  domstate tests_testvm | sed "s/^/libvirt says: /" >&2',
      ].join('\n'),
      '20-deny': 'echo "storage not ready" >&2\nexit 1',
    },
  });
  const t0 = Date.now();
  const run = new LauncherRun(fx.args('--hooks-dir', dir));
  try {
    t.is(await run.exitCode(60_000), EXIT.Failed, run.tail());
    const last = run.lines.at(-1)!;
    t.is(last.reason, 'HookFailed', run.tail());
    t.regex(last.msg, /preStart hook 20-deny exited with code 1.*storage not ready/);
    t.truthy(run.lines.find((l) => l.hook === '10-look' && l.msg === 'domain.xml present'), 'preStart ran after domain.xml was written');
    t.truthy(run.lines.find((l) => l.hook === '10-look' && l.msg === 'libvirt says: shut off'), `preStart ran with the domain defined and not started:\n${run.tail()}`);
    t.truthy(run.lines.find((l) => l.phase === 'Defining'), 'the launcher got as far as define');
    await assertNothingStarted(t, run, fx, true);
    t.log(`preStart refusal in run: ${Date.now() - t0} ms`);
  } finally {
    run.kill(fx.runtimeDir);
  }
});

boot('run: examples/hooks change the defined domain (QEMU\'s command line); postStop sees a clean stop', async (t) => {
  const fx = vmFixture({ mode: 'wait' });
  temps.push(fx.dir);
  withAnnotations(fx, { 'smbios.vm.kubevirt.io/baseBoardManufacturer': MANUFACTURER });
  const stop = stopRecorder();
  const dir = hooksDir({ postStop: { '20-to-file': stop.hook } }, { examples: true });
  const t0 = Date.now();
  const run = new LauncherRun(fx.args('--hooks-dir', dir));
  try {
    const started = await run.waitFor((l) => l.reason === 'StartupTimings', 90_000, 'start');
    const qemuPid = started.qemuPid as number;
    t.true(Number.isInteger(qemuPid), 'the launcher knows QEMU\'s pid');
    const argv = readFileSync(`/proc/${qemuPid}/cmdline`, 'utf8').split('\0');
    t.true(argv.some((a) => a.includes('type=2') && a.includes(`manufacturer=${MANUFACTURER}`)), `SMBIOS type 2 manufacturer in QEMU's argv:\n${argv.join(' ')}`);
    const i = argv.indexOf(QEMU_ARG);
    t.true(i > 0 && argv[i - 1] === '-smbios', `-smbios ${QEMU_ARG} in QEMU's argv:\n${argv.join(' ')}`);
    await run.waitForConsole('GUEST-WAITING-FOR-POWER-BUTTON', 90_000);
    run.signal('SIGTERM');
    t.is(await run.exitCode(), EXIT.Clean, run.tail());
    t.is(readStop(stop.file), 'clean 0');
    t.truthy(run.lines.find((l) => l.hook === '10-record-stop' && l.stream === 'stdout' && /stopped: clean exit=0/.test(l.msg)), 'the example postStop hook logged the stop');
    await new Promise((r) => setTimeout(r, 300));
    t.deepEqual(processesMentioning(fx.runtimeDir), []);
    t.log(`boot + clean stop with examples/hooks: ${Date.now() - t0} ms`);
  } finally {
    run.kill(fx.runtimeDir);
  }
});

boot('run: postStop sees a forced stop when the guest ignores ACPI past the grace period', async (t) => {
  const fx = vmFixture({ mode: 'ignore' });
  temps.push(fx.dir);
  const stop = stopRecorder();
  const dir = hooksDir({ postStop: { '10-record': stop.hook } });
  const t0 = Date.now();
  const run = new LauncherRun(fx.args('--hooks-dir', dir, '--grace-period', '3'));
  try {
    await run.waitForConsole('GUEST-IGNORING-ACPI', 90_000);
    const sentAt = Date.now();
    run.signal('SIGTERM');
    t.is(await run.exitCode(), EXIT.Forced, run.tail());
    const took = (Date.now() - sentAt) / 1000;
    t.true(took >= 3 && took < 13, `forced off after ${took.toFixed(1)} s, grace 3 s`);
    t.is(readStop(stop.file), 'forced 4');
    await new Promise((r) => setTimeout(r, 300));
    t.deepEqual(processesMentioning(fx.runtimeDir), []);
    t.log(`boot + forced stop: ${Date.now() - t0} ms (SIGTERM to exit ${took.toFixed(1)} s)`);
  } finally {
    run.kill(fx.runtimeDir);
  }
});
