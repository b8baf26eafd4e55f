// Test-only: domain XML back into the tree shape domain-xml.ts builds (attributes `@_x`, text `#text`, all values
// strings), so unit tests can assert on structure. Kept here, not in domain/, which holds only what ships.
import { XMLParser } from 'fast-xml-parser';
import { ATTR, TEXT } from '../../domain/libvirt/index.js';

// Elements that may repeat are always arrays, so tests can index them without guessing.
const REPEATED = new Set(['domain.devices.disk', 'domain.devices.controller', 'domain.devices.serial', 'domain.devices.console']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: ATTR,
  textNodeName: TEXT,
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (_name, jpath) => REPEATED.has(String(jpath)),
});

/** Parses domain XML into the same tree shape (attributes `@_x`, text `#text`, all values strings). */
export function parseDomainXml(xml: string): unknown {
  return parser.parse(xml) as unknown;
}
