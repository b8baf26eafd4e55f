// The first gate for an onDefineDomain hook's output: well-formed XML whose root is <domain>. The libvirt schema
// check (the caller's validateXml) comes after, and only on text that passed this.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export type DomainXmlCheck = { ok: true } | { ok: false; message: string };

export function checkDomainXml(xml: string): DomainXmlCheck {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    return { ok: false, message: `${msg} (line ${line}${col === undefined ? "" : `, column ${col}`})` };
  }
  // Entities are not expanded: only the top-level elements are wanted here. In document order, so that two roots
  // (`<domain/><domain/>`, which the validator lets through) are counted as two, not folded into one key.
  const top = new XMLParser({ ignoreAttributes: true, processEntities: false, ignoreDeclaration: true, ignorePiTags: true, preserveOrder: true })
    .parse(xml) as Record<string, unknown>[];
  const roots = top.flatMap((node) => Object.keys(node).filter((k) => k !== ':@' && !k.startsWith('?') && k !== '#text'));
  if (roots.length !== 1 || roots[0] !== 'domain') {
    const what = roots.length > 1 ? `${roots.length} root elements (${roots.map((r) => `<${r}>`).join(', ')})` : `root element is ${roots.map((r) => `<${r}>`).join(', ') || 'missing'}`;
    return { ok: false, message: `${what}, not one <domain>` };
  }
  return { ok: true };
}
