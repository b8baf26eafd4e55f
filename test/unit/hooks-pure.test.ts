// The pure parts of hooks/, without running a hook: the first gate on an onDefineDomain hook's output, the
// environment a hook gets, and the error (reason, message, fix) for each way a hook can fail.
import test from 'ava';
import { checkDomainXml } from '../../hooks/check-domain-xml.js';
import { hookEnv, HOOK_PATH } from '../../hooks/env.js';
import { errorForResult, HookReason } from '../../hooks/errors.js';
import type { HookContext } from '../../hooks/context.js';
import type { HookResult } from '../../hooks/run-hook.js';

// [xml, undefined when accepted, else a part of the refusal]
const xmlTable: Array<[string, string | undefined]> = [
  ["<domain type='qemu'><name>x</name></domain>", undefined],
  ["<?xml version='1.0'?>\n<!-- a comment --><domain/>", undefined],
  ['<domain>', 'line 1'],
  ['<domain></domian>', 'line 1, column'],
  ['<vm/>', 'root element is <vm>, not one <domain>'],
  ['<domain/><domain/>', '2 root elements (<domain>, <domain>)'],
  ["<domain type='qemu'><name>a</name></domain><vm/>", '2 root elements (<domain>, <vm>)'],
  ['<!-- only a comment -->', 'Start tag expected. (line 1)'],
  ['', 'Start tag expected'],
  ['just text', 'line 1'],
  ['<![CDATA[x]]><domain/>', 'text outside the root element (a CDATA section), not one <domain>'],
  ['<domain/>\n<x/>', '2 root elements (<domain>, <x>), not one <domain>'],
];
for (const [xml, refusal] of xmlTable) {
  test(`domain XML ${JSON.stringify(xml)}: ${refusal ?? 'accepted'}`, (t) => {
    const r = checkDomainXml(xml);
    if (refusal === undefined) t.deepEqual(r, { ok: true });
    else if (r.ok) t.fail('accepted');
    else t.true(r.message.includes(refusal), r.message);
  });
}

const logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const ctx: HookContext = {
  logger, vmi: { namespace: 'ns', name: 'vm1', uid: 'u-1' }, runtimeDir: '/run/vml', vmiJsonPath: '/run/vml/vmi.json',
};

test('a hook gets exactly the documented environment', (t) => {
  t.deepEqual(hookEnv('preStart', ctx), {
    PATH: HOOK_PATH, LANG: 'C.UTF-8', VM_LAUNCHER_HOOK_POINT: 'preStart', VM_LAUNCHER_VMI_NAMESPACE: 'ns',
    VM_LAUNCHER_VMI_NAME: 'vm1', VM_LAUNCHER_VMI_UID: 'u-1', VM_LAUNCHER_RUNTIME_DIR: '/run/vml', VM_LAUNCHER_VMI_JSON: '/run/vml/vmi.json',
  });
});

test('postStop also gets the stop reason and exit code; other points never do', (t) => {
  t.like(hookEnv('postStop', ctx, { reason: 'forced', exitCode: 4 }), { VM_LAUNCHER_STOP_REASON: 'forced', VM_LAUNCHER_EXIT_CODE: '4' });
  t.is(hookEnv('postStop', ctx).VM_LAUNCHER_STOP_REASON, undefined);
  t.is(hookEnv('preStart', ctx, { reason: 'clean', exitCode: 0 }).VM_LAUNCHER_STOP_REASON, undefined);
});

const result = (outcome: HookResult['outcome'], stderrTail: string[] = []): HookResult => ({
  hook: '10-net', point: 'preStart', outcome, message: 'went wrong', stdout: '', stdoutInvalidUtf8: false, stderrTail, durationMs: 5,
});

// [outcome, reason, the fix must mention]
const errorTable: Array<[HookResult['outcome'], string, RegExp]> = [
  ['timedOut', HookReason.TimedOut, /preStart\.d\/10-net finish within 1500 ms/],
  ['notExecutable', HookReason.NotExecutable, /preStart\.d\/10-net is executable.*noexec/],
  ['outputTooLarge', HookReason.OutputTooLarge, /preStart\.d\/10-net print only its result/],
  ['cancelled', HookReason.Cancelled, /asked to stop/],
  ['failed', HookReason.Failed, /fix preStart\.d\/10-net, or remove it/],
];
for (const [outcome, reason, fix] of errorTable) {
  test(`a hook that ${outcome}: ${reason}, named in the message, with a fix`, (t) => {
    const e = errorForResult(result(outcome), 1500);
    t.is(e.reason as string, reason);
    t.is(e.message, 'preStart hook 10-net went wrong');
    t.deepEqual([e.hook, e.point, e.name], ['10-net', 'preStart', 'HookError']);
    t.regex(e.problem.fix ?? '', fix);
  });
}

test('an ok outcome handed to errorForResult by mistake is still a HookFailed error, never undefined', (t) => {
  const e = errorForResult(result('ok'), 1);
  t.is(e.reason as string, HookReason.Failed);
  t.is(e.message, 'preStart hook 10-net went wrong');
});

test("a failed or timed-out hook's message carries the last stderr lines", (t) => {
  t.is(errorForResult(result('failed', ['a', 'b']), 1).message, 'preStart hook 10-net went wrong; last stderr: a | b');
  t.is(errorForResult(result('timedOut', ['late']), 1).message, 'preStart hook 10-net went wrong; last stderr: late');
  t.is(errorForResult(result('notExecutable', ['x']), 1).message, 'preStart hook 10-net went wrong');
});
