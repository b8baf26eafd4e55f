// KubeVirt's own example manifests live outside the repository, in ../shared/kubevirt-examples beside the checkout
// (CI has it). A test that reads them says so and FAILS when the directory is absent, unless
// VM_LAUNCHER_SKIP_SHARED=1 allows a clone without ../shared (a user's fresh clone) to skip them.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';

// dist/test/helpers/ -> dist/test -> dist -> the checkout -> its parent, where shared/ lives.
export const SHARED_EXAMPLES = fileURLToPath(new URL('../../../../shared/kubevirt-examples/', import.meta.url));
export const SKIP_SHARED_ENV = 'VM_LAUNCHER_SKIP_SHARED';

export const sharedExamplesPresent = (): boolean => existsSync(SHARED_EXAMPLES);

/** For a test that needs the examples while they are absent: a logged skip when allowed, a failure otherwise. */
export function sharedExamplesAbsent(t: ExecutionContext): void {
  if (process.env[SKIP_SHARED_ENV] === '1') {
    t.log(`skipped: ${SHARED_EXAMPLES} does not exist (${SKIP_SHARED_ENV}=1 allows it)`);
    t.pass();
    return;
  }
  t.fail(`${SHARED_EXAMPLES} does not exist: this test needs ../shared/kubevirt-examples beside the checkout (CI has it); set ${SKIP_SHARED_ENV}=1 to skip it`);
}
