// Command line + environment + manifest -> Plan. Flags win over the environment, the environment over the
// manifest, the manifest over defaults; every value records which one it came from. Paths become absolute here,
// so nothing later depends on the working directory.
import { resolve } from 'node:path';
import { fail } from '../../domain/problem.js';
import type { VmSpec } from '../../domain/model/index.js';
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS } from '../../domain/manifest/index.js';
import { DEFAULT_HOOK_TIMEOUT_MS } from '../../hooks/index.js';
import { effectiveRunAs, parseRunAs } from '../common/run-as.js';
import { resolveAccel } from './accel.js';
import type { AccelChoice, Plan, QemuImgLimits, Sourced } from './plan.js';
import { runtimeLayout } from './runtime-layout.js';
import { defaultLayout } from './volume-paths.js';
import { PASST_MODES, type PasstMode } from '../../domain/convert/index.js';

/** What the command line gave (cli/ parses it; plan/ does not know argv). */
export interface PlanFlags {
  vmi?: string;
  volumesDir?: string;
  devicesDir?: string;
  accel?: string;
  runtimeDir?: string;
  cacheDir?: string;
  gracePeriod?: string;
  runAs?: string;
  hooksDir?: string;
  hookTimeout?: string;
  consoleLog?: string;
  createDisks?: string;
  expandDisks?: string;
  allowPlainDir?: string;
  passtMode?: string;
  secretsDir?: string;
  ephemeralDir?: string;
  nvramDir?: string;
}

export const DEFAULTS = {
  vmi: '/etc/vm-launcher/vmi.yaml',
  runtimeDir: '/var/run/vm-launcher',
  cacheDir: '/var/cache/vm-launcher',
  runAs: '107:107',
  accel: 'auto',
  passtMode: 'auto',
  /** Where KubeVirt's pod mounts a cloud-init volume's Secret: `<dir>/<volume>/userdata`. */
  secretsDir: '/var/run/kubevirt-private/secret',
  /** KubeVirt's launcher's ephemeral-disk dir (an emptyDir in its pods). */
  ephemeralDir: '/var/run/kubevirt-ephemeral-disks',
  /** Where KubeVirt's pods mount the backend-storage PVC that keeps persistent EFI variables. */
  nvramDir: '/var/lib/libvirt/qemu/nvram',
} as const;

/** KubeVirt gives xorrisofs 10 s. */
export const DEFAULT_SEED_TIMEOUT_MS = 10_000;

export const DEFAULT_QEMU_IMG_LIMITS: QemuImgLimits = { timeoutMs: 10_000, memoryBytes: 1024 * 1024 * 1024 };

type Env = Record<string, string | undefined>;

/** The first of flag, environment variable, default that is set. */
function pick(flag: string | undefined, flagName: string, env: Env, envName: string | undefined, fallback: string): Sourced<string>;
function pick(flag: string | undefined, flagName: string, env: Env, envName: string | undefined, fallback?: string): Sourced<string> | undefined;
function pick(flag: string | undefined, flagName: string, env: Env, envName: string | undefined, fallback?: string): Sourced<string> | undefined {
  if (flag !== undefined) return { value: flag, source: flagName };
  if (envName && env[envName] !== undefined && env[envName] !== '') return { value: env[envName]!, source: `env ${envName}` };
  return fallback === undefined ? undefined : { value: fallback, source: 'default' };
}

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
  return absolute(pick(flags.vmi, '--vmi', env, 'VMI_FILE', DEFAULTS.vmi));
}

/** Where a running launcher keeps its status file: what `probe` needs, without a manifest. */
export function runtimeDirFrom(flags: PlanFlags, env: Env): Sourced<string> {
  return absolute(pick(flags.runtimeDir, '--runtime-dir', env, 'VM_LAUNCHER_RUNTIME_DIR', DEFAULTS.runtimeDir));
}

export async function resolvePlan(flags: PlanFlags, env: Env, spec?: Pick<VmSpec, 'terminationGracePeriodSeconds'>): Promise<Plan> {
  const accelChoice = pick(flags.accel, '--accel', env, 'VM_LAUNCHER_ACCEL', DEFAULTS.accel);
  if (!['auto', 'kvm', 'tcg'].includes(accelChoice.value)) fail('UsageInvalid', `${accelChoice.source} must be auto, kvm or tcg, not ${JSON.stringify(accelChoice.value)}`);
  const runAsText = pick(flags.runAs, '--run-as', env, 'VM_LAUNCHER_RUN_AS', DEFAULTS.runAs);
  const configured = parseRunAs(runAsText.value);
  if (!configured) fail('UsageInvalid', `${runAsText.source} must be UID[:GID] of an unprivileged user (not root), not ${JSON.stringify(runAsText.value)}`);
  const runAsUser = effectiveRunAs(configured!);
  const runAs = runAsUser
    ? { value: runAsUser, source: runAsText.source }
    : { source: 'the launcher is not root: everything runs as its own user' };

  const runtimeDir = runtimeDirFrom(flags, env);
  const cacheDir = absolute(pick(flags.cacheDir, '--cache-dir', env, 'VM_LAUNCHER_CACHE_DIR', DEFAULTS.cacheDir));
  const volumesDir = absolute(pick(flags.volumesDir, '--volumes-dir', env, undefined, defaultLayout.volumesDir));
  const devicesDir = absolute(pick(flags.devicesDir, '--devices-dir', env, undefined, defaultLayout.devicesDir));
  const hooksDir = pick(flags.hooksDir, '--hooks-dir', env, 'VM_LAUNCHER_HOOKS_DIR');
  const hookTimeout = flags.hookTimeout !== undefined
    ? seconds({ value: flags.hookTimeout, source: '--hook-timeout' })
    : { value: DEFAULT_HOOK_TIMEOUT_MS / 1000, source: 'default' };
  const consoleLog = pick(flags.consoleLog, '--console-log', env, undefined);
  const passtMode = pick(flags.passtMode, '--passt-mode', env, 'VM_LAUNCHER_PASST_MODE', DEFAULTS.passtMode);
  if (!(PASST_MODES as readonly string[]).includes(passtMode.value)) fail('UsageInvalid', `${passtMode.source} must be ${PASST_MODES.join(', ')}, not ${JSON.stringify(passtMode.value)}`);
  const secretsDir = absolute(pick(flags.secretsDir, '--secrets-dir', env, 'VM_LAUNCHER_SECRETS_DIR', DEFAULTS.secretsDir));
  const ephemeralDir = absolute(pick(flags.ephemeralDir, '--ephemeral-dir', env, 'VM_LAUNCHER_EPHEMERAL_DIR', DEFAULTS.ephemeralDir));
  const nvramDir = absolute(pick(flags.nvramDir, '--nvram-dir', env, 'VM_LAUNCHER_NVRAM_DIR', DEFAULTS.nvramDir));

  const gracePeriodSeconds: Sourced<number> = flags.gracePeriod !== undefined
    ? seconds({ value: flags.gracePeriod, source: '--grace-period' })
    : spec
      ? { value: spec.terminationGracePeriodSeconds, source: 'spec.terminationGracePeriodSeconds (or its default)' }
      : { value: DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS, source: 'default' };

  const accel = await resolveAccel(accelChoice.value as AccelChoice, runAsUser);
  return {
    vmiPath: vmiPathFrom(flags, env),
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
      create: yesNo(pick(flags.createDisks, '--create-disks', env, 'VM_LAUNCHER_CREATE_DISKS', 'yes')),
      expand: yesNo(pick(flags.expandDisks, '--expand-disks', env, 'VM_LAUNCHER_EXPAND_DISKS', 'no')),
      allowPlainDir: yesNo(pick(flags.allowPlainDir, '--allow-plain-dir', env, 'VM_LAUNCHER_ALLOW_PLAIN_DIR', 'no')),
    },
    network: { passtMode: passtMode as Sourced<PasstMode> },
    cloudInit: { secretsDir, seedTimeoutMs: DEFAULT_SEED_TIMEOUT_MS },
  };
}
