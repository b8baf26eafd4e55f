// accessCredentials propagated through the guest agent, as KubeVirt's virt-launcher pushes them
// (access_credentials.go): per user, every key of every Secret that names the user, written with
// guest-ssh-add-authorized-keys and reset (libvirt's AuthorizedSSHKeysSet with flags 0: the file is replaced); each
// password with guest-set-user-password, base64 and not crypted (SetUserPassword with flags 0). Pure: the commands.

export interface AgentCredentials {
  /** Users in the order the manifest first names them; each user's keys in the order of the credentials. */
  keys: Array<{ user: string; keys: string[] }>;
  /** From userPassword Secrets: the file's name is the user, its content (trimmed) the password. */
  passwords: Array<{ user: string; password: string }>;
}

export interface AgentCredentialCommand {
  /** For the log and the status: what is set for whom, never the password. */
  what: string;
  user: string;
  execute: 'guest-ssh-add-authorized-keys' | 'guest-set-user-password';
  arguments: Record<string, unknown>;
}

export function agentCredentialCommands(c: AgentCredentials): AgentCredentialCommand[] {
  return [
    ...c.keys.map(({ user, keys }): AgentCredentialCommand => ({
      what: `${keys.length} SSH key(s) for ${user}`, user,
      execute: 'guest-ssh-add-authorized-keys', arguments: { username: user, keys, reset: true },
    })),
    ...c.passwords.map(({ user, password }): AgentCredentialCommand => ({
      what: `the password of ${user}`, user,
      execute: 'guest-set-user-password', arguments: { username: user, password: Buffer.from(password, 'utf8').toString('base64'), crypted: false },
    })),
  ];
}

/** Adds `keys` to each user, keeping the order in which users first appear. */
export function addUserKeys(into: AgentCredentials['keys'], users: readonly string[], keys: readonly string[]): void {
  for (const user of users) {
    const entry = into.find((e) => e.user === user);
    if (entry) entry.keys.push(...keys);
    else into.push({ user, keys: [...keys] });
  }
}
