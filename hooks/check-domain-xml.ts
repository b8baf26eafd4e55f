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
  // Attributes, declarations and processing instructions are ignored, so a top-level key is an element's name or
  // #text: a CDATA section the validator lets through outside the root, where XML allows none.
  const roots = top.flatMap((node) => Object.keys(node));
  if (roots.includes('#text')) return { ok: false, message: 'text outside the root element (a CDATA section), not one <domain>' };
  if (roots.length > 1) return { ok: false, message: `${roots.length} root elements (${roots.map((r) => `<${r}>`).join(', ')}), not one <domain>` };
  // The validator wants a start tag, so there is exactly one root here.
  if (roots[0] !== 'domain') return { ok: false, message: `root element is <${roots[0]}>, not one <domain>` };
  return { ok: true };
}
