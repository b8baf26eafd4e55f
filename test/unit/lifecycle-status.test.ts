// The status file's extra parts: merged into every write, and frozen once the launcher reached its last phase.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lifecycle } from '../../launcher/run/lifecycle.js';
import { createLogger } from '../../launcher/common/log.js';

test('lifecycle: updates are merged into the status file; after the final phase they change nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vml-lc-'));
  try {
    const l = new Lifecycle(createLogger({ level: 'silent', format: 'json' }));
    l.statusPath = join(dir, 'status.json');
    await l.update({ network: null });
    await l.to('StartingStack', 'StartingStack', 'starting');
    await l.update({ timings: { createMs: 5 } });
    const during = JSON.parse(readFileSync(l.statusPath, 'utf8'));
    t.is(during.phase, 'StartingStack');
    t.deepEqual([during.network, during.timings], [null, { createMs: 5 }]);
    await l.to('Aborted', 'Aborted', 'stopped');
    const last = readFileSync(l.statusPath, 'utf8');
    await l.update({ timings: { createMs: 6 } });
    t.is(readFileSync(l.statusPath, 'utf8'), last);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
