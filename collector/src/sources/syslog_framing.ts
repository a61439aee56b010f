/**
 * Splits a syslog byte stream into messages (RFC 6587), as Promtail does: the
 * first byte of the stream picks the framing for the whole stream.
 *   - `<`: non-transparent framing, one message per line (`\n`); a last
 *     message without its `\n` is delivered when the stream ends.
 *   - a digit: octet counting, `LEN SP MSG` where LEN counts bytes.
 *   - anything else: "invalid or unsupported framing", the stream is refused.
 * A message longer than `max_message_length` is dropped and reported; with
 * octet counting the stream is then refused, as nothing bounds what it announced.
 */
export interface FramerEvents {
  message(text: string): void;
  error(reason: string, detail: string): void;
}

const LF = 0x0a;
const SP = 0x20;

export class SyslogFramer {
  private mode: 'unknown' | 'newline' | 'octets' | 'refused' = 'unknown';
  private pending: Buffer = Buffer.alloc(0);
  /** Newline framing: dropping an over-long line until its end. */
  private skippingLine = false;

  constructor(
    private readonly maxMessageLength: number,
    private readonly events: FramerEvents,
  ) {}

  /** False once the framing was refused: the caller should close the stream. */
  push(chunk: Buffer): boolean {
    if (this.mode === 'refused') return false;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    if (this.mode === 'unknown' && this.pending.length > 0) {
      const first = this.pending[0]!;
      if (first === 0x3c) this.mode = 'newline';
      else if (first >= 0x30 && first <= 0x39) this.mode = 'octets';
      else {
        this.mode = 'refused';
        this.events.error(
          'framing',
          `invalid or unsupported framing. first byte: '${String.fromCharCode(first)}'`,
        );
        return false;
      }
    }
    if (this.mode === 'newline') this.splitLines();
    else if (this.mode === 'octets') this.splitCounted();
    return !this.refused;
  }

  get refused(): boolean {
    return this.mode === 'refused';
  }

  /** End of stream: a last newline-framed message without its `\n` still counts. */
  end(): void {
    if (this.mode === 'newline' && this.pending.length > 0 && !this.skippingLine) this.emit(this.pending);
    else if (this.mode === 'octets' && this.pending.length > 0) {
      this.events.error('truncated', 'stream ended inside an octet-counted frame');
    }
    this.pending = Buffer.alloc(0);
  }

  private splitLines(): void {
    let start = 0;
    for (let nl = this.pending.indexOf(LF); nl >= 0; nl = this.pending.indexOf(LF, start)) {
      if (this.skippingLine) this.skippingLine = false;
      else this.emit(this.pending.subarray(start, nl));
      start = nl + 1;
    }
    this.pending = this.pending.subarray(start);
    if (this.pending.length > this.maxMessageLength) {
      if (!this.skippingLine) this.tooLong(this.pending.length);
      this.skippingLine = true;
      this.pending = Buffer.alloc(0);
    }
  }

  private splitCounted(): void {
    for (;;) {
      // Some senders end each counted frame with a newline anyway: skip it.
      let skip = 0;
      while (this.pending[skip] === LF || this.pending[skip] === 0x0d) skip += 1;
      if (skip > 0) this.pending = this.pending.subarray(skip);
      const sp = this.pending.indexOf(SP);
      if (sp < 0) {
        if (this.pending.length > 10) this.refuse('expecting a message length followed by a space');
        return;
      }
      const digits = this.pending.toString('latin1', 0, sp);
      if (!/^[1-9]\d*$/.test(digits)) return this.refuse(`invalid message length "${digits}"`);
      const length = Number(digits);
      if (length > this.maxMessageLength) {
        // Waiting for the whole frame would buffer whatever the peer announces.
        this.tooLong(length);
        return this.refuse(`frame of ${length} bytes announced`);
      }
      if (this.pending.length < sp + 1 + length) return;
      const frame = this.pending.subarray(sp + 1, sp + 1 + length);
      this.pending = this.pending.subarray(sp + 1 + length);
      this.emit(frame);
    }
  }

  private emit(bytes: Buffer): void {
    if (bytes.length > this.maxMessageLength) return this.tooLong(bytes.length);
    this.events.message(bytes.toString('utf8'));
  }

  private tooLong(length: number): void {
    this.events.error(
      'too_long',
      `message of ${length} bytes exceeds max_message_length ${this.maxMessageLength}`,
    );
  }

  private refuse(detail: string): void {
    this.mode = 'refused';
    this.pending = Buffer.alloc(0);
    this.events.error('framing', detail);
  }
}
