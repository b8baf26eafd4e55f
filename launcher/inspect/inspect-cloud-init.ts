// A cloud-init volume's data, read-only: inline data comes from the manifest; secretRef data from where KubeVirt's
// pod mounts the Secret (`<secrets-dir>/<volume>/userdata` or `userData`; `networkdata` or `networkData`);
// accessCredentials' SSH keys from `<secrets-dir>/<secret>-access-cred/` (access-credentials.ts), into the metadata. The
// seed is planned here (domain/convert/cloud-init-seed.ts) and built by `run` only; `check` explains it.
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { problem, type Problem } from '../../domain/problem.js';
import { CLOUD_INIT_SECRET_MAX_BYTES } from '../../domain/manifest/index.js';
import type { CloudInitDatum, VmSpec } from '../../domain/model/index.js';
import { planSeed, type SeedPlan } from '../../domain/convert/index.js';
import { isSafeVolumeName } from '../plan/volume-paths.js';
import { seedPath } from '../plan/runtime-layout.js';
import { readAccessCredentialKeys } from './access-credentials.js';
import { readSecretFile } from './secret-file.js';
import type { Plan } from '../plan/plan.js';

export const XORRISOFS_PATHS = ['/usr/bin/xorrisofs', '/usr/local/bin/xorrisofs'];

export interface CloudInitInspection { seed?: SeedPlan; problems: Problem[] }

/** The key names KubeVirt reads in the Secret, in its order. */
const SECRET_KEYS = { user: ['userdata', 'userData'], network: ['networkdata', 'networkData'] } as const;

export async function inspectCloudInit(spec: VmSpec, plan: Plan): Promise<CloudInitInspection> {
  const ci = spec.cloudInit;
  if (!ci) return { problems: [] };
  const problems: Problem[] = [];
  const dir = plan.cloudInit.secretsDir.value;
  const read = (datum: CloudInitDatum | undefined, which: keyof typeof SECRET_KEYS) =>
    datum && (datum.from === 'secret' ? readSecret(problems, dir, ci.volumeName, datum, which) : Promise.resolve({ data: datum.data, from: datum.from }));
  const creds = (spec.accessCredentials ?? []).filter((c) => c.propagation === ci.dataSource);
  const [userData, networkData, publicKeys, xorriso] = await Promise.all([
    read(ci.userData, 'user'), read(ci.networkData, 'network'),
    creds.length > 0 ? readAccessCredentialKeys(problems, creds, dir) : undefined,
    Promise.all(XORRISOFS_PATHS.map((p) => access(p, constants.X_OK).then(() => true, () => false))).then((f) => f.some(Boolean)),
  ]);
  if (!xorriso) {
    problems.push(problem('XorrisoMissing', `cloud-init volume ${ci.volumeName} needs xorrisofs to build its seed, which is not installed`, { field: ci.field, volume: ci.volumeName }));
  }
  if ((ci.userData && !userData) || (ci.networkData && !networkData) || (creds.length > 0 && !publicKeys)) return { problems };
  const seed = planSeed(spec, ci, {
    path: seedPath(plan.runtime.layout, ci.volumeName),
    ...(userData && { userData }),
    ...(networkData && { networkData }),
    ...(publicKeys && { publicKeys }),
  });
  return { seed, problems };
}

async function readSecret(problems: Problem[], dir: string, volume: string, datum: Extract<CloudInitDatum, { from: 'secret' }>, which: keyof typeof SECRET_KEYS) {
  if (!isSafeVolumeName(volume)) return undefined; // reported by the manifest check; never becomes a path
  const base = join(dir, volume);
  for (const key of SECRET_KEYS[which]) {
    const file = join(base, key);
    const r = await readSecretFile(file, CLOUD_INIT_SECRET_MAX_BYTES);
    if (r.ok) return { data: r.data, from: `Secret ${datum.secretName} (${file})` };
    if (r.why === 'absent') continue;
    if (r.why === 'unreadable') {
      problems.push(problem('CloudInitSecretMissing', `${file} (Secret ${datum.secretName}) cannot be read: ${r.detail}`, {
        field: datum.field, volume, fix: 'mount the Secret readable by the launcher (defaultMode 0440 with fsGroup 107, or 0444)',
      }));
    } else {
      problems.push(problem(r.why === 'too-large' ? 'CloudInitDataTooLarge' : 'CloudInitSecretMissing', `${file} (Secret ${datum.secretName}) is ${r.detail}`, {
        field: datum.field, volume,
      }));
    }
    return undefined;
  }
  problems.push(problem('CloudInitSecretMissing', `${datum.field}: Secret ${datum.secretName} is not mounted: neither ${SECRET_KEYS[which].map((k) => join(base, k)).join(' nor ')} exists`, {
    field: datum.field, volume,
    fix: `mount Secret ${datum.secretName} at ${base} (a secret volume with key ${SECRET_KEYS[which][0]}), or set --secrets-dir`,
  }));
  return undefined;
}
