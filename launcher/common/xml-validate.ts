// libvirt's own RNG schema check (virt-xml-validate, from libvirt-clients), used on XML that
// hooks return before it may be defined.
// eslint-disable-next-line no-restricted-syntax -- a fresh mkdtemp dir of the launcher's own (0700)
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

export async function validateDomainXml(xml: string): Promise<{ ok: boolean; message: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'vml-xml-'));
  try {
    const file = join(dir, 'domain.xml');
    await writeFile(file, xml);
    const r = await execa('virt-xml-validate', [file, 'domain'], { reject: false, timeout: 15_000, all: true });
    if (r.failed && r.exitCode === undefined) return { ok: false, message: `virt-xml-validate could not run: ${r.shortMessage}` };
    return { ok: r.exitCode === 0, message: String(r.all ?? '').trim().replaceAll(file, 'domain.xml') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
