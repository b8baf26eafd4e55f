// Small typed readers over an untrusted parsed manifest. Each reader records a Problem (with the field's path) and
// returns undefined instead of throwing, so one pass reports every problem at once.
import { problem, type Problem } from '../problem.js';
import { Reason } from '../reasons.js';
import { clusterFieldProblem } from './cluster-fields.js';

export type Obj = Record<string, unknown>;

export const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const fieldPath = (parent: string, key: string): string => (parent ? `${parent}.${key}` : key);
export const indexPath = (parent: string, i: number): string => `${parent}[${i}]`;

/** Parses each item of a manifest list with its own `field[i]` path, keeping the ones that parsed. */
export function parseEach<T>(list: unknown[], path: string, parse: (item: unknown, field: string) => T | undefined): T[] {
  return list.flatMap((item, i) => {
    const parsed = parse(item, indexPath(path, i));
    return parsed === undefined ? [] : [parsed];
  });
}

/** Each item of a list of objects (disks, volumes...), checked to be an object with only the allowed keys. */
export interface ObjectList { what: string; fix: string; rules: FieldRules; hints?: FixHints }

export function parseObjects<T>(problems: Problems, list: unknown[], path: string, kind: ObjectList, parse: (item: Obj, field: string) => T | undefined): T[] {
  return parseEach(list, path, (item, field) => {
    if (!isObject(item)) {
      problems.push(problem(Reason.FieldInvalid, `${field}: ${withArticle(kind.what)} must be an object`, { field, fix: kind.fix }));
      return undefined;
    }
    refuseUnknownKeys(problems, item, field, kind.rules, kind.hints);
    return parse(item, field);
  });
}

/** "a network", "an interface". */
export const withArticle = (noun: string): string => `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;

/** Problems found so far in one manifest. */
export type Problems = Problem[];

/** Which keys an object level may hold. Anything else is refused, never dropped. */
export interface FieldRules {
  /** Keys vm-launcher reads and honours. */
  readonly accepted: readonly string[];
  /** Keys accepted on purpose and ignored, each with the reason it is safe to ignore. */
  readonly ignored?: Readonly<Record<string, string>>;
}

/** Fix hints for well-known unsupported fields; the key is the field's last name. */
export type FixHints = Readonly<Record<string, string>>;

const DEFAULT_FIX = 'remove the field: vm-launcher does not implement it';

/** Refuses every key of `obj` that `rules` does not list. A null value counts as absent (Kubernetes semantics). */
export function refuseUnknownKeys(problems: Problems, obj: Obj, path: string, rules: FieldRules, hints: FixHints = {}): void {
  for (const [key, value] of Object.entries(obj)) {
    // Own keys only: `constructor` or `toString` must not pass as if they were listed (Object.prototype members).
    if (value === null || rules.accepted.includes(key) || (rules.ignored && Object.hasOwn(rules.ignored, key))) continue;
    const field = fieldPath(path, key);
    const needsCluster = clusterFieldProblem(key, field);
    if (needsCluster) {
      problems.push(needsCluster);
      continue;
    }
    problems.push(problem(Reason.FieldNotSupported, `${field}: not supported`, { field, fix: (Object.hasOwn(hints, key) ? hints[key] : undefined) ?? DEFAULT_FIX }));
  }
}

const invalid = (problems: Problems, field: string, message: string, fix: string): undefined => {
  problems.push(problem(Reason.FieldInvalid, `${field}: ${message}`, { field, fix }));
  return undefined;
};

/** The value at obj[key], with null treated as absent. */
const valueAt = (obj: Obj, key: string): unknown => (obj[key] === null ? undefined : obj[key]);

export function readObject(problems: Problems, obj: Obj, key: string, path: string): Obj | undefined {
  const v = valueAt(obj, key);
  if (v === undefined) return undefined;
  if (isObject(v)) return v;
  return invalid(problems, fieldPath(path, key), 'must be an object', 'write it as a mapping of keys to values');
}

export function readArray(problems: Problems, obj: Obj, key: string, path: string): unknown[] | undefined {
  const v = valueAt(obj, key);
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v;
  return invalid(problems, fieldPath(path, key), 'must be a list', 'write it as a list (`- item`)');
}

export function readString(problems: Problems, obj: Obj, key: string, path: string): string | undefined {
  const v = valueAt(obj, key);
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  return invalid(problems, fieldPath(path, key), `must be a string, not ${JSON.stringify(v)}`, 'quote the value');
}

export function readBoolean(problems: Problems, obj: Obj, key: string, path: string): boolean | undefined {
  const v = valueAt(obj, key);
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  return invalid(problems, fieldPath(path, key), `must be true or false, not ${JSON.stringify(v)}`, 'write true or false');
}

/** An integer >= min (1 for counts, 0 for seconds). */
export function readInteger(problems: Problems, obj: Obj, key: string, path: string, min: number): number | undefined {
  const v = valueAt(obj, key);
  if (v === undefined) return undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= min) return v;
  return invalid(problems, fieldPath(path, key), `must be an integer >= ${min}, not ${JSON.stringify(v)}`, `write a whole number >= ${min}`);
}

/** One of a fixed set of string values. */
export function readEnum<T extends string>(problems: Problems, obj: Obj, key: string, path: string, values: readonly T[]): T | undefined {
  const v = readString(problems, obj, key, path);
  if (v === undefined) return undefined;
  if ((values as readonly string[]).includes(v)) return v as T;
  return invalid(problems, fieldPath(path, key), `${JSON.stringify(v)} is not one of ${values.join(', ')}`, `use one of: ${values.join(', ')}`);
}

/** A map of string to string (labels, annotations). */
export function readStringMap(problems: Problems, obj: Obj, key: string, path: string): Record<string, string> {
  const map = readObject(problems, obj, key, path);
  const out: Record<string, string> = {};
  if (!map) return out;
  for (const [k, v] of Object.entries(map)) {
    // defineProperty: a label named __proto__ is a label, not the map's prototype.
    if (typeof v === 'string') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else invalid(problems, fieldPath(fieldPath(path, key), k), 'must be a string', 'quote the value');
  }
  return out;
}
