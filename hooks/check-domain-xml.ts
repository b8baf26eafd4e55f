// The first gate for an onDefineDomain hook's output: well-formed XML whose root is <domain>. The libvirt schema
// check (the caller's validateXml) comes after, and only on text that passed this.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export type DomainXmlCheck = { ok: true } | { ok: false; message: string };

export function checkDomainXml(xml: string): DomainXmlCheck {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    return { ok: false, message: `${msg} (line ${line}, column ${col})` };
  }
  // Entities are not expanded: only the root's name is wanted here.
  const parsed = new XMLParser({ ignoreAttributes: true, processEntities: false, ignoreDeclaration: true, ignorePiTags: true })
    .parse(xml) as Record<string, unknown>;
  const roots = Object.keys(parsed).filter((k) => !k.startsWith('?') && k !== '#text');
  if (roots.length !== 1 || roots[0] !== 'domain') {
    return { ok: false, message: `root element is ${roots.map((r) => `<${r}>`).join(', ') || 'missing'}, not <domain>` };
  }
  return { ok: true };
}
