// spec.accessCredentials, checked as KubeVirt's validating webhook checks it (vmi-create-admitter.go,
// validateAccessCredentials): each item is exactly one of sshPublicKey / userPassword, with exactly one source and
// one propagation method; noCloud (configDrive) needs a cloudInitNoCloud (cloudInitConfigDrive) volume. The keys
// themselves are read from the pod at inspection (launcher/inspect/access-credentials.ts); keys for noCloud and
// configDrive go into the seed, qemuGuestAgent keys and userPassword go through the guest agent once it connects
// (launcher/run/agent-credentials.ts).
import { problem } from '../problem.js';
import { Reason } from '../reasons.js';
import { ACCESS_CREDENTIAL_DIR_SUFFIX, type CloudInitDataSource, type SshKeyCredential, type UserPasswordCredential } from '../model/index.js';
import { fieldPath, isObject, parseObjects, readArray, readObject, readString, refuseUnknownKeys, type Obj, type Problems } from './manifest-reader.js';
import { isDns1123Label, isDns1123Subdomain } from './names.js';

const ITEM = { what: 'access credential', fix: 'write each access credential as a mapping with sshPublicKey', rules: { accepted: ['sshPublicKey', 'userPassword'] } };
const CREDENTIAL_FIELDS = { accepted: ['source', 'propagationMethod'] };
const SOURCE_FIELDS = { accepted: ['secret'] };
const SECRET_FIELDS = { accepted: ['secretName'] };
const METHOD_FIELDS = { accepted: ['noCloud', 'configDrive', 'qemuGuestAgent'] };
const SEED_METHOD_FIELDS = { accepted: [] };
const AGENT_METHOD_FIELDS = { accepted: ['users'] };
const PASSWORD_METHOD_FIELDS = { accepted: ['qemuGuestAgent'] };
const SEED_VOLUME: Readonly<Record<CloudInitDataSource, string>> = { noCloud: 'cloudInitNoCloud', configDrive: 'cloudInitConfigDrive' };

export interface AccessCredentials { keys: SshKeyCredential[]; passwords: UserPasswordCredential[] }

/** The SSH keys (for the seed or the guest agent) and the passwords (for the guest agent), in the manifest's order. */
export function parseAccessCredentials(problems: Problems, spec: Obj, path: string, volumes: readonly unknown[]): AccessCredentials {
  const none = { keys: [], passwords: [] };
  const list = spec['accessCredentials'];
  if (list === undefined || list === null) return none;
  const field = fieldPath(path, 'accessCredentials');
  if (!Array.isArray(list)) {
    problems.push(problem(Reason.FieldInvalid, `${field}: must be a list`, { field, fix: 'write it as a list (`- sshPublicKey: ...`)' }));
    return none;
  }
  const hasVolume = (source: CloudInitDataSource): boolean => volumes.some((v) => isObject(v) && isObject(v[SEED_VOLUME[source]]));
  const all = parseObjects(problems, list, field, ITEM, (item, itemField) => parseOne(problems, item, itemField, hasVolume));
  return {
    keys: all.flatMap((c) => ('propagation' in c ? [c] : [])),
    passwords: all.flatMap((c) => ('propagation' in c ? [] : [c])),
  };
}

function parseOne(problems: Problems, item: Obj, field: string, hasVolume: (s: CloudInitDataSource) => boolean): SshKeyCredential | UserPasswordCredential | undefined {
  const kinds = ['sshPublicKey', 'userPassword'].filter((k) => item[k] !== undefined && item[k] !== null);
  if (kinds.length !== 1) {
    problems.push(problem(Reason.FieldInvalid, `${field}: must have exactly one access credential type set (sshPublicKey or userPassword), has ${kinds.length}`, {
      field, fix: 'give each item one of sshPublicKey or userPassword',
    }));
    return undefined;
  }
  const kind = kinds[0]!;
  const credField = fieldPath(field, kind);
  const body = readObject(problems, item, kind, field);
  if (!body) return undefined;
  refuseUnknownKeys(problems, body, credField, CREDENTIAL_FIELDS);
  const secretName = readSecretName(problems, body, credField);
  if (kind === 'userPassword') {
    const ok = readPasswordPropagation(problems, body, credField);
    return secretName !== undefined && ok ? { secretName, field: credField } : undefined;
  }
  const method = readPropagation(problems, body, credField, hasVolume);
  return secretName !== undefined && method !== undefined ? { secretName, ...method, field: credField } : undefined;
}

/** userPassword has one propagation method, qemuGuestAgent: {} (KubeVirt's webhook: exactly one set). */
function readPasswordPropagation(problems: Problems, body: Obj, credField: string): boolean {
  const methodField = fieldPath(credField, 'propagationMethod');
  const method = readObject(problems, body, 'propagationMethod', credField);
  if (method) refuseUnknownKeys(problems, method, methodField, PASSWORD_METHOD_FIELDS);
  const agent = method && readObject(problems, method, 'qemuGuestAgent', methodField);
  if (!agent) {
    if (!method || method['qemuGuestAgent'] === undefined || method['qemuGuestAgent'] === null) {
      problems.push(problem(Reason.FieldMissing, `${methodField}: must have exactly one propagationMethod set (qemuGuestAgent)`, { field: methodField, fix: 'set propagationMethod to qemuGuestAgent: {}' }));
    }
    return false;
  }
  refuseUnknownKeys(problems, agent, fieldPath(methodField, 'qemuGuestAgent'), SEED_METHOD_FIELDS);
  return true;
}

function readSecretName(problems: Problems, body: Obj, keyField: string): string | undefined {
  const sourceField = fieldPath(keyField, 'source');
  const source = readObject(problems, body, 'source', keyField);
  const secret = source && readObject(problems, source, 'secret', sourceField);
  if (source) refuseUnknownKeys(problems, source, sourceField, SOURCE_FIELDS);
  if (!secret) {
    if (!source || source['secret'] === undefined || source['secret'] === null) {
      problems.push(problem(Reason.FieldMissing, `${sourceField}: must have exactly one source set (secret)`, { field: sourceField, fix: 'set source.secret.secretName to the Secret holding the public keys' }));
    }
    return undefined;
  }
  const secretField = fieldPath(sourceField, 'secret');
  refuseUnknownKeys(problems, secret, secretField, SECRET_FIELDS);
  const nameField = fieldPath(secretField, 'secretName');
  const name = readString(problems, secret, 'secretName', secretField);
  if (name === undefined || name === '') {
    if (secret['secretName'] === undefined || secret['secretName'] === null || name === '') {
      problems.push(problem(Reason.FieldMissing, `${nameField}: the Secret's name is missing`, { field: nameField, fix: 'name the Secret that holds the public keys' }));
    }
    return undefined;
  }
  // The Secret's name becomes the pod volume `<name>-access-cred` (a DNS-1123 label in Kubernetes) and a directory
  // the launcher reads: checked before it is ever part of a path.
  if (!isDns1123Subdomain(name) || !isDns1123Label(`${name}${ACCESS_CREDENTIAL_DIR_SUFFIX}`)) {
    problems.push(problem(Reason.NameInvalid, `${nameField}: ${JSON.stringify(name)} cannot name the pod volume ${JSON.stringify(`${name}${ACCESS_CREDENTIAL_DIR_SUFFIX}`)} KubeVirt mounts it as (a DNS-1123 label: lowercase letters, digits, dashes, at most 63 characters)`, {
      field: nameField, fix: `name the Secret with lowercase letters, digits and dashes, at most ${63 - ACCESS_CREDENTIAL_DIR_SUFFIX.length} characters`,
    }));
    return undefined;
  }
  return name;
}

type Propagation = Pick<SshKeyCredential, 'propagation' | 'users'>;

function readPropagation(problems: Problems, body: Obj, keyField: string, hasVolume: (s: CloudInitDataSource) => boolean): Propagation | undefined {
  const methodField = fieldPath(keyField, 'propagationMethod');
  const method = readObject(problems, body, 'propagationMethod', keyField);
  if (method) refuseUnknownKeys(problems, method, methodField, METHOD_FIELDS);
  const set = method ? METHOD_FIELDS.accepted.filter((k) => method[k] !== undefined && method[k] !== null) : [];
  if (set.length !== 1) {
    problems.push(problem(set.length === 0 ? Reason.FieldMissing : Reason.FieldInvalid, `${methodField}: must have exactly one propagationMethod set (noCloud, configDrive or qemuGuestAgent), has ${set.length}`, {
      field: methodField, fix: 'set propagationMethod to noCloud: {} (or configDrive: {}, matching the VMI\'s cloud-init volume)',
    }));
    return undefined;
  }
  const chosen = set[0]!;
  if (chosen === 'qemuGuestAgent') return readAgentUsers(problems, method!, methodField);
  const propagation = chosen as CloudInitDataSource;
  const inner = readObject(problems, method!, chosen, methodField);
  if (inner) refuseUnknownKeys(problems, inner, fieldPath(methodField, chosen), SEED_METHOD_FIELDS);
  if (!hasVolume(propagation)) {
    problems.push(problem(Reason.AccessCredentialNeedsCloudInit, `${methodField}: requires a ${chosen} volume to exist when the ${chosen} propagationMethod is in use (a ${SEED_VOLUME[propagation]} volume carries the keys to the guest)`, {
      field: methodField, fix: `add a ${SEED_VOLUME[propagation]} volume (userData may be just "#cloud-config") and a disk for it`,
    }));
    return undefined;
  }
  return { propagation };
}

/** qemuGuestAgent.users: at least one (KubeVirt's webhook), each a user name the agent can be given. */
function readAgentUsers(problems: Problems, method: Obj, methodField: string): Propagation | undefined {
  const agentField = fieldPath(methodField, 'qemuGuestAgent');
  const agent = readObject(problems, method, 'qemuGuestAgent', methodField);
  if (!agent) return undefined;
  refuseUnknownKeys(problems, agent, agentField, AGENT_METHOD_FIELDS);
  const usersField = fieldPath(agentField, 'users');
  const list = readArray(problems, agent, 'users', agentField) ?? [];
  const users = list.filter((u): u is string => typeof u === 'string' && USER_NAME.test(u));
  if (users.length !== list.length) {
    problems.push(problem(Reason.FieldInvalid, `${usersField}: each user must be a user name (letters, digits, . _ - @, at most 64 characters)`, { field: usersField, fix: 'list the guest users by name' }));
    return undefined;
  }
  if (users.length === 0) {
    problems.push(problem(Reason.FieldMissing, `${usersField}: requires at least one user to be present in the users list`, { field: usersField, fix: 'name the guest users whose authorized_keys get the keys' }));
    return undefined;
  }
  return { propagation: 'qemuGuestAgent', users: [...new Set(users)] };
}

/** What a Linux or Windows user name can be, and nothing that could read as an option or a path. */
const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9._@-]{0,63}$/;
