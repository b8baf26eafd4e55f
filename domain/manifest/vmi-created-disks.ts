// Volumes the launcher creates itself when it runs (never at check): an `emptyDisk` (a fresh sparse image of the
// given capacity) and an `ephemeral` disk (a copy-on-write overlay on a PVC's raw image, which stays unchanged).
// Both live in the ephemeral dir and are removed at exit. This file parses them; launcher/run/created-disks.ts
// makes them.
import { problem } from '../problem.js';
import { Reason } from '../reasons.js';
import { parseQuantity } from './quantity.js';
import { fieldPath, readObject, refuseUnknownKeys, type Obj, type Problems, type FieldRules } from './manifest-reader.js';
import { FIX_HINTS } from './vmi-fields.js';
import { diskSizeLimitProblem } from './disk-limits.js';
import type { CreatedSource } from '../model/index.js';

export const EMPTY_DISK_FIELDS: FieldRules = { accepted: ['capacity'] };
export const EPHEMERAL_FIELDS: FieldRules = { accepted: ['persistentVolumeClaim'] };

const MiB = 1024 * 1024;

/** KubeVirt rounds an emptyDisk's capacity down to a whole MiB (qemu-img and the guest like aligned sizes). */
export const alignDown1MiB = (bytes: number): number => bytes - (bytes % MiB);

export function parseEmptyDisk(problems: Problems, item: Obj, field: string, volume: string): CreatedSource | undefined {
  const ed = readObject(problems, item, 'emptyDisk', field);
  if (!ed) return undefined;
  const edField = fieldPath(field, 'emptyDisk');
  refuseUnknownKeys(problems, ed, edField, EMPTY_DISK_FIELDS, FIX_HINTS);
  const raw = ed['capacity'];
  const capField = fieldPath(edField, 'capacity');
  if (raw === undefined || raw === null) {
    problems.push(problem(Reason.FieldMissing, `${capField}: an emptyDisk needs a capacity`, { field: capField, volume, fix: 'set capacity, e.g. 2Gi' }));
    return undefined;
  }
  const bytes = typeof raw === 'string' || typeof raw === 'number' ? parseQuantity(raw) : undefined;
  if (bytes === undefined) {
    problems.push(problem(Reason.FieldInvalid, `${capField}: ${JSON.stringify(raw)} is not a quantity`, { field: capField, volume, fix: 'write a Kubernetes quantity such as 2Gi' }));
    return undefined;
  }
  const capacityBytes = alignDown1MiB(bytes);
  if (capacityBytes === 0) {
    problems.push(problem(Reason.FieldInvalid, `${capField}: ${JSON.stringify(raw)} is below 1Mi; disks are made in whole MiB`, { field: capField, volume, fix: 'give at least 1Mi' }));
    return undefined;
  }
  const tooLarge = diskSizeLimitProblem(capacityBytes, capField, volume);
  if (tooLarge) {
    problems.push(tooLarge);
    return undefined;
  }
  return { kind: 'emptyDisk', capacityBytes };
}

/** `ephemeral: {persistentVolumeClaim: {claimName}}`: the claim is read by the PVC parser it is given. */
export function parseEphemeral(
  problems: Problems, item: Obj, field: string, volume: string,
  parsePvc: (problems: Problems, obj: Obj, field: string, volume: string) => { kind: string; claimName?: string } | undefined,
): CreatedSource | undefined {
  const eph = readObject(problems, item, 'ephemeral', field);
  if (!eph) return undefined;
  const ephField = fieldPath(field, 'ephemeral');
  refuseUnknownKeys(problems, eph, ephField, EPHEMERAL_FIELDS, FIX_HINTS);
  if (eph['persistentVolumeClaim'] === undefined || eph['persistentVolumeClaim'] === null) {
    problems.push(problem(Reason.FieldMissing, `${ephField}.persistentVolumeClaim: missing`, {
      field: `${ephField}.persistentVolumeClaim`, volume, fix: 'name the PVC whose disk.img backs the ephemeral disk',
    }));
    return undefined;
  }
  const pvc = parsePvc(problems, eph, ephField, volume);
  return pvc?.claimName === undefined ? undefined : { kind: 'ephemeral', claimName: pvc.claimName };
}
