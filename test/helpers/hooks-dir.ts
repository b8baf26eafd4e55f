// A hooks dir under `dir` with one shell hook at `point` (preStart, onDefineDomain...), for tests that need the VM
// user (hooks run as uid 107 under a root launcher) to act at a given moment.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function hooksDir(dir: string, point: string, body: string): string {
  const hooks = join(dir, 'hooks');
  mkdirSync(join(hooks, `${point}.d`), { recursive: true, mode: 0o755 });
  writeFileSync(join(hooks, `${point}.d`, '10-hook'), `#!/bin/sh\nset -eu\n${body}\n`, { mode: 0o755 });
  return hooks;
}
