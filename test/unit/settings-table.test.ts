// One table of settings (launcher/plan/settings.ts): the parser, --help, the resolved plan and the options table of
// docs/operations.md all come from it. Refresh the docs after changing a setting:
// UPDATE_DOCS=1 npm run test:unit -- --match '*settings table*'
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../harness/guest-disk.js';
import { parseCliArgs, USAGE } from '../../launcher/cli/options.js';
import { resolvePlan } from '../../launcher/plan/resolve-plan.js';
import { explainPlan } from '../../launcher/plan/plan.js';
import { SETTINGS, SETTINGS_TABLE_END, SETTINGS_TABLE_START, settingsMarkdown, type SettingName } from '../../launcher/plan/settings.js';

const names = Object.keys(SETTINGS) as SettingName[];

test('the settings table in docs/operations.md is generated from settings.ts', (t) => {
  const file = join(repoRoot, 'docs', 'operations.md');
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(SETTINGS_TABLE_START);
  const b = text.indexOf(SETTINGS_TABLE_END);
  t.true(a >= 0 && b > a, 'docs/operations.md holds the settings markers');
  if (process.env.UPDATE_DOCS === '1') {
    writeFileSync(file, text.slice(0, a) + settingsMarkdown() + text.slice(b + SETTINGS_TABLE_END.length));
    return t.pass();
  }
  t.is(text.slice(a, b + SETTINGS_TABLE_END.length), settingsMarkdown(), 'docs/operations.md differs from settings.ts: run with UPDATE_DOCS=1');
});

test('every setting is a flag of the parser, in --help with its env and default, and reaches the flags by its name', (t) => {
  for (const name of names) {
    const s = SETTINGS[name];
    t.true(USAGE.includes(`--${s.flag} `), `--help names --${s.flag}`);
    if ('env' in s) t.true(USAGE.includes(`env ${s.env}`), `--help names ${s.env}`);
    const args = parseCliArgs(['check', `--${s.flag}`, 'given-value']);
    t.is(args.flags[name], 'given-value', `--${s.flag} reaches flags.${name}`);
  }
});

test('the resolved plan takes each default and environment variable from the table, with its source', async (t) => {
  const plan = await resolvePlan({}, { VM_LAUNCHER_ACCEL: 'tcg' });
  const rows = new Map(explainPlan(plan).map((r) => [r.setting, r]));
  for (const name of ['runtimeDir', 'cacheDir', 'secretsDir', 'ephemeralDir', 'nvramDir', 'volumesDir', 'devicesDir'] as const) {
    t.like(rows.get(SETTINGS[name].flag), { value: SETTINGS[name].default, source: 'default' }, name);
  }
  t.like(rows.get('accel'), { source: 'env VM_LAUNCHER_ACCEL' });
  const fromEnv = await resolvePlan({}, { VM_LAUNCHER_ACCEL: 'tcg', VM_LAUNCHER_EPHEMERAL_DIR: '/x/eph', VM_LAUNCHER_CREATE_DISKS: 'no' });
  t.deepEqual(fromEnv.ephemeralDir, { value: '/x/eph', source: 'env VM_LAUNCHER_EPHEMERAL_DIR' });
  t.deepEqual(fromEnv.images.create, { value: false, source: 'env VM_LAUNCHER_CREATE_DISKS' });
  const fromFlag = await resolvePlan({ ephemeralDir: '/y/eph' }, { VM_LAUNCHER_ACCEL: 'tcg', VM_LAUNCHER_EPHEMERAL_DIR: '/x/eph' });
  t.deepEqual(fromFlag.ephemeralDir, { value: '/y/eph', source: '--ephemeral-dir' });
});
