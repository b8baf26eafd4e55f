// The public keys in one file of an access-credential Secret, checked before they reach the guest's
// authorized_keys: one key per line as ssh-keygen writes it (`type base64 [comment]`), a type OpenSSH knows, a blob
// that decodes and names that same type, no control characters. Blank lines and `#` comments are skipped.
// Each key becomes its own entry in the seed's public-keys: KubeVirt's guest-agent path (access_credentials.go,
// readKeysFromDirectory) splits the files into lines the same way; its seed path passes a file whole, which puts a
// multi-key file's keys into one entry that cloud-init may not split.

/** OpenSSH's public key types (sshkey.c keytypes), certificates included. */
export const SSH_KEY_TYPES: readonly string[] = [
  'ssh-ed25519', 'ssh-rsa', 'ssh-dss', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com',
  'ssh-ed25519-cert-v01@openssh.com', 'ssh-rsa-cert-v01@openssh.com', 'ssh-dss-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com', 'ecdsa-sha2-nistp384-cert-v01@openssh.com', 'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'sk-ssh-ed25519-cert-v01@openssh.com', 'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
];

export interface KeyLineProblem { line: number; why: string }
export interface ParsedKeys { keys: string[]; problems: KeyLineProblem[] }

const BASE64 = /^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$|^(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)$/;
// Tab is a field separator in authorized_keys; a CR before the newline is a file edited on Windows. Anything else
// below 0x20 (and DEL) could end the line early or hide text in the guest's authorized_keys.
// eslint-disable-next-line no-control-regex -- the control characters are what is looked for
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** The keys of one file, each trimmed, in order; every bad line reported with its number (from 1). */
export function parseAuthorizedKeys(data: Uint8Array): ParsedKeys {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return { keys: [], problems: [{ line: 0, why: 'not UTF-8 text' }] };
  }
  const keys: string[] = [];
  const problems: KeyLineProblem[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const why = keyLineProblem(trimmed);
    if (why) problems.push({ line: i + 1, why });
    else keys.push(trimmed);
  });
  return { keys, problems };
}

function keyLineProblem(line: string): string | undefined {
  if (CONTROL.test(line)) return 'holds a control character';
  const [type = '', blob] = line.split(/[ \t]+/);
  if (!SSH_KEY_TYPES.includes(type)) {
    return `${JSON.stringify(type.slice(0, 40))} is not an SSH public key type${type.includes('=') || type.includes('"') ? ' (authorized_keys options are not accepted here)' : ''}`;
  }
  if (blob === undefined) return `the ${type} key has no base64 blob`;
  if (!BASE64.test(blob)) return `the ${type} key's blob is not base64`;
  const named = blobType(Buffer.from(blob, 'base64'));
  if (named !== type) return `the blob is ${named === undefined ? 'not an SSH key' : `a ${JSON.stringify(named.slice(0, 40))} key`}, not ${type}`;
  return undefined;
}

/** The key type an SSH wire-format blob starts with (a uint32 length, then the name), or undefined. */
function blobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const n = blob.readUInt32BE(0);
  if (n === 0 || n > 64 || blob.length < 4 + n) return undefined;
  return blob.subarray(4, 4 + n).toString('latin1');
}
