// accessCredentials' SSH keys, read where KubeVirt's pod mounts each Secret: `<secrets-dir>/<secretName>-access-cred/`.
// As KubeVirt's cloud-init.go (resolveSSHPublicKeys): every file of the directory in name order, leaving out
// directories and the kubelet's `..data` / `..<timestamp>` entries, an empty file adding nothing. Each file's lines
// are checked as public keys (domain/convert/ssh-public-keys.ts); a bad line refuses the VM with its file and line.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { problem, type Problem } from '../../domain/problem.js';
import { CLOUD_INIT_SECRET_MAX_BYTES } from '../../domain/manifest/index.js';
import { ACCESS_CREDENTIAL_DIR_SUFFIX, type SshKeyCredential } from '../../domain/model/index.js';
import { parseAuthorizedKeys } from '../../domain/convert/index.js';
import { isSafeVolumeName } from '../plan/volume-paths.js';
import { readSecretFile } from './secret-file.js';

export interface AccessCredentialKeys { keys: string[]; from: string }

/** The keys of every credential, in order; undefined (with problems) when a Secret is missing or holds a bad line. */
export async function readAccessCredentialKeys(problems: Problem[], creds: readonly SshKeyCredential[], secretsDir: string): Promise<AccessCredentialKeys | undefined> {
  const before = problems.length;
  const read = await Promise.all(creds.map((c) => readCredential(problems, c, secretsDir)));
  if (problems.length > before) return undefined;
  const keys = read.flatMap((r) => r?.keys ?? []);
  const from = read.flatMap((r) => (r ? [r.from] : [])).join(', ');
  return { keys, from };
}

async function readCredential(problems: Problem[], cred: SshKeyCredential, secretsDir: string): Promise<AccessCredentialKeys | undefined> {
  const dirName = `${cred.secretName}${ACCESS_CREDENTIAL_DIR_SUFFIX}`;
  if (!isSafeVolumeName(dirName)) return undefined; // refused when the manifest was read; never becomes a path
  const dir = join(secretsDir, dirName);
  const missing = (why: string): undefined => {
    problems.push(problem('AccessCredentialSecretMissing', `${cred.field}: Secret ${cred.secretName} ${why}`, {
      field: cred.field, fix: `mount Secret ${cred.secretName} at ${dir} (a secret volume readable by the launcher: defaultMode 0440 with fsGroup 107, or 0444), or set --secrets-dir`,
    }));
    return undefined;
  };
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return missing(code === 'ENOENT' ? `is not mounted: ${dir} does not exist` : `cannot be read at ${dir}: ${code ?? (e as Error).message}`);
  }
  // Go's os.ReadDir sorts by name (bytes); Node's order is the filesystem's.
  const names = entries.filter((e) => !e.isDirectory() && !e.name.startsWith('..')).map((e) => e.name).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const keys: string[] = [];
  let budget = CLOUD_INIT_SECRET_MAX_BYTES;
  for (const name of names) {
    const file = join(dir, name);
    const r = await readSecretFile(file, budget);
    if (!r.ok) return missing(`cannot be read at ${file}: ${r.why === 'too-large' ? `the Secret's files exceed ${CLOUD_INIT_SECRET_MAX_BYTES} bytes (a Secret's limit)` : r.detail}`);
    budget -= r.data.length;
    const parsed = parseAuthorizedKeys(r.data);
    for (const p of parsed.problems) {
      problems.push(problem('SshPublicKeyInvalid', `${file}${p.line > 0 ? ` line ${p.line}` : ''} (Secret ${cred.secretName}): ${p.why}`, { field: cred.field }));
    }
    keys.push(...parsed.keys);
  }
  return { keys, from: `Secret ${cred.secretName} (${dir}: ${names.length} file(s))` };
}
