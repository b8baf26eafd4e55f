// The compact form of the filesystem-PV design: `kind: VMI`, no apiVersion, metadata and memory may be left out.
// It is expanded here into the full kubevirt.io/v1 form before anything else reads it, so one validator serves
// both; every default it fills in is reported as a note (CompactFormDefault), never applied silently.
// The full form keeps its strict rules: nothing here touches a document whose kind is not `VMI`.
import { problem } from '../problem.js';
import { Reason } from '../reasons.js';
import { isDns1123Subdomain } from './names.js';
import { isObject, type Obj, type Problems } from './manifest-reader.js';

export const COMPACT_KIND = 'VMI';
/** The guest memory the compact form gets when it gives none: small, enough for a minimal Linux. */
export const COMPACT_DEFAULT_MEMORY = '256Mi';
/** The VM's name when the manifest has none and its file name is not a usable Kubernetes name. */
export const COMPACT_DEFAULT_NAME = 'vmi';

export interface CompactOptions {
  /** The manifest's file name (`my-vm.yaml`): the compact form's VM is named after it. */
  sourceName?: string;
}

/** `my-vm.yaml` -> `my-vm` when that is a DNS-1123 subdomain; otherwise the fixed default. */
export function nameFromSource(sourceName: string | undefined): { name: string; from: string } {
  // The part after the last slash, whatever precedes it (a directory name may hold a newline, which `.` skips).
  const stem = sourceName?.slice(sourceName.lastIndexOf('/') + 1).replace(/\.(ya?ml|json)$/i, '').toLowerCase();
  if (stem && isDns1123Subdomain(stem)) return { name: stem, from: `the file name ${sourceName}` };
  return { name: COMPACT_DEFAULT_NAME, from: 'the fixed default' };
}

const note = (problems: Problems, field: string, message: string, fix: string): void => {
  problems.push(problem(Reason.CompactFormDefault, `${field}: ${message}`, { field, fix }));
};

const given = (obj: Obj, key: string): boolean => obj[key] !== undefined && obj[key] !== null;

/**
 * A compact-form document as the full form it stands for (a copy: the user's document is kept as written), with
 * a note per default. Any other document is returned unchanged.
 */
export function expandCompactForm(doc: Obj, problems: Problems, opts: CompactOptions = {}): Obj {
  if (doc['kind'] !== COMPACT_KIND) return doc;
  const full = structuredClone(doc);
  full['kind'] = 'VirtualMachineInstance';
  if (!given(full, 'apiVersion')) full['apiVersion'] = 'kubevirt.io/v1';

  if (!given(full, 'metadata')) full['metadata'] = {};
  const metadata = full['metadata'];
  if (isObject(metadata) && !given(metadata, 'name')) {
    const { name, from } = nameFromSource(opts.sourceName);
    metadata['name'] = name;
    note(problems, 'metadata.name', `not given; the compact form names the VM ${name} (from ${from})`, 'set metadata.name to choose the name');
  }

  const spec = full['spec'];
  const domain = isObject(spec) ? spec['domain'] : undefined;
  if (isObject(domain) && !memoryGiven(domain)) {
    const memory = isObject(domain['memory']) ? domain['memory'] : {};
    memory['guest'] = COMPACT_DEFAULT_MEMORY;
    domain['memory'] = memory;
    note(problems, 'spec.domain.memory.guest', `not given; the compact form gives the guest ${COMPACT_DEFAULT_MEMORY}`, 'set spec.domain.memory.guest (e.g. 1Gi) to choose the size');
  }
  return full;
}

function memoryGiven(domain: Obj): boolean {
  const memory = domain['memory'];
  const resources = domain['resources'];
  const requests = isObject(resources) ? resources['requests'] : undefined;
  return (isObject(memory) && given(memory, 'guest')) || (isObject(requests) && given(requests, 'memory'))
    // A malformed memory or resources field is reported by the validator, not papered over with a default.
    || (memory !== undefined && memory !== null && !isObject(memory))
    || (resources !== undefined && resources !== null && !isObject(resources));
}
