// The operator's instance types and preferences a VM uses, to ship with it (`vm-launcher pod`). The launcher in the
// Pod reads the VM as written and expands it again: the bundled common-instancetypes are in the image, a document
// from `--instancetypes-dir` is not, and without it the Pod would render fine and then fail at start
// (InstancetypeNotFound). Only the documents the VM named go, in the form --instancetypes-dir reads.
import { stringify } from 'yaml';
import { BUNDLED_FROM, INSTANCETYPE_API_VERSIONS, type TypeDocument } from './instancetype-documents.js';
import type { Expansion, ExpansionSource } from '../model/index.js';

/** The documents the expansion used that did not come with the image: the operator's, matched by kind, name, file. */
export function operatorDocuments(expansion: Expansion | undefined, given: readonly TypeDocument[]): TypeDocument[] {
  const used = [expansion?.instancetype, expansion?.preference].filter((s): s is ExpansionSource => s !== undefined && s.from !== BUNDLED_FROM);
  return used.flatMap((s) => given.find((d) => d.kind === s.kind && d.name === s.name && d.from === s.from) ?? []);
}

/** The documents as one multi-document YAML file. */
export function instancetypesYaml(docs: readonly TypeDocument[]): string {
  return docs.map((d) => stringify({ apiVersion: INSTANCETYPE_API_VERSIONS[0], kind: d.kind, metadata: { name: d.name }, spec: d.spec })).join('---\n');
}
