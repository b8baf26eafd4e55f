// A KubeVirt VirtualMachineInstance (or a VirtualMachine's template) in, a typed VmSpec out, with every problem
// found on the way. Nothing here stops at the first problem.
import { isScalar, parseAllDocuments, type Document } from 'yaml';
import { problem, hasErrors, type Problem } from '../problem.js';
import { Reason } from '../reasons.js';
import { isDns1123Label, isDns1123Subdomain, isUuid } from './names.js';
import { type DiskSpec, type VmSpec, type CloudInitSpec, defaultHardware, type RunStrategy } from '../model/index.js';
import {
  fieldPath, isObject, readArray, readEnum, readInteger, readObject, readString, readStringMap, refuseUnknownKeys, type Obj, type Problems,
} from './manifest-reader.js';
import {
  FIX_HINTS, METADATA_FIELDS, ROOT_FIELDS, SPEC_FIELDS, TEMPLATE_METADATA_FIELDS, VM_SPEC_FIELDS, VM_TEMPLATE_FIELDS,
} from './vmi-fields.js';
import { parseDomain } from './vmi-domain.js';
import { hostDiskPathProblem, parseVolumes, type ParsedVolume } from './vmi-volumes.js';
import { parseNetworking } from './vmi-networks.js';
import { parseProbes } from './vmi-probes.js';
import { parseAccessCredentials } from './vmi-access-credentials.js';
import { matchFilesystems, parseFilesystems } from './vmi-filesystems.js';
import { matchDisksToVolumes } from './vmi-match.js';
import { applyStorageAnnotations } from './volume-storage.js';
import { flowDepth, MAX_FLOW_DEPTH } from './manifest-limits.js';
import { expandCompactForm, type CompactOptions } from './compact-form.js';
import { schedulerNotes } from './cluster-fields.js';
import { addDefaultDisks } from './kubevirt-defaults.js';
import { readRunStrategy } from './vm-run-strategy.js';
import { expandInstancetypes } from './instancetype-expand.js';
import type { TypeDocument } from './instancetype-documents.js';
import type { Expansion } from '../model/index.js';

/** How the manifest is read: the compact form's file name, and the operator's instance type documents. */
export interface ParseOptions extends CompactOptions {
  /** Instance types and preferences from --instancetypes-dir (the bundled common-instancetypes are always there). */
  typeDocuments?: readonly TypeDocument[];
}

export interface VmiParseResult {
  /** Present when there is no error (warnings may remain). */
  spec?: VmSpec;
  /** Without a spec: the well-formed disks, whose volumes can still be inspected. */
  disks?: DiskSpec[];
  /** The document as parsed (hooks get it as JSON): parsed once, here; a VM's with its instance type expanded. */
  raw?: unknown;
  problems: Problem[];
}

export const SUPPORTED_API_VERSIONS = ['kubevirt.io/v1', 'kubevirt.io/v1alpha3'] as const;
export const SUPPORTED_KINDS = ['VirtualMachineInstance', 'VirtualMachine'] as const;

export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;

/** Parses YAML or JSON text (one document) and validates it as a VMI. */
export function parseVmiText(text: string, opts: ParseOptions = {}): VmiParseResult {
  const invalid = (message: string): VmiParseResult =>
    ({ problems: [problem(Reason.ManifestInvalid, message, { fix: 'give one VirtualMachineInstance as YAML or JSON' })] });
  if (flowDepth(text) > MAX_FLOW_DEPTH) return invalid(`the manifest nests [ or { deeper than ${MAX_FLOW_DEPTH} levels: not a VirtualMachineInstance`);
  // Duplicate keys are YAML errors (the yaml package's default).
  let parsed;
  try {
    parsed = parseAllDocuments(text);
  } catch (e) {
    return invalid(`the manifest is not valid YAML or JSON: ${(e as Error).message}`);
  }
  const docs = (Array.isArray(parsed) ? parsed : [parsed]).filter((d) => !isEmptyDocument(d));
  const firstError = docs.flatMap((d) => d.errors)[0];
  if (docs.length === 1 && docs[0] && !firstError) {
    // maxAliasCount bounds alias expansion ("billion laughs"); going past it is an invalid manifest, not a crash.
    let raw: unknown;
    try {
      raw = docs[0].toJS({ maxAliasCount: 100 });
    } catch (e) {
      return invalid(`the manifest is not usable YAML: ${(e as Error).message} (YAML aliases are expanded at most 100 times)`);
    }
    return { raw, ...parseVmi(raw, opts) };
  }
  const message = firstError
    ? `the manifest is not valid YAML or JSON: ${firstError.message}`
    : `the manifest must hold exactly one document, not ${docs.length}`;
  return { problems: [problem(Reason.ManifestInvalid, message, { fix: 'give one VirtualMachineInstance as YAML or JSON' })] };
}

/**
 * Empty documents (a lone `---` before, between or after the VMI, as YAML streams often end) do not count. The yaml
 * package gives one a null scalar without any source text; an explicit `null` or `~` document has some and counts.
 */
function isEmptyDocument(d: Document.Parsed | Document): boolean {
  if (d.errors.length > 0) return false;
  const c = d.contents;
  return c === null || (isScalar(c) && c.value === null && c.range?.[0] === c.range?.[1]);
}

/** Validates an already-parsed manifest. */
export function parseVmi(input: unknown, opts: ParseOptions = {}): VmiParseResult {
  const problems: Problems = [];
  if (!isObject(input)) {
    problems.push(problem(Reason.ManifestInvalid, 'the manifest is not an object', { fix: 'give one VirtualMachineInstance as YAML or JSON' }));
    return { problems };
  }
  const full = expandCompactForm(input, problems, opts);
  const { doc, expansion, unexpanded } = expandInstancetypes(problems, full, opts.typeDocuments ?? []);
  const parsed = parseDocument(problems, doc, expansion);
  // The instance type that would have given the memory is refused above: its absence is not a second problem.
  const result = unexpanded ? { ...parsed, problems: parsed.problems.filter((p) => p.reason !== 'MemoryMissing') } : parsed;
  if (expansion) blameExpansion(result.problems, expansion);
  return doc === full ? result : { ...result, raw: doc };
}

/**
 * A refusal of a value the instance type or preference put there keeps its reason (hugepages, GPUs, ...); its
 * message says where the value came from, since the VM does not show it.
 */
function blameExpansion(problems: Problems, expansion: Expansion): void {
  for (const [i, p] of problems.entries()) {
    const origin = p.field && expansion.fields.find((f) => f.from !== 'vm' && (p.field === f.field || p.field!.startsWith(`${f.field}.`) || p.field!.startsWith(`${f.field}[`)));
    if (!origin) continue;
    const by = origin.from === 'instancetype' ? expansion.instancetype : expansion.preference;
    problems[i] = { ...p, message: `${p.message} (set by ${by!.kind} ${by!.name}, ${by!.from})` };
  }
}

function parseDocument(problems: Problems, doc: Obj, expansion: Expansion | undefined): VmiParseResult {
  refuseUnknownKeys(problems, doc, '', ROOT_FIELDS, FIX_HINTS);
  checkApiVersion(problems, doc);
  const kind = checkKind(problems, doc);
  if (!kind) return { problems };

  const metadata = readObject(problems, doc, 'metadata', '') ?? {};
  const identity = parseIdentity(problems, metadata, 'metadata');
  const source = kind === 'VirtualMachine' ? unwrapTemplate(problems, doc) : vmiSource(problems, doc, metadata);
  const labels = readStringMap(problems, source.meta, 'labels', source.metaPath);
  const annotations = readStringMap(problems, source.meta, 'annotations', source.metaPath);
  refuseSidecarHooks(problems, annotations, source.metaPath);
  if (!source.spec) return { problems };
  const parsed = parseSpec(problems, source.spec, source.specPath);
  const disks = applyStorageAnnotations(problems, parsed.disks, annotations, source.metaPath);
  const body = parsed.body && { ...parsed.body, disks };
  // With errors there is no spec, but the disks that are well-formed can still have their
  // volumes inspected, so that one run of `check` reports every problem.
  if (hasErrors(problems) || !identity || !body) {
    // Only names that passed the DNS-1123 check may become paths.
    return { problems, disks: disks.filter((d) => isDns1123Label(d.volumeName) && (d.source.kind !== 'hostDisk' || hostDiskPathProblem(d.source.path) === undefined)) };
  }
  return {
    spec: {
      ...identity, labels, annotations, ...body, ...(source.runStrategy && { runStrategy: source.runStrategy }),
      ...(source.specPath !== 'spec' && { specPath: source.specPath }), ...(expansion && { expansion }),
    },
    problems,
  };
}

/** KubeVirt hook sidecars are containers vm-launcher does not run: asking for one must not be silently ignored. */
function refuseSidecarHooks(problems: Problems, annotations: Record<string, string>, metaPath: string): void {
  const key = 'hooks.kubevirt.io/hookSidecars';
  if (annotations[key] === undefined) return;
  const field = `${fieldPath(metaPath, 'annotations')}["${key}"]`;
  problems.push(problem(Reason.FieldNotSupported, `${field}: hook sidecars are not supported`, {
    field, fix: 'remove the annotation and put the hook in the pod image or a volume as an executable under --hooks-dir (see docs/operations.md: Hooks)',
  }));
}

function missing(problems: Problems, field: string, fix: string): void {
  problems.push(problem(Reason.FieldMissing, `${field}: missing`, { field, fix }));
}

/** An object that must be there: FieldMissing when absent (a wrong type is reported by readObject). */
function requiredObject(problems: Problems, obj: Obj, key: string, path: string): Obj | undefined {
  const value = readObject(problems, obj, key, path);
  if (obj[key] === undefined || obj[key] === null) missing(problems, fieldPath(path, key), `add ${fieldPath(path, key)}`);
  return value;
}

interface VmiSource { meta: Obj; metaPath: string; spec?: Obj; specPath: string; runStrategy?: RunStrategy }

function vmiSource(problems: Problems, doc: Obj, metadata: Obj): VmiSource {
  const spec = requiredObject(problems, doc, 'spec', '');
  return { meta: metadata, metaPath: 'metadata', ...(spec && { spec }), specPath: 'spec' };
}

/** KubeVirt makes the VMI from a VirtualMachine's spec.template, named after the VirtualMachine. */
function unwrapTemplate(problems: Problems, doc: Obj): VmiSource {
  const vmSpec = requiredObject(problems, doc, 'spec', '');
  if (vmSpec) refuseUnknownKeys(problems, vmSpec, 'spec', VM_SPEC_FIELDS, FIX_HINTS);
  const runStrategy = vmSpec && readRunStrategy(problems, vmSpec);
  const template = vmSpec && requiredObject(problems, vmSpec, 'template', 'spec');
  if (template) refuseUnknownKeys(problems, template, 'spec.template', VM_TEMPLATE_FIELDS, FIX_HINTS);
  const meta = (template && readObject(problems, template, 'metadata', 'spec.template')) ?? {};
  refuseUnknownKeys(problems, meta, 'spec.template.metadata', TEMPLATE_METADATA_FIELDS, FIX_HINTS);
  const spec = template && requiredObject(problems, template, 'spec', 'spec.template');
  return { meta, metaPath: 'spec.template.metadata', ...(spec && { spec }), specPath: 'spec.template.spec', ...(runStrategy && { runStrategy }) };
}

function checkApiVersion(problems: Problems, doc: Obj): void {
  const apiVersion = doc['apiVersion'];
  if (typeof apiVersion === 'string' && (SUPPORTED_API_VERSIONS as readonly string[]).includes(apiVersion)) return;
  problems.push(problem(Reason.ApiVersionUnsupported, `apiVersion: ${JSON.stringify(apiVersion ?? null)} is not supported`, {
    field: 'apiVersion', fix: `use apiVersion: ${SUPPORTED_API_VERSIONS[0]}`,
  }));
}

/** The kind, or undefined (reported) when the rest of the document cannot be read as a VM at all. */
function checkKind(problems: Problems, doc: Obj): (typeof SUPPORTED_KINDS)[number] | undefined {
  const kind = doc['kind'];
  if (typeof kind === 'string' && (SUPPORTED_KINDS as readonly string[]).includes(kind)) return kind as (typeof SUPPORTED_KINDS)[number];
  problems.push(problem(Reason.KindUnsupported, `kind: ${JSON.stringify(kind ?? null)} is not supported`, {
    field: 'kind', fix: 'give a VirtualMachineInstance (or a VirtualMachine with spec.template)',
  }));
  return undefined;
}

type Identity = Pick<VmSpec, 'name' | 'namespace' | 'uid'>;

function parseIdentity(problems: Problems, metadata: Obj, path: string): Identity | undefined {
  refuseUnknownKeys(problems, metadata, path, METADATA_FIELDS, FIX_HINTS);
  const name = readString(problems, metadata, 'name', path);
  const namespace = readString(problems, metadata, 'namespace', path) ?? DEFAULT_NAMESPACE;
  const uid = readString(problems, metadata, 'uid', path);
  if (metadata['name'] === undefined || metadata['name'] === null) missing(problems, fieldPath(path, 'name'), 'name the VM');
  if (name !== undefined && !isDns1123Subdomain(name)) {
    problems.push(problem(Reason.NameInvalid, `${path}.name: ${JSON.stringify(name)} is not a DNS-1123 subdomain`, {
      field: `${path}.name`, fix: 'use lowercase letters, digits, dashes and dots, at most 253 characters',
    }));
  }
  if (!isDns1123Label(namespace)) {
    problems.push(problem(Reason.NameInvalid, `${path}.namespace: ${JSON.stringify(namespace)} is not a DNS-1123 label`, {
      field: `${path}.namespace`, fix: 'use the namespace the VMI lives in',
    }));
  }
  if (uid !== undefined && !isUuid(uid)) {
    problems.push(problem(Reason.UidNotUuid, `${path}.uid: ${JSON.stringify(uid)} is not a UUID; the domain UUID is derived from namespace/name`, {
      field: `${path}.uid`, fix: 'leave uid to Kubernetes, or remove it',
    }));
  }
  return name === undefined ? undefined : { name, namespace, ...(uid !== undefined && { uid }) };
}

type SpecBody = Pick<VmSpec, 'cpu' | 'memoryBytes' | 'machineType' | 'terminationGracePeriodSeconds' | 'disks' | 'filesystems' | 'interfaces' | 'cloudInit' | 'accessCredentials' | 'userPasswords' | 'hardware' | 'probes'>;

function parseSpec(problems: Problems, spec: Obj, path: string): { body?: SpecBody; disks: DiskSpec[] } {
  refuseUnknownKeys(problems, spec, path, SPEC_FIELDS, FIX_HINTS);
  schedulerNotes(problems, spec, path);
  // KubeVirt's preferences set it (preferredArchitecture); vm-launcher runs x86_64 guests only.
  readEnum(problems, spec, 'architecture', path, ['amd64']);
  // 0 is kept: it means "destroy at once", as KubeVirt's examples use it.
  const grace = readInteger(problems, spec, 'terminationGracePeriodSeconds', path, 0) ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  const domain = requiredObject(problems, spec, 'domain', path);
  const part = domain ? parseDomain(problems, domain, fieldPath(path, 'domain')) : undefined;
  const volumeList = readArray(problems, spec, 'volumes', path) ?? [];
  const volumes = parseVolumes(problems, volumeList, fieldPath(path, 'volumes'));
  const devicesPath = fieldPath(fieldPath(path, 'domain'), 'devices');
  const devices = domain && isObject(domain['devices']) ? domain['devices'] : {};
  const parsedFilesystems = parseFilesystems(problems, readArray(problems, devices, 'filesystems', devicesPath) ?? [], fieldPath(devicesPath, 'filesystems'));
  const shared = new Set(parsedFilesystems.map((f) => f.name));
  const disks = matchDisksToVolumes(problems, addDefaultDisks(problems, part?.disks ?? [], volumes, shared), volumes, shared);
  const filesystems = matchFilesystems(problems, parsedFilesystems, volumes, part?.disks ?? []);
  const interfaces = parseNetworking(problems, spec, path, readArray(problems, devices, 'interfaces', devicesPath), fieldPath(devicesPath, 'interfaces'));
  const cloudInit = oneCloudInit(problems, volumes);
  const accessCredentials = parseAccessCredentials(problems, spec, path, volumeList);
  const probes = parseProbes(problems, spec, path, interfaces);
  if (!part || part.memoryBytes === undefined) return { disks };
  return {
    body: {
      cpu: part.cpu,
      memoryBytes: part.memoryBytes,
      ...(part.machineType !== undefined && { machineType: part.machineType }),
      terminationGracePeriodSeconds: grace,
      disks,
      ...(filesystems.length > 0 && { filesystems }),
      ...(interfaces.length > 0 && { interfaces }),
      ...(cloudInit && { cloudInit }),
      ...(accessCredentials.keys.length > 0 && { accessCredentials: accessCredentials.keys }),
      ...(accessCredentials.passwords.length > 0 && { userPasswords: accessCredentials.passwords }),
      ...((probes.readiness || probes.liveness) && { probes }),
      // Absent when every default holds: VmSpec.hardware is only there when the manifest asked for something.
      ...(JSON.stringify(part.hardware) !== JSON.stringify(defaultHardware()) && { hardware: part.hardware }),
    },
    disks,
  };
}

/** KubeVirt reads the first cloud-init volume and ignores the rest: a second one is refused instead. */
function oneCloudInit(problems: Problems, volumes: ParsedVolume[]): CloudInitSpec | undefined {
  const all = volumes.flatMap((v) => (v.source?.kind === 'cloudInit' ? [v.source.cloudInit] : []));
  for (const extra of all.slice(1)) {
    problems.push(problem(Reason.FieldInvalid, `${extra.field}: a second cloud-init volume; the guest's cloud-init reads one`, {
      field: extra.field, volume: extra.volumeName, fix: 'merge the data into one cloudInitNoCloud (or cloudInitConfigDrive) volume',
    }));
  }
  return all[0];
}
