// Command line + environment + manifest -> Plan. Flags win over the environment, the environment over the
// manifest, the manifest over defaults; every value records which one it came from. Paths become absolute here,
// so nothing later depends on the working directory.
import { resolve } from 'node:path';
import { fail } from '../../domain/problem.js';
import type { VmSpec } from '../../domain/model/index.js';
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS } from '../../domain/manifest/index.js';
import { effectiveRunAs, parseRunAs } from '../common/run-as.js';
import { resolveAccel } from './accel.js';
import type { AccelChoice, Plan, QemuImgLimits, Sourced } from './plan.js';
import { runtimeLayout } from './runtime-layout.js';
import { SETTINGS, type Setting, type SettingFlags, type SettingName } from './settings.js';
import { PASST_MODES, type PasstMode } from '../../domain/convert/index.js';

/** What the command line gave (cli/ parses it; plan/ does not know argv): one optional string per setting. */
export type PlanFlags = SettingFlags;

/** KubeVirt gives xorrisofs 10 s. */
export const DEFAULT_SEED_TIMEOUT_MS = 10_000;

export const DEFAULT_QEMU_IMG_LIMITS: QemuImgLimits = { timeoutMs: 10_000, memoryBytes: 1024 * 1024 * 1024 };

type Env = Record<string, string | undefined>;

/** The first of flag, environment variable, default that is set. */
function pick(flag: string | undefined, flagName: string, env: Env, envName: string | undefined, fallback?: string): Sourced<string> | undefined {
  if (flag !== undefined) return { value: flag, source: flagName };
  if (envName && env[envName] !== undefined && env[envName] !== '') return { value: env[envName]!, source: `env ${envName}` };
  return fallback === undefined ? undefined : { value: fallback, source: 'default' };
}

/** A setting from its flag, else its environment variable, else its default (settings.ts); undefined: unset. */
function setting(name: SettingName, flags: PlanFlags, env: Env): Sourced<string> | undefined {
  const s: Setting = SETTINGS[name];
  return pick(flags[name], `--${s.flag}`, env, s.env, s.default);
}
/** A setting that always has a default. */
const given = (name: SettingName, flags: PlanFlags, env: Env): Sourced<string> => setting(name, flags, env)!;

const absolute = (s: Sourced<string>): Sourced<string> => ({ value: resolve(s.value), source: s.source });

function yesNo(s: Sourced<string>): Sourced<boolean> {
  if (s.value !== 'yes' && s.value !== 'no') fail('UsageInvalid', `${s.source} takes yes or no, not ${JSON.stringify(s.value)}`);
  return { value: s.value === 'yes', source: s.source };
}

function seconds(s: Sourced<string>): Sourced<number> {
  // Any finite number of seconds works (timers wait in chunks: common/long-timer.ts); 400 digits do not.
  if (!/^\d+(\.\d+)?$/.test(s.value) || !Number.isFinite(Number(s.value) * 1000)) fail('UsageInvalid', `${s.source} takes seconds (a number), not ${JSON.stringify(s.value)}`);
  return { value: Number(s.value), source: s.source };
}

/** The settings that do not depend on the manifest: enough to find and read it. */
export function vmiPathFrom(flags: PlanFlags, env: Env): Sourced<string> {
  return absolute(given('vmi', flags, env));
}

/** Where the operator's instance types and preferences are, if anywhere: read with the manifest. */
export function instancetypesDirFrom(flags: PlanFlags, env: Env): Sourced<string> | undefined {
  const dir = setting('instancetypesDir', flags, env);
  return dir && absolute(dir);
}

/** Where a running launcher keeps its status file: what `probe` needs, without a manifest. */
export function runtimeDirFrom(flags: PlanFlags, env: Env): Sourced<string> {
  return absolute(given('runtimeDir', flags, env));
}

const withInstancetypesDir = (dir: Sourced<string> | undefined): { instancetypesDir?: Sourced<string> } => (dir ? { instancetypesDir: dir } : {});

export async function resolvePlan(flags: PlanFlags, env: Env, spec?: Pick<VmSpec, 'terminationGracePeriodSeconds'>): Promise<Plan> {
  const accelChoice = given('accel', flags, env);
  if (!['auto', 'kvm', 'tcg'].includes(accelChoice.value)) fail('UsageInvalid', `${accelChoice.source} must be auto, kvm or tcg, not ${JSON.stringify(accelChoice.value)}`);
  const runAsText = given('runAs', flags, env);
  const configured = parseRunAs(runAsText.value);
  if (!configured) fail('UsageInvalid', `${runAsText.source} must be UID[:GID] of an unprivileged user (not root), not ${JSON.stringify(runAsText.value)}`);
  const runAsUser = effectiveRunAs(configured!);
  const runAs = runAsUser
    ? { value: runAsUser, source: runAsText.source }
    : { source: 'the launcher is not root: everything runs as its own user' };

  const runtimeDir = runtimeDirFrom(flags, env);
  const cacheDir = absolute(given('cacheDir', flags, env));
  const volumesDir = absolute(given('volumesDir', flags, env));
  const devicesDir = absolute(given('devicesDir', flags, env));
  const hooksDir = setting('hooksDir', flags, env);
  const hookTimeout = seconds(given('hookTimeout', flags, env));
  const consoleLog = setting('consoleLog', flags, env);
  const passtMode = given('passtMode', flags, env);
  if (!(PASST_MODES as readonly string[]).includes(passtMode.value)) fail('UsageInvalid', `${passtMode.source} must be ${PASST_MODES.join(', ')}, not ${JSON.stringify(passtMode.value)}`);
  const secretsDir = absolute(given('secretsDir', flags, env));
  const ephemeralDir = absolute(given('ephemeralDir', flags, env));
  const nvramDir = absolute(given('nvramDir', flags, env));

  const gracePeriodSeconds: Sourced<number> = flags.gracePeriod !== undefined
    ? seconds({ value: flags.gracePeriod, source: '--grace-period' })
    : spec
      ? { value: spec.terminationGracePeriodSeconds, source: 'spec.terminationGracePeriodSeconds (or its default)' }
      : { value: DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS, source: 'default' };

  const accel = await resolveAccel(accelChoice.value as AccelChoice, runAsUser);
  return {
    vmiPath: vmiPathFrom(flags, env),
    ...withInstancetypesDir(instancetypesDirFrom(flags, env)),
    volumes: { volumesDir, devicesDir, layout: { volumesDir: volumesDir.value, devicesDir: devicesDir.value } },
    accel: { choice: accelChoice as Sourced<AccelChoice>, value: accel.accel, why: accel.why },
    runAs,
    runtime: { dir: runtimeDir, cacheDir, layout: runtimeLayout(runtimeDir.value, cacheDir.value) },
    gracePeriodSeconds,
    hooks: { ...(hooksDir && { dir: absolute(hooksDir) }), timeoutMs: { value: hookTimeout.value * 1000, source: hookTimeout.source } },
    ...(consoleLog && { consoleLogCopy: absolute(consoleLog) }),
    ephemeralDir,
    nvramDir,
    qemuImg: { ...DEFAULT_QEMU_IMG_LIMITS, ...(runAsUser && { runAs: runAsUser }) },
    images: {
      create: yesNo(given('createDisks', flags, env)),
      expand: yesNo(given('expandDisks', flags, env)),
      allowPlainDir: yesNo(given('allowPlainDir', flags, env)),
    },
    network: { passtMode: passtMode as Sourced<PasstMode> },
    cloudInit: { secretsDir, seedTimeoutMs: DEFAULT_SEED_TIMEOUT_MS },
  };
}
