// spec.accessCredentials as read from the manifest (manifest/vmi-access-credentials.ts): SSH public keys from a
// Secret that the launcher puts into the cloud-init seed's metadata, as KubeVirt does (convert/cloud-init-seed.ts).
import type { CloudInitDataSource } from './cloud-init.js';

export interface SshKeyCredential {
  /** A DNS-1123 subdomain whose `<name>-access-cred` is a DNS-1123 label: safe in a path. */
  secretName: string;
  /**
   * noCloud / configDrive: the seed the keys go into (the VMI's one cloud-init volume has this data source);
   * qemuGuestAgent: pushed through the guest agent into each user's authorized_keys (launcher/run/agent-credentials.ts).
   */
  propagation: CloudInitDataSource | 'qemuGuestAgent';
  /** qemuGuestAgent: the guest users whose authorized_keys get the keys (at least one). */
  users?: string[];
  /** `spec.accessCredentials[0].sshPublicKey`, for messages. */
  field: string;
}

/** userPassword (only through the guest agent): each file of the Secret is a user's password, named after the user. */
export interface UserPasswordCredential {
  secretName: string;
  /** `spec.accessCredentials[0].userPassword` */
  field: string;
}


/** KubeVirt's pod mounts an access-credential Secret at `<secrets dir>/<secretName>-access-cred` (virt-controller's rendervolumes.go). */
export const ACCESS_CREDENTIAL_DIR_SUFFIX = '-access-cred';
