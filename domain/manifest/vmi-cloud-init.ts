// cloudInitNoCloud and cloudInitConfigDrive volumes: the user data and network data the launcher writes into a
// seed ISO for the guest's cloud-init. Each datum comes from exactly one of: plain text, base64, or a Secret the
// pod mounts (read later by launcher/inspect). Limits follow KubeVirt's: 2048 bytes inline.
import { problem } from '../problem.js';
import { Reason } from '../reasons.js';
import { fieldPath, readObject, readString, refuseUnknownKeys, type Obj, type Problems } from './manifest-reader.js';
import type { CloudInitDataSource, CloudInitDatum, CloudInitSpec } from '../model/index.js';

export const CLOUD_INIT_SOURCES: Readonly<Record<string, CloudInitDataSource>> = {
  cloudInitNoCloud: 'noCloud',
  cloudInitConfigDrive: 'configDrive',
};

/** KubeVirt's admission limit for inline data (larger data belongs in a Secret). */
export const CLOUD_INIT_INLINE_MAX_BYTES = 2048;
/** A Secret holds at most 1 MiB. */
export const CLOUD_INIT_SECRET_MAX_BYTES = 1024 * 1024;

const FIELDS = { accepted: ['userData', 'userDataBase64', 'secretRef', 'networkData', 'networkDataBase64', 'networkDataSecretRef'] };
const SECRET_REF_FIELDS = { accepted: ['name'] };

const DATA = {
  user: { plain: 'userData', base64: 'userDataBase64', secret: 'secretRef' },
  network: { plain: 'networkData', base64: 'networkDataBase64', secret: 'networkDataSecretRef' },
} as const;

export function parseCloudInit(problems: Problems, item: Obj, field: string, volume: string, key: string): CloudInitSpec | undefined {
  const dataSource = CLOUD_INIT_SOURCES[key]!;
  const body = readObject(problems, item, key, field);
  if (!body) return undefined;
  const bodyField = fieldPath(field, key);
  refuseUnknownKeys(problems, body, bodyField, FIELDS);
  const before = problems.length;
  const userData = readDatum(problems, body, bodyField, volume, 'user');
  const networkData = readDatum(problems, body, bodyField, volume, 'network');
  if (problems.length > before) return undefined;
  if (!userData && !networkData) {
    problems.push(problem(Reason.FieldMissing, `${bodyField}: neither user data nor network data`, {
      field: bodyField, volume, fix: 'add userData (or userDataBase64, or secretRef)',
    }));
    return undefined;
  }
  return { volumeName: volume, field: bodyField, dataSource, ...(userData && { userData }), ...(networkData && { networkData }) };
}

function readDatum(problems: Problems, body: Obj, path: string, volume: string, which: keyof typeof DATA): CloudInitDatum | undefined {
  const keys = DATA[which];
  const given = Object.values(keys).filter((k) => body[k] !== undefined && body[k] !== null && body[k] !== '');
  if (given.length > 1) {
    problems.push(problem(Reason.FieldInvalid, `${path}: ${which} data is given ${given.length} times (${given.join(', ')})`, {
      field: path, volume, fix: `keep one of ${Object.values(keys).join(', ')}`,
    }));
    return undefined;
  }
  const key = given[0];
  if (key === undefined) return undefined;
  const field = fieldPath(path, key);
  if (key === keys.secret) {
    const ref = readObject(problems, body, key, path);
    if (!ref) return undefined;
    refuseUnknownKeys(problems, ref, field, SECRET_REF_FIELDS);
    const secretName = readString(problems, ref, 'name', field);
    if (secretName) return { from: 'secret', secretName, field };
    problems.push(problem(Reason.FieldMissing, `${field}.name: the Secret's name is missing`, { field: `${field}.name`, volume, fix: 'name the Secret that holds the data' }));
    return undefined;
  }
  const raw = readString(problems, body, key, path);
  if (raw === undefined) return undefined;
  const data = key === keys.base64 ? decodeBase64(problems, raw, field, volume) : Buffer.from(raw, 'utf8');
  if (data === undefined) return undefined;
  const bytes = data.length;
  if (bytes > CLOUD_INIT_INLINE_MAX_BYTES) {
    problems.push(problem(Reason.CloudInitDataTooLarge, `${field}: ${bytes} bytes; inline ${which} data is limited to ${CLOUD_INIT_INLINE_MAX_BYTES} bytes (KubeVirt's limit)`, {
      field, volume, fix: `put the data in a Secret (key ${which}data) and use ${keys.secret}`,
    }));
    return undefined;
  }
  return { from: key === keys.base64 ? 'base64' : 'inline', data, field };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64, strict as Go's decoder (KubeVirt's): line breaks are ignored, anything else malformed is refused. */
function decodeBase64(problems: Problems, encoded: string, field: string, volume: string): Buffer | undefined {
  const compact = encoded.replace(/[\r\n]/g, '');
  if (BASE64.test(compact)) return Buffer.from(compact, 'base64');
  problems.push(problem(Reason.CloudInitDataInvalid, `${field}: not valid base64`, { field, volume, fix: 'encode the data with base64 -w0, or give it as plain text in userData/networkData' }));
  return undefined;
}
