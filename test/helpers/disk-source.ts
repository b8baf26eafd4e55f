// Reading a parsed disk's source in assertions: the claim, the hostDisk path or the cloud-init data source, or
// undefined when the disk's source is of another kind.
import type { DiskSpec } from '../../domain/model/index.js';

export const claimOf = (d: DiskSpec): string | undefined => (d.source.kind === 'pvc' || d.source.kind === 'ephemeral' ? d.source.claimName : undefined);
export const hostDiskPathOf = (d: DiskSpec): string | undefined => (d.source.kind === 'hostDisk' ? d.source.path : undefined);
export const seedOf = (d: DiskSpec): string | undefined => (d.source.kind === 'cloudInit' ? d.source.cloudInit.dataSource : undefined);
