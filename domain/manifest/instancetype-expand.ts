// A VirtualMachine's spec.instancetype and spec.preference, expanded into its template as KubeVirt's VM controller
// does before the VMI exists: find the documents (the operator's, else the bundled common-instancetypes), check the
// spread topology and the preference's requirements, apply the instance type (a field the VM also sets is refused,
// naming both), then the preference (it fills only what is unset). The parser then reads the expanded template like
// any other, so what stays unsupported is refused with its usual reason.
import { problem } from '../problem.js';
import { Reason } from '../reasons.js';
import type { Expansion, ExpansionOrigin, ExpansionSource } from '../model/index.js';
import { fieldPath, isObject, refuseUnknownKeys, type FieldRules, type Obj, type Problems } from './manifest-reader.js';
import { findTypeDocument, INSTANCETYPE_KINDS, PREFERENCE_KINDS, type TypeDocument, type TypeKind } from './instancetype-documents.js';
import { applyInstancetype, child, isSet, preferredTopology, spreadOptions, TOPOLOGIES } from './instancetype-apply.js';
import { applyPreference } from './preference-apply.js';
import { parseQuantity } from './quantity.js';

/** inferFromVolume is refused by cluster-fields.ts (FieldNeedsCluster): it reads a PVC's labels from the API server. */
const MATCHER_FIELDS: FieldRules = { accepted: ['name', 'kind', 'revisionName', 'inferFromVolumeFailurePolicy'] };
const INSTANCETYPE_FIELDS = ['cpu', 'memory', 'gpus', 'hostDevices', 'ioThreadsPolicy', 'ioThreads', 'launchSecurity', 'annotations', 'nodeSelector', 'schedulerName'];
const INSTANCETYPE_CPU_FIELDS = ['guest', 'model', 'dedicatedCPUPlacement', 'numa', 'isolateEmulatorThread', 'realtime', 'maxSockets'];
const INSTANCETYPE_MEMORY_FIELDS = ['guest', 'hugepages', 'overcommitPercent', 'maxGuest'];
const PREFERENCE_FIELDS = [
  'annotations', 'clock', 'cpu', 'devices', 'features', 'firmware', 'machine', 'preferredSubdomain', 'preferredTerminationGracePeriodSeconds',
  'requirements', 'volumes', 'preferSpreadSocketToCoreRatio', 'preferredArchitecture', 'preferredLaunchSecurity',
];
/** The only architecture vm-launcher runs (x86_64 QEMU); KubeVirt's default on such a cluster. */
export const DEFAULT_ARCHITECTURE = 'amd64';

const TEMPLATE_SPEC = 'spec.template.spec';

interface Matcher { kind: TypeKind; name: string; field: string }
interface Found { doc: TypeDocument; field: string }

/**
 * The VM with its instance type and preference applied (matchers removed), and what they put where. `unexpanded`:
 * the VM named an instance type that could not be applied, so its memory is missing for that reason, not another.
 */
export function expandInstancetypes(problems: Problems, doc: Obj, given: readonly TypeDocument[]): { doc: Obj; expansion?: Expansion; unexpanded?: boolean } {
  const vmSpec = doc['spec'];
  if (doc['kind'] !== 'VirtualMachine' || !isObject(vmSpec) || (!isObject(vmSpec['instancetype']) && !isObject(vmSpec['preference']))) return { doc };
  const before = problems.length;
  const it = find(problems, given, matcher(problems, vmSpec, 'instancetype', INSTANCETYPE_KINDS));
  const pref = find(problems, given, matcher(problems, vmSpec, 'preference', PREFERENCE_KINDS));
  if (it) checkInstancetype(problems, it);
  if (pref) checkPreference(problems, pref);
  const { instancetype: _i, preference: _p, ...rest } = vmSpec;
  const template = structuredClone(isObject(vmSpec['template']) ? vmSpec['template'] : {});
  const expanded = { ...doc, spec: { ...rest, template } };
  const unexpanded = { doc: expanded, unexpanded: isSet(vmSpec['instancetype']) };
  if (problems.slice(before).some((p) => p.severity === 'error') || !isObject(template['spec'])) return unexpanded;
  const spec = template['spec'];
  const meta = child(template, 'metadata');

  const fields: Expansion['fields'] = [];
  const record = (path: string, value: unknown, from: ExpansionOrigin): void => {
    fields.push({ field: path.startsWith('metadata.') ? `spec.template.${path}` : `${TEMPLATE_SPEC}.${path}`, value: structuredClone(value), from });
  };
  const itSpec = it?.doc.spec;
  const prefSpec = pref?.doc.spec;
  if (itSpec && spreadProblem(problems, itSpec, prefSpec, it.doc)) return unexpanded;
  checkRequirements(problems, itSpec, prefSpec, spec, it?.field);
  if (itSpec) {
    const conflicts = applyInstancetype(spec, meta, itSpec, prefSpec, record);
    for (const c of conflicts) {
      const field = c.startsWith('metadata.') ? `spec.template.${c}` : `${TEMPLATE_SPEC}.${c}`;
      problems.push(problem(Reason.InstancetypeConflict, `${field}: set by the VirtualMachine and by its ${it!.doc.kind} ${it!.doc.name} (spec.instancetype); KubeVirt refuses the VM too`, {
        field, fix: `remove ${field} from the VirtualMachine (the instance type sets it), or drop spec.instancetype and write the values yourself`,
      }));
    }
    if (conflicts.length > 0) return unexpanded;
  }
  if (prefSpec) applyPreference(spec, meta, prefSpec, record);
  return {
    doc: expanded,
    expansion: { ...(it && { instancetype: source(it.doc) }), ...(pref && { preference: source(pref.doc) }), fields },
  };
}

const source = (d: TypeDocument): ExpansionSource => ({ kind: d.kind, name: d.name, from: d.from });

/** spec.instancetype or spec.preference: which document it names (kind defaults to the cluster kind, as in KubeVirt). */
function matcher(problems: Problems, vmSpec: Obj, key: 'instancetype' | 'preference', kinds: readonly TypeKind[]): Matcher | undefined {
  const m = vmSpec[key];
  const field = `spec.${key}`;
  if (m === undefined || m === null) return undefined;
  if (!isObject(m)) {
    problems.push(problem(Reason.FieldInvalid, `${field}: must be an object`, { field, fix: `write ${field}: {name: NAME}` }));
    return undefined;
  }
  refuseUnknownKeys(problems, m, field, MATCHER_FIELDS);
  if (typeof m['revisionName'] === 'string' && m['revisionName'] !== '') {
    problems.push(problem(Reason.InstancetypeRevisionNotChecked, `${field}.revisionName: ${JSON.stringify(m['revisionName'])} is a ControllerRevision vm-launcher cannot read; the ${key} is taken from the document found by kind and name`, { field: `${field}.revisionName` }));
  }
  const name = m['name'];
  if (typeof name !== 'string' || name === '') {
    if (m['inferFromVolume'] === undefined) problems.push(problem(Reason.FieldMissing, `${field}.name: missing`, { field: `${field}.name`, fix: `name the ${key}: ${field}.name` }));
    return undefined;
  }
  const kind = typeof m['kind'] === 'string' ? m['kind'].toLowerCase() : '';
  const [namespaced, cluster] = kinds as readonly [TypeKind, TypeKind];
  const lower = (k: string): string[] => [k.toLowerCase(), `${k.toLowerCase()}s`];
  if (kind === '' || lower(cluster).includes(kind)) return { kind: cluster, name, field };
  if (lower(namespaced).includes(kind)) return { kind: namespaced, name, field };
  problems.push(problem(Reason.FieldInvalid, `${field}.kind: ${JSON.stringify(m['kind'])} is not ${namespaced} or ${cluster}`, { field: `${field}.kind`, fix: `use ${cluster} (the default) or ${namespaced}` }));
  return undefined;
}

function find(problems: Problems, given: readonly TypeDocument[], m: Matcher | undefined): Found | undefined {
  const doc = m && findTypeDocument(problems, given, m.kind, m.name, m.field);
  return doc && m ? { doc, field: m.field } : undefined;
}

function invalidDocument(problems: Problems, d: TypeDocument, field: string, what: string): void {
  problems.push(problem(Reason.InstancetypeInvalid, `${d.kind} ${d.name} (${d.from}): ${what}`, { field, fix: 'correct the document (docs/instancetypes.md lists the fields vm-launcher reads)' }));
}

/** Unknown keys in a document are refused (never silently dropped), like unknown keys in the VM. */
function unknownKeys(problems: Problems, d: TypeDocument, field: string, obj: unknown, path: string, accepted: readonly string[]): void {
  if (!isObject(obj)) return;
  for (const key of Object.keys(obj)) {
    if (!accepted.includes(key) && obj[key] !== null) invalidDocument(problems, d, field, `${fieldPath(path, key)} is not a field vm-launcher knows`);
  }
}

function checkInstancetype(problems: Problems, { doc: d, field }: Found): void {
  const s = d.spec;
  unknownKeys(problems, d, field, s, 'spec', INSTANCETYPE_FIELDS);
  unknownKeys(problems, d, field, s['cpu'], 'spec.cpu', INSTANCETYPE_CPU_FIELDS);
  unknownKeys(problems, d, field, s['memory'], 'spec.memory', INSTANCETYPE_MEMORY_FIELDS);
  const cpu = isObject(s['cpu']) ? s['cpu'] : {};
  const memory = isObject(s['memory']) ? s['memory'] : {};
  if (!(typeof cpu['guest'] === 'number' && Number.isSafeInteger(cpu['guest']) && cpu['guest'] >= 1)) invalidDocument(problems, d, field, `spec.cpu.guest must be a whole number >= 1, not ${JSON.stringify(cpu['guest'] ?? null)}`);
  if (typeof memory['guest'] !== 'string' || parseQuantity(memory['guest']) === undefined) invalidDocument(problems, d, field, `spec.memory.guest must be a quantity such as 4Gi, not ${JSON.stringify(memory['guest'] ?? null)}`);
  const pct = memory['overcommitPercent'];
  if (pct !== undefined && !(typeof pct === 'number' && Number.isInteger(pct) && pct >= 0 && pct <= 100)) invalidDocument(problems, d, field, `spec.memory.overcommitPercent must be a whole number from 0 to 100, not ${JSON.stringify(pct)}`);
}

function checkPreference(problems: Problems, { doc: d, field }: Found): void {
  unknownKeys(problems, d, field, d.spec, 'spec', PREFERENCE_FIELDS);
  const cpu = d.spec['cpu'];
  if (isObject(cpu) && cpu['preferredCPUTopology'] !== undefined && !TOPOLOGIES.includes(preferredTopology(d.spec))) {
    invalidDocument(problems, d, field, `spec.cpu.preferredCPUTopology ${JSON.stringify(cpu['preferredCPUTopology'])} is not one of ${TOPOLOGIES.join(', ')}`);
  }
}

/** KubeVirt's CheckSpreadCPUTopology: the instance type's vCPUs must divide by the spread. */
function spreadProblem(problems: Problems, it: Obj, pref: Obj | undefined, d: TypeDocument): boolean {
  if (preferredTopology(pref) !== 'spread') return false;
  const guest = (it['cpu'] as Obj)['guest'] as number;
  const { ratio, across } = spreadOptions(pref);
  const divisor = across === 'SocketsCoresThreads' ? 2 * ratio : ratio;
  if (guest % divisor === 0) return false;
  problems.push(problem(Reason.InstancetypeConflict, `spec.instancetype: the ${guest} vCPUs of ${d.kind} ${d.name} do not divide by the preference's spread across ${across} (ratio ${ratio}${across === 'SocketsCoresThreads' ? ', 2 threads per core' : ''})`, {
    field: 'spec.instancetype', fix: 'pick an instance type whose vCPU count divides by the spread, or a preference with another topology',
  }));
  return true;
}

/** KubeVirt's preference requirements: vCPUs, memory and architecture the instance type (or the VM) must give. */
function checkRequirements(problems: Problems, it: Obj | undefined, pref: Obj | undefined, spec: Obj, itField: string | undefined): void {
  const req = isObject(pref?.['requirements']) ? pref['requirements'] : undefined;
  if (!req) return;
  const refuse = (field: string, message: string): void => {
    problems.push(problem(Reason.PreferenceRequirementsNotMet, `${field}: ${message}`, { field }));
  };
  const domain = isObject(spec['domain']) ? spec['domain'] : {};
  const wantCpu = isObject(req['cpu']) && typeof req['cpu']['guest'] === 'number' ? req['cpu']['guest'] : undefined;
  if (wantCpu !== undefined) {
    const given = it ? (it['cpu'] as Obj)['guest'] as number : vmVcpus(domain, pref);
    const field = it ? itField ?? 'spec.instancetype' : `${TEMPLATE_SPEC}.domain.cpu`;
    if (given < wantCpu) refuse(field, `${given} vCPU provided by the ${it ? 'instance type' : 'VirtualMachine'}; the preference requires ${wantCpu}`);
  }
  const wantMemory = isObject(req['memory']) ? req['memory']['guest'] : undefined;
  if (typeof wantMemory === 'string') {
    const vmMemory = isObject(domain['memory']) ? domain['memory']['guest'] : undefined;
    const given = (vmMemory ?? (it && (it['memory'] as Obj)['guest']) ?? '0') as string;
    const field = it ? itField ?? 'spec.instancetype' : `${TEMPLATE_SPEC}.domain.memory`;
    if ((parseQuantity(given) ?? 0) < (parseQuantity(wantMemory) ?? 0)) refuse(field, `${given} of memory provided by the ${it ? 'instance type' : 'VirtualMachine'}; the preference requires ${wantMemory}`);
  }
  if (typeof req['architecture'] === 'string') {
    const preferred = typeof pref?.['preferredArchitecture'] === 'string' && pref['preferredArchitecture'] !== '' ? pref['preferredArchitecture'] : undefined;
    const arch = typeof spec['architecture'] === 'string' && spec['architecture'] !== '' ? spec['architecture'] : preferred ?? DEFAULT_ARCHITECTURE;
    if (arch !== req['architecture']) refuse(`${TEMPLATE_SPEC}.architecture`, `the preference requires architecture ${req['architecture']} but ${arch} is requested`);
  }
}

/** The VM's own vCPUs as the preference's topology counts them (requirements without an instance type). */
function vmVcpus(domain: Obj, pref: Obj | undefined): number {
  const cpu = isObject(domain['cpu']) ? domain['cpu'] : {};
  const n = (k: string): number => (typeof cpu[k] === 'number' ? cpu[k] : 0);
  const topology = preferredTopology(pref);
  if (topology === 'threads' || topology === 'cores' || topology === 'sockets') return n(topology);
  if (topology === 'spread') {
    const { across } = spreadOptions(pref);
    return across === 'SocketsCores' ? n('sockets') * n('cores') : across === 'CoresThreads' ? n('cores') * n('threads') : n('sockets') * n('cores') * n('threads');
  }
  return n('cores') * n('sockets') * n('threads');
}
