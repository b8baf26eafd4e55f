// Reads --instancetypes-dir: every *.yaml, *.yml and *.json file in it (a ConfigMap mounted in the pod), as text.
// The directory is the operator's; the names a VirtualMachine gives are only matched against the documents'
// kind and metadata.name (domain/manifest/instancetype-documents.ts), never turned into a path.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { problem, type Problem } from '../../domain/problem.js';
import type { TypeFile } from '../../domain/manifest/index.js';

/** Per file, as for the VMI manifest: a mistaken mount (a disk image) is not parsed as YAML. */
export const MAX_TYPE_FILE_BYTES = 1024 * 1024;
/** More files than any set of instance types needs: a wrong directory is refused, not read whole. */
export const MAX_TYPE_FILES = 1000;

const TYPE_FILE = /\.(ya?ml|json)$/i;

export async function readTypeFiles(dir: string): Promise<{ files: TypeFile[]; problems: Problem[] }> {
  const refuse = (message: string): { files: TypeFile[]; problems: Problem[] } => ({
    files: [], problems: [problem('InstancetypeInvalid', message, { fix: 'point --instancetypes-dir at a directory of instance type and preference YAML files (a mounted ConfigMap)' })],
  });
  let names: string[];
  try {
    // Kubernetes' ConfigMap volume keeps its real files in dot-directories (..data, ..2024_...) and links the keys
    // to them: the links are read, the dot entries skipped.
    names = (await readdir(dir)).filter((n) => !n.startsWith('.') && TYPE_FILE.test(n)).sort();
  } catch (e) {
    return refuse(`cannot read --instancetypes-dir ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (names.length > MAX_TYPE_FILES) return refuse(`--instancetypes-dir ${dir} holds ${names.length} YAML/JSON files; at most ${MAX_TYPE_FILES} are read`);
  const files: TypeFile[] = [];
  const problems: Problem[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      const st = await stat(path);
      if (!st.isFile()) continue;
      if (st.size > MAX_TYPE_FILE_BYTES) {
        problems.push(...refuse(`${path} is ${st.size} bytes; an instance type file is at most ${MAX_TYPE_FILE_BYTES}`).problems);
        continue;
      }
      files.push({ file: name, text: await readFile(path, 'utf8') });
    } catch (e) {
      problems.push(...refuse(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`).problems);
    }
  }
  return { files, problems };
}
