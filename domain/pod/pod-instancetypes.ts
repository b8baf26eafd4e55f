// Where a Pod keeps the operator's instance types and preferences its VM uses (domain/manifest/instancetype-shipping.ts
// selects them): a key of the VMI's ConfigMap, mounted alone, named by the launcher's VM_LAUNCHER_INSTANCETYPES_DIR.
export const POD_INSTANCETYPES_DIR = '/etc/vm-launcher-instancetypes';
export const INSTANCETYPES_KEY = 'instancetypes.yaml';
