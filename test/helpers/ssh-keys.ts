// Public keys in SSH's wire format for tests that only check their shape (no private half exists): the blob is
// `uint32 length, type name, uint32 length, bytes`, as ssh-keygen writes it, with bytes derived from `seed`.

/** `<type> <base64 blob>`; the same seed gives the same key. */
export function fakePublicKey(type: string, seed: number): string {
  const name = Buffer.from(type, 'latin1');
  const body = Buffer.alloc(32, seed & 0xff);
  const blob = Buffer.alloc(8 + name.length + body.length);
  blob.writeUInt32BE(name.length, 0);
  name.copy(blob, 4);
  blob.writeUInt32BE(body.length, 4 + name.length);
  body.copy(blob, 8 + name.length);
  return `${type} ${blob.toString('base64')}`;
}
