// Reads the VMI manifest file. The size cap keeps a hostile or mistaken file (a disk image
// passed as --vmi) from being parsed as YAML.
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { problem, type Problem, type ProblemReason } from '../../domain/problem.js';
import { parseVmiText, typeDocuments, type TypeDocument } from '../../domain/manifest/index.js';
import { readTypeFiles } from './read-instancetypes.js';
import type { DiskSpec, VmSpec } from '../../domain/model/index.js';

const MAX_MANIFEST_BYTES = 1024 * 1024;

/** typeDocuments: the instance types and preferences read from --instancetypes-dir (`pod` ships the ones used). */
export interface ManifestResult { spec?: VmSpec; disks?: DiskSpec[]; raw?: unknown; problems: Problem[]; typeDocuments?: TypeDocument[] }

/** The manifest, with a VirtualMachine's instance type and preference expanded (from `instancetypesDir` or bundled). */
export async function readManifest(path: string, instancetypesDir?: string): Promise<ManifestResult> {
  let text: string;
  try {
    const st = await stat(path);
    if (!st.isFile()) return fail('ManifestUnreadable', `${path} is not a file`);
    if (st.size > MAX_MANIFEST_BYTES) return fail('ManifestTooLarge', `${path} is ${st.size} bytes; a VMI manifest is at most ${MAX_MANIFEST_BYTES}`);
    text = await readFile(path, 'utf8');
  } catch (e) {
    return fail('ManifestUnreadable', `cannot read the VMI manifest ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const types = instancetypesDir === undefined ? { files: [], problems: [] } : await readTypeFiles(instancetypesDir);
  const problems = [...types.problems];
  const typeDocs = typeDocuments(problems, types.files);
  // The compact form names its VM after the file when the manifest gives no name.
  const result = parseVmiText(text, { sourceName: basename(path), typeDocuments: typeDocs });
  return { ...result, problems: [...problems, ...result.problems], typeDocuments: typeDocs };

  function fail(reason: ProblemReason, message: string): ManifestResult {
    return { problems: [problem(reason, message)] };
  }
}
