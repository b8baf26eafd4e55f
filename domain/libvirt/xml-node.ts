// The plain object tree fast-xml-parser's XMLBuilder serializes: attributes are keys with the ATTR prefix, text is
// TEXT. Shared by the domain serializer and its per-device parts.
export const ATTR = '@_';
export const TEXT = '#text';

export type XmlNode = { [key: string]: XmlValue };
export type XmlValue = string | number | XmlNode | XmlNode[];

/** An empty element such as `<acpi/>` (suppressEmptyNode turns '' into a self-closing tag). */
export const EMPTY = '';

/** Attributes from an object, leaving out undefined values. */
export function attrs(values: Record<string, string | number | undefined>): XmlNode {
  const out: XmlNode = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) out[ATTR + k] = v;
  return out;
}

/** An element with attributes and text: `<entry name='uuid'>...</entry>`. */
export const textNode = (values: Record<string, string | number | undefined>, text: string | number): XmlNode => ({ ...attrs(values), [TEXT]: text });
