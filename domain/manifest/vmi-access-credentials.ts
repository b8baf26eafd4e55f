// spec.accessCredentials, checked as KubeVirt's validating webhook checks it (vmi-create-admitter.go,
// validateAccessCredentials): each item is exactly one of sshPublicKey / userPassword, with exactly one source and
// one propagation method; noCloud (configDrive) needs a cloudInitNoCloud (cloudInitConfigDrive) volume. The keys
// themselves are read from the pod at inspection (launcher/inspect/access-credentials.ts).
// Propagation through the guest agent (qemuGuestAgent, and userPassword, which only has that) is not built: refused
// by name rather than accepted and silently not done.
import { problem } from '../problem.js';
import { Reason } from '../reasons.js';
import { ACCESS_CREDENTIAL_DIR_SUFFIX, type CloudInitDataSource, type SshKeyCredential } from '../model/index.js';
import { fieldPath, isObject, parseObjects, readObject, readString, refuseUnknownKeys, type Obj, type Problems } from './manifest-reader.js';
import { isDns1123Label, isDns1123Subdomain } from './names.js';

const ITEM = { what: 'access credential', fix: 'write each access credential as a mapping with sshPublicKey', rules: { accepted: ['sshPublicKey', 'userPassword'] } };
const CREDENTIAL_FIELDS = { accepted: ['source', 'propagationMethod'] };
const SOURCE_FIELDS = { accepted: ['secret'] };
const SECRET_FIELDS = { accepted: ['secretName'] };
const METHOD_FIELDS = { accepted: ['noCloud', 'configDrive', 'qemuGuestAgent'] };
const SEED_METHOD_FIELDS = { accepted: [] };

const AGENT_NOT_BUILT = 'propagation through the guest agent (KubeVirt\'s qemuGuestAgent: guest-ssh-add-authorized-keys, guest-set-user-password) is not built in vm-launcher yet';
const SEED_VOLUME: Readonly<Record<CloudInitDataSource, string>> = { noCloud: 'cloudInitNoCloud', configDrive: 'cloudInitConfigDrive' };

/** The SSH keys to put into the cloud-init seed; every other credential is refused with its reason. */
export function parseAccessCredentials(problems: Problems, spec: Obj, path: string, volumes: readonly unknown[]): SshKeyCredential[] {
  const list = spec['accessCredentials'];
  if (list === undefined || list === null) return [];
  const field = fieldPath(path, 'accessCredentials');
  if (!Array.isArray(list)) {
    problems.push(problem(Reason.FieldInvalid, `${field}: must be a list`, { field, fix: 'write it as a list (`- sshPublicKey: ...`)' }));
    return [];
  }
  const hasVolume = (source: CloudInitDataSource): boolean => volumes.some((v) => isObject(v) && isObject(v[SEED_VOLUME[source]]));
  return parseObjects(problems, list, field, ITEM, (item, itemField) => parseOne(problems, item, itemField, hasVolume));
}

function parseOne(problems: Problems, item: Obj, field: string, hasVolume: (s: CloudInitDataSource) => boolean): SshKeyCredential | undefined {
  const kinds = ['sshPublicKey', 'userPassword'].filter((k) => item[k] !== undefined && item[k] !== null);
  if (kinds.length !== 1) {
    problems.push(problem(Reason.FieldInvalid, `${field}: must have exactly one access credential type set (sshPublicKey or userPassword), has ${kinds.length}`, {
      field, fix: 'give each item one of sshPublicKey or userPassword',
    }));
    return undefined;
  }
  if (kinds[0] === 'userPassword') {
    const pw = fieldPath(field, 'userPassword');
    problems.push(problem(Reason.FieldNotSupported, `${pw}: ${AGENT_NOT_BUILT}, and userPassword has no other propagation method`, {
      field: pw, fix: 'remove userPassword; set the password with cloud-init user data (chpasswd) or give SSH keys with propagationMethod noCloud',
    }));
    return undefined;
  }
  const keyField = fieldPath(field, 'sshPublicKey');
  const body = readObject(problems, item, 'sshPublicKey', field);
  if (!body) return undefined;
  refuseUnknownKeys(problems, body, keyField, CREDENTIAL_FIELDS);
  const secretName = readSecretName(problems, body, keyField);
  const propagation = readPropagation(problems, body, keyField, hasVolume);
  return secretName !== undefined && propagation !== undefined ? { secretName, propagation, field: keyField } : undefined;
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

function readPropagation(problems: Problems, body: Obj, keyField: string, hasVolume: (s: CloudInitDataSource) => boolean): CloudInitDataSource | undefined {
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
  if (chosen === 'qemuGuestAgent') {
    const agentField = fieldPath(methodField, 'qemuGuestAgent');
    problems.push(problem(Reason.FieldNotSupported, `${agentField}: ${AGENT_NOT_BUILT}`, {
      field: agentField, fix: 'use propagationMethod noCloud: {} (or configDrive: {}) with a cloud-init volume: the keys go into the seed and cloud-init installs them for the default user',
    }));
    return undefined;
  }
  const propagation = chosen as CloudInitDataSource;
  const inner = readObject(problems, method!, chosen, methodField);
  if (inner) refuseUnknownKeys(problems, inner, fieldPath(methodField, chosen), SEED_METHOD_FIELDS);
  if (!hasVolume(propagation)) {
    problems.push(problem(Reason.AccessCredentialNeedsCloudInit, `${methodField}: requires a ${chosen} volume to exist when the ${chosen} propagationMethod is in use (a ${SEED_VOLUME[propagation]} volume carries the keys to the guest)`, {
      field: methodField, fix: `add a ${SEED_VOLUME[propagation]} volume (userData may be just "#cloud-config") and a disk for it`,
    }));
    return undefined;
  }
  return propagation;
}
