// accessCredentials' SSH keys, read where KubeVirt's pod mounts each Secret: `<secrets-dir>/<secretName>-access-cred/`.
// As KubeVirt's cloud-init.go (resolveSSHPublicKeys): every file of the directory in name order, leaving out
// directories and the kubelet's `..data` / `..<timestamp>` entries, an empty file adding nothing. Each file's lines
// are checked as public keys (domain/convert/ssh-public-keys.ts); a bad line refuses the VM with its file and line.
// The same reading serves the guest agent's keys (grouped per user) and userPassword Secrets (a file per user).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { problem, type Problem } from '../../domain/problem.js';
import { CLOUD_INIT_SECRET_MAX_BYTES } from '../../domain/manifest/index.js';
import { ACCESS_CREDENTIAL_DIR_SUFFIX, type SshKeyCredential, type VmSpec } from '../../domain/model/index.js';
import { addUserKeys, type AgentCredentials } from '../../domain/guest/index.js';
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

/**
 * qemuGuestAgent keys grouped per user, and userPassword Secrets (a file per user), for the guest agent once it
 * connects (run/guest-agent.ts). Undefined when the VMI has none, or (with problems) when a Secret is unusable.
 */
export async function readAgentCredentials(problems: Problem[], spec: VmSpec, secretsDir: string): Promise<AgentCredentials | undefined> {
  const keyCreds = (spec.accessCredentials ?? []).filter((c) => c.propagation === 'qemuGuestAgent');
  const pwCreds = spec.userPasswords ?? [];
  if (keyCreds.length === 0 && pwCreds.length === 0) return undefined;
  const before = problems.length;
  const [keys, passwords] = await Promise.all([
    Promise.all(keyCreds.map((c) => readCredential(problems, c, secretsDir))),
    Promise.all(pwCreds.map((c) => readSecretDir(problems, c, secretsDir))),
  ]);
  if (problems.length > before) return undefined;
  const out: AgentCredentials = { keys: [], passwords: [] };
  keyCreds.forEach((c, i) => addUserKeys(out.keys, c.users ?? [], keys[i]?.keys ?? []));
  passwords.forEach((files, i) => {
    for (const f of files ?? []) {
      const password = f.data.toString('utf8').trim();
      if (password === '') continue;
      if (!AGENT_USER.test(f.name)) {
        problems.push(problem('AccessCredentialSecretMissing', `${pwCreds[i]!.field}: ${f.path} names no user a guest could have (the file's name is the user)`, {
          field: pwCreds[i]!.field, fix: 'name each key of the password Secret after the guest user whose password it is',
        }));
        continue;
      }
      const at = out.passwords.findIndex((p) => p.user === f.name);
      if (at >= 0) out.passwords[at] = { user: f.name, password };
      else out.passwords.push({ user: f.name, password });
    }
  });
  return problems.length > before ? undefined : out;
}

/** The same user names vmi-access-credentials.ts accepts in qemuGuestAgent.users. */
const AGENT_USER = /^[A-Za-z0-9_][A-Za-z0-9._@-]{0,63}$/;

interface SecretFile { name: string; path: string; data: Buffer }

/** Every file of the Secret's directory, in name order; undefined (with a problem) when it is missing or unreadable. */
async function readSecretDir(problems: Problem[], cred: { secretName: string; field: string }, secretsDir: string): Promise<SecretFile[] | undefined> {
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
  // Go's os.ReadDir sorts by name (bytes); libuv's scandir does too today, sorted here so it never depends on that.
  const names = entries.filter((e) => !e.isDirectory() && !e.name.startsWith('..')).map((e) => e.name).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const files: SecretFile[] = [];
  let budget = CLOUD_INIT_SECRET_MAX_BYTES;
  for (const name of names) {
    const path = join(dir, name);
    const r = await readSecretFile(path, budget);
    if (!r.ok) return missing(`cannot be read at ${path}: ${r.why === 'too-large' ? `the Secret's files exceed ${CLOUD_INIT_SECRET_MAX_BYTES} bytes (a Secret's limit)` : r.detail}`);
    budget -= r.data.length;
    files.push({ name, path, data: r.data });
  }
  return files;
}

async function readCredential(problems: Problem[], cred: SshKeyCredential, secretsDir: string): Promise<AccessCredentialKeys | undefined> {
  const files = await readSecretDir(problems, cred, secretsDir);
  if (!files) return undefined;
  const keys: string[] = [];
  for (const f of files) {
    const parsed = parseAuthorizedKeys(f.data);
    for (const p of parsed.problems) {
      problems.push(problem('SshPublicKeyInvalid', `${f.path}${p.line > 0 ? ` line ${p.line}` : ''} (Secret ${cred.secretName}): ${p.why}`, { field: cred.field }));
    }
    keys.push(...parsed.keys);
  }
  return { keys, from: `Secret ${cred.secretName} (${join(secretsDir, `${cred.secretName}${ACCESS_CREDENTIAL_DIR_SUFFIX}`)}: ${files.length} file(s))` };
}
