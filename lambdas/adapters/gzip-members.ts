import { Transform, type TransformCallback } from 'node:stream';
import { crc32, createInflateRaw, type InflateRaw } from 'node:zlib';

/** gzip's flag bits (RFC 1952 §2.3.1): a text hint, a header CRC, extra field, name, comment; the others are reserved. */
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const FRESERVED = 0xe0;
const TRAILER_BYTES = 8;
/** A header longer than this (a name or comment with no end) is not gzip: it is not held further. */
const MAX_HEADER_BYTES = 64 * 1024;
const EMPTY = Buffer.alloc(0);

/** The first bytes of every gzip member (RFC 1952 §2.3.1: ID1, ID2): no text log starts with them. */
const GZIP_MAGIC = [0x1f, 0x8b] as const;
/** How many bytes tell whether data begins as gzip. */
export const GZIP_MAGIC_BYTES = GZIP_MAGIC.length;

/**
 * Whether `bytes` begin with gzip's magic. With `partial`, a first byte that begins it, the second
 * not yet read, counts too (a header still arriving); no bytes never do.
 */
export function beginsGzip(bytes: Uint8Array, partial = false): boolean {
  if (bytes.length < GZIP_MAGIC_BYTES) return partial && bytes.length > 0 && bytes[0] === GZIP_MAGIC[0];
  return bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

type State = 'header' | 'body' | 'trailer' | 'padding' | 'garbage';

/**
 * Gunzip, member after member, as gzip(1) reads a file (RFC 1952): zero bytes after a member are
 * padding, and bytes after a member that begin no other member are trailing garbage, which ends
 * the data without losing any of it. Node's gunzip fails the whole write that holds them and
 * drops what that write decompressed (up to 16 KiB of lines before them).
 *
 * Damage does not make the stream fail: it ends, every byte decompressed before the damage
 * given, and `damage` says what was wrong, so that its reader can take every line before it
 * first. `complete` says whether all the data was read before (trailing garbage only).
 */
export class GzipMembers extends Transform {
  /** What ended the data early, in zlib's words where zlib found it (`unexpected end of file`). */
  damage: Error | undefined;
  /** Whether every member was read whole before `damage` (the damage is trailing garbage). */
  complete = false;
  private state: State = 'header';
  private held: Buffer = EMPTY;
  private members = 0;
  private inflater: InflateRaw | undefined;
  private crc = 0;
  private size = 0;
  private garbageBytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.consume(chunk).then(() => done(), done);
  }

  override _flush(done: TransformCallback): void {
    this.finish().then(() => done(), done);
  }

  override _read(size: number): void {
    this.inflater?.resume();
    super._read(size);
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.inflater?.destroy();
    super._destroy(error, done);
  }

  private async consume(chunk: Buffer): Promise<void> {
    let bytes = chunk;
    while (bytes.length > 0 && this.damage === undefined) {
      switch (this.state) {
        case 'header':
          bytes = this.readHeader(bytes);
          break;
        case 'body':
          bytes = await this.inflate(bytes);
          break;
        case 'trailer':
          bytes = this.readTrailer(bytes);
          break;
        case 'padding': {
          const end = bytes.findIndex((b) => b !== 0);
          if (end < 0) return;
          this.state = 'garbage';
          bytes = bytes.subarray(end);
          break;
        }
        case 'garbage':
          this.garbageBytes += bytes.length;
          return;
      }
    }
  }

  private async finish(): Promise<void> {
    if (this.damage !== undefined) return;
    if (this.state === 'garbage') {
      this.complete = true;
      this.damage = new Error(`trailing garbage: ${this.garbageBytes} bytes after the end of the gzip data are not gzip`);
      return;
    }
    if (this.state === 'body') await this.endInflater();
    if (this.damage !== undefined) return;
    const ended = this.state === 'padding' || (this.state === 'header' && this.held.length === 0 && this.members > 0);
    if (!ended) this.damage = new Error('unexpected end of file');
  }

  /** The bytes after the header, once it is whole (held until then). Bytes that are not gzip after a member are garbage. */
  private readHeader(bytes: Buffer): Buffer {
    const data = this.held.length === 0 ? bytes : Buffer.concat([this.held, bytes]);
    this.held = EMPTY;
    if (this.members > 0 && data.length > 0 && data[0] === 0) {
      this.state = 'padding';
      return data;
    }
    if (!beginsGzip(data, true)) {
      if (this.members === 0) this.damage = new Error('incorrect header check');
      else this.state = 'garbage';
      return data;
    }
    const length = headerLength(data);
    if (typeof length === 'string') {
      this.damage = new Error(length);
      return EMPTY;
    }
    if (length === undefined) {
      if (data.length > MAX_HEADER_BYTES) this.damage = new Error('incorrect header check');
      else this.held = data;
      return EMPTY;
    }
    this.startMember();
    return data.subarray(length);
  }

  private startMember(): void {
    const inflater = createInflateRaw();
    inflater.on('data', (out: Buffer) => {
      this.crc = crc32(out, this.crc);
      this.size += out.length;
      if (!this.push(out)) inflater.pause();
    });
    // Its write's callback is given the error too; this keeps it from being thrown as unhandled.
    inflater.on('error', (error: Error) => {
      this.damage ??= error;
    });
    this.inflater = inflater;
    this.crc = 0;
    this.size = 0;
    this.state = 'body';
  }

  /** Decompresses; gives the bytes after the member's compressed data when it ends in them. */
  private inflate(bytes: Buffer): Promise<Buffer> {
    const inflater = this.inflater as InflateRaw;
    const before = inflater.bytesWritten;
    return new Promise((resolve) => {
      // A data error destroys the inflater, which may then never call back.
      const failed = (error: Error) => {
        this.damage ??= error;
        resolve(EMPTY);
      };
      inflater.once('error', failed);
      inflater.write(bytes, (error) => {
        inflater.off('error', failed);
        if (error) return failed(error);
        // The inflater takes no byte after the end of its data (it ends its output there): what
        // it left is the trailer's, read once the member's last output has been given.
        const used = inflater.bytesWritten - before;
        if (used === bytes.length) return resolve(EMPTY);
        const ended = () => {
          inflater.destroy();
          this.inflater = undefined;
          this.state = 'trailer';
          resolve(bytes.subarray(used));
        };
        if (inflater.readableEnded) ended();
        else inflater.once('end', ended);
      });
    });
  }

  private endInflater(): Promise<void> {
    const inflater = this.inflater as InflateRaw;
    return new Promise((resolve) => {
      inflater.once('error', (error: Error) => {
        this.damage = error;
        resolve();
      });
      inflater.end(() => resolve());
      inflater.resume();
    });
  }

  private readTrailer(bytes: Buffer): Buffer {
    const data = this.held.length === 0 ? bytes : Buffer.concat([this.held, bytes]);
    if (data.length < TRAILER_BYTES) {
      this.held = data;
      return EMPTY;
    }
    this.held = EMPTY;
    if (data.readUInt32LE(0) !== this.crc >>> 0) this.damage = new Error('incorrect data check');
    else if (data.readUInt32LE(4) !== this.size % 2 ** 32) this.damage = new Error('incorrect length check');
    this.members++;
    this.state = 'header';
    return data.subarray(TRAILER_BYTES);
  }
}

/**
 * The length of the gzip header at the start of `data` (its magic already checked), undefined
 * when `data` holds only part of it, or what is wrong with it.
 */
function headerLength(data: Buffer): number | string | undefined {
  if (data.length < 10) return undefined;
  if (data[2] !== 8) return 'unknown compression method';
  const flags = data[3];
  if ((flags & FRESERVED) !== 0) return 'unknown header flags set';
  let at = 10;
  if (flags & FEXTRA) {
    if (data.length < at + 2) return undefined;
    at += 2 + data.readUInt16LE(at);
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (flags & flag) {
      const zero = data.indexOf(0, at);
      if (zero < 0) return undefined;
      at = zero + 1;
    }
  }
  if (!(flags & FHCRC)) return at;
  if (data.length < at + 2) return undefined;
  return data.readUInt16LE(at) === (crc32(data.subarray(0, at)) & 0xffff) ? at + 2 : 'header crc mismatch';
}
