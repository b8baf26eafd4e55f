// A disk's fields beyond its target: dedicatedIOThread, blockSize, errorPolicy, shareable.
import { problem } from '../problem.js';
import { Reason } from '../reasons.js';
import {
  fieldPath, readBoolean, readEnum, readInteger, readObject, refuseUnknownKeys, type FieldRules, type Obj, type Problems,
} from './manifest-reader.js';
import { FIX_HINTS } from './vmi-fields.js';
import type { DiskExtras } from '../model/index.js';

const BLOCK_SIZE_FIELDS: FieldRules = { accepted: ['custom', 'matchVolume'] };
const CUSTOM_FIELDS: FieldRules = { accepted: ['logical', 'physical', 'discardGranularity'] };

export function parseDiskExtras(problems: Problems, item: Obj, field: string): DiskExtras {
  const out: DiskExtras = {};
  const dedicated = readBoolean(problems, item, 'dedicatedIOThread', field);
  if (dedicated !== undefined) out.dedicatedIOThread = dedicated;
  const errorPolicy = readEnum(problems, item, 'errorPolicy', field, ['stop', 'ignore', 'report', 'enospace'] as const);
  if (errorPolicy) out.errorPolicy = errorPolicy;
  const shareable = readBoolean(problems, item, 'shareable', field);
  if (shareable !== undefined) out.shareable = shareable;
  const blockSize = readObject(problems, item, 'blockSize', field);
  if (blockSize) {
    const sizes = parseBlockSize(problems, blockSize, fieldPath(field, 'blockSize'));
    if (sizes) out.blockSize = sizes;
  }
  return out;
}

const isBlockSize = (n: number) => n >= 512 && n <= 2 * 1024 * 1024 && (n & (n - 1)) === 0;

function parseBlockSize(problems: Problems, blockSize: Obj, path: string): DiskExtras['blockSize'] {
  refuseUnknownKeys(problems, blockSize, path, BLOCK_SIZE_FIELDS, FIX_HINTS);
  if (blockSize['matchVolume'] !== undefined && blockSize['matchVolume'] !== null) {
    problems.push(problem(Reason.FieldNotSupported, `${path}.matchVolume: not supported; vm-launcher does not read the volume's block sizes`, {
      field: `${path}.matchVolume`, fix: 'give the sizes with blockSize.custom (logical, physical)',
    }));
  }
  const custom = readObject(problems, blockSize, 'custom', path);
  if (!custom) return undefined;
  const cPath = fieldPath(path, 'custom');
  refuseUnknownKeys(problems, custom, cPath, CUSTOM_FIELDS, FIX_HINTS);
  const logical = readInteger(problems, custom, 'logical', cPath, 512);
  const physical = readInteger(problems, custom, 'physical', cPath, 512);
  const granularity = readInteger(problems, custom, 'discardGranularity', cPath, 0);
  for (const [key, v] of [['logical', logical], ['physical', physical]] as const) {
    if (v === undefined && (custom[key] === undefined || custom[key] === null)) {
      problems.push(problem(Reason.FieldMissing, `${cPath}.${key}: missing`, { field: `${cPath}.${key}`, fix: 'give both logical and physical, e.g. 512 and 4096' }));
    } else if (v !== undefined && !isBlockSize(v)) {
      problems.push(problem(Reason.FieldInvalid, `${cPath}.${key}: ${v} is not a power of two from 512 to 2097152`, { field: `${cPath}.${key}`, fix: 'use 512 or 4096' }));
    }
  }
  if (logical === undefined || physical === undefined || !isBlockSize(logical) || !isBlockSize(physical)) return undefined;
  if (physical < logical) {
    problems.push(problem(Reason.FieldInvalid, `${cPath}.physical: ${physical} is below the logical size ${logical}`, { field: `${cPath}.physical`, fix: 'make physical at least logical' }));
    return undefined;
  }
  return { logical, physical, ...(granularity !== undefined && { discardGranularity: granularity }) };
}
