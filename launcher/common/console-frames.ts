// What the launcher sends a `vm-launcher console` client over its console socket: frames, so the client can tell the
// guest's bytes from the launcher's word about the attach (attached, taken over by a newer console, the guest
// stopped). One byte of type, four of length (big-endian), the payload. The client sends the guest raw bytes.

export type FrameType = 'attached' | 'data' | 'taken-over' | 'closing';

const CODES: Record<FrameType, number> = { attached: 0x41, data: 0x44, 'taken-over': 0x54, closing: 0x43 };
const TYPES = new Map(Object.entries(CODES).map(([k, v]) => [v, k as FrameType]));
/** A frame larger than this is a protocol error (the launcher sends at most 64 KiB). */
const MAX_FRAME = 1024 * 1024;

export function frame(type: FrameType, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const head = Buffer.alloc(5);
  head[0] = CODES[type];
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** Reassembles frames from a byte stream; throws on bytes that are not frames. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Array<{ type: FrameType; payload: Buffer }> {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Array<{ type: FrameType; payload: Buffer }> = [];
    while (this.buf.length >= 5) {
      const type = TYPES.get(this.buf[0]!);
      const len = this.buf.readUInt32BE(1);
      if (!type || len > MAX_FRAME) throw new Error('the console socket does not speak vm-launcher\'s console protocol');
      if (this.buf.length < 5 + len) break;
      out.push({ type, payload: this.buf.subarray(5, 5 + len) });
      this.buf = this.buf.subarray(5 + len);
    }
    return out;
  }
}
