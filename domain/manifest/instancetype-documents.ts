// Instance type and preference documents: the ones the operator gave (--instancetypes-dir, read by the shell) and the
// bundled common-instancetypes. A VirtualMachine names one by kind and name; it is found by matching those two,
// never by turning the name into a path.
import { problem } from '../problem.js';
import { Reason } from '../reasons.js';
import { COMMON_CLUSTER_INSTANCETYPES, COMMON_CLUSTER_PREFERENCES, COMMON_INSTANCETYPES_RELEASE } from './common-instancetypes.js';
import { isObject, type Obj, type Problems } from './manifest-reader.js';
import { flowDepth, MAX_FLOW_DEPTH } from './manifest-limits.js';
import { parseAllDocuments } from 'yaml';

export const INSTANCETYPE_KINDS = ['VirtualMachineInstancetype', 'VirtualMachineClusterInstancetype'] as const;
export const PREFERENCE_KINDS = ['VirtualMachinePreference', 'VirtualMachineClusterPreference'] as const;
export type TypeKind = (typeof INSTANCETYPE_KINDS)[number] | (typeof PREFERENCE_KINDS)[number];
const ALL_KINDS: readonly string[] = [...INSTANCETYPE_KINDS, ...PREFERENCE_KINDS];
/** The API versions of instance types KubeVirt serves (v1beta1 today; the older ones have the same fields we read). */
export const INSTANCETYPE_API_VERSIONS = ['instancetype.kubevirt.io/v1beta1', 'instancetype.kubevirt.io/v1alpha2', 'instancetype.kubevirt.io/v1alpha1'];

export interface TypeDocument {
  kind: TypeKind;
  name: string;
  spec: Obj;
  /** Where it came from, for people: `file small.yaml` or `bundled common-instancetypes v1.7.0`. */
  from: string;
}

/** A file from --instancetypes-dir: its name and its text (the shell reads it; nothing here touches a disk). */
export interface TypeFile { file: string; text: string }

export const BUNDLED_FROM = `bundled common-instancetypes ${COMMON_INSTANCETYPES_RELEASE.release}`;

/**
 * The documents of the given files: each document, or each item of a `List`, that is an instance type or a
 * preference. Anything else in the directory is refused by name (a ConfigMap meant for this holds nothing else).
 */
export function typeDocuments(problems: Problems, files: readonly TypeFile[]): TypeDocument[] {
  const out: TypeDocument[] = [];
  for (const { file, text } of files) {
    const documents = yamlDocuments(problems, file, text);
    documents.forEach((doc, i) => {
      const where = `${file}${documents.length > 1 ? ` (document ${i + 1})` : ''}`;
      const isList = isObject(doc) && doc['kind'] === 'List' && Array.isArray(doc['items']);
      const items: unknown[] = isList ? doc['items'] as unknown[] : [doc];
      items.forEach((item, j) => {
        const at = isList ? `${where} items[${j}]` : where;
        const parsed = typeDocument(problems, item, at);
        if (parsed) out.push(parsed);
      });
    });
  }
  return out;
}

/** The documents of one file as plain values; a file that is not YAML is refused by name. */
function yamlDocuments(problems: Problems, file: string, text: string): unknown[] {
  const bad = (what: string): unknown[] => {
    problems.push(problem(Reason.InstancetypeInvalid, `${file}: ${what}`, { fix: 'give YAML or JSON instance type and preference documents' }));
    return [];
  };
  if (flowDepth(text) > MAX_FLOW_DEPTH) return bad(`nests [ or { deeper than ${MAX_FLOW_DEPTH} levels`);
  try {
    const docs = parseAllDocuments(text);
    const list = Array.isArray(docs) ? docs : [docs];
    const error = list.flatMap((d) => d.errors)[0];
    if (error) return bad(`not valid YAML or JSON: ${error.message}`);
    // maxAliasCount bounds alias expansion, as for the VMI manifest.
    return list.map((d) => d.toJS({ maxAliasCount: 100 }));
  } catch (e) {
    return bad(`not usable YAML: ${(e as Error).message}`);
  }
}

function typeDocument(problems: Problems, doc: unknown, where: string): TypeDocument | undefined {
  const bad = (what: string): undefined => {
    problems.push(problem(Reason.InstancetypeInvalid, `${where}: ${what}`, {
      fix: `keep only ${ALL_KINDS.join(', ')} documents (apiVersion ${INSTANCETYPE_API_VERSIONS[0]}) in --instancetypes-dir`,
    }));
    return undefined;
  };
  if (doc === null || doc === undefined) return undefined;
  if (!isObject(doc)) return bad('not an object');
  const kind = doc['kind'];
  if (typeof kind !== 'string' || !ALL_KINDS.includes(kind)) return bad(`kind ${JSON.stringify(kind ?? null)} is not an instance type or preference`);
  if (!INSTANCETYPE_API_VERSIONS.includes(doc['apiVersion'] as string)) return bad(`apiVersion ${JSON.stringify(doc['apiVersion'] ?? null)} is not one of ${INSTANCETYPE_API_VERSIONS.join(', ')}`);
  const name = isObject(doc['metadata']) ? doc['metadata']['name'] : undefined;
  if (typeof name !== 'string' || name === '') return bad('metadata.name is missing');
  if (!isObject(doc['spec'])) return bad(`${kind} ${name}: spec is missing or not an object`);
  return { kind: kind as TypeKind, name, spec: doc['spec'], from: `file ${where}` };
}

/** The bundled document of that kind and name: only the cluster kinds, as virt-operator deploys them. */
function bundled(kind: TypeKind, name: string): TypeDocument | undefined {
  const table = kind === 'VirtualMachineClusterInstancetype' ? COMMON_CLUSTER_INSTANCETYPES : kind === 'VirtualMachineClusterPreference' ? COMMON_CLUSTER_PREFERENCES : {};
  const spec = Object.hasOwn(table, name) ? table[name] : undefined;
  return isObject(spec) ? { kind, name, spec, from: BUNDLED_FROM } : undefined;
}

/**
 * The one document of that kind and name: the operator's first (theirs wins over the bundled one of the same name),
 * else the bundled one. Several of the operator's with the same kind and name: ambiguous, refused.
 */
export function findTypeDocument(problems: Problems, given: readonly TypeDocument[], kind: TypeKind, name: string, field: string): TypeDocument | undefined {
  const mine = given.filter((d) => d.kind === kind && d.name === name);
  if (mine.length > 1) {
    problems.push(problem(Reason.InstancetypeInvalid, `${field}: ${kind} ${name} is given ${mine.length} times (${mine.map((d) => d.from).join(', ')})`, {
      field, fix: 'keep one document of each kind and name in --instancetypes-dir',
    }));
    return undefined;
  }
  const found = mine[0] ?? bundled(kind, name);
  if (!found) {
    const isCluster = kind.includes('Cluster');
    problems.push(problem(Reason.InstancetypeNotFound, `${field}: ${kind} ${JSON.stringify(name)} is neither in --instancetypes-dir nor bundled`, {
      field,
      fix: isCluster
        ? `put its ${kind} document in --instancetypes-dir (a mounted ConfigMap), or name a bundled one (docs/instancetypes.md lists them)`
        : `put its ${kind} document in --instancetypes-dir (a mounted ConfigMap); the bundled common-instancetypes are cluster kinds: drop \`kind\` to use them`,
    }));
  }
  return found;
}
