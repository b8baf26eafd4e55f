// What a VirtualMachine's instance type and preference put into its VMI, value by value, with where each came from:
// `check` shows it (text and JSON).

/** instancetype: set by the instance type; preference: filled in by the preference; vm: the VM's own value, kept. */
export type ExpansionOrigin = 'instancetype' | 'preference' | 'vm';

export interface ExpandedField {
  /** Path in the manifest: `spec.template.spec.domain.cpu.sockets`. */
  field: string;
  value: unknown;
  from: ExpansionOrigin;
}

/** The instance type or preference a VM named, as found. */
export interface ExpansionSource { kind: string; name: string; from: string }

export interface Expansion {
  instancetype?: ExpansionSource;
  preference?: ExpansionSource;
  fields: ExpandedField[];
}
