// Caps on what a step's process prints: a line is read whole only up to a size, tails of stdout and
// stderr are bounded per line and in total, and a `TRAINYARD_RESULT` / `TRAINYARD_PROGRESS` line
// past its cap is refused with a clear reason. Without them one 3 MB stdout line failed the step
// with PayloadsTooLarge (after running it twice), and 25 × 200 KB stderr lines made the failure
// itself too large for gRPC, so each attempt hung until its heartbeat timeout.
import { PAYLOAD_LIMITS } from '../src/domain/payload-limits';

export const OUTPUT_CAPS = {
  /** A longer line is cut here (in the log too, with a marker saying how much was dropped). */
  lineBytes: 1024 * 1024,
  /** Each line of a stdout/stderr tail (the node's summary, a failure's message). */
  tailLineBytes: 1024,
  /** A whole stdout or stderr tail. */
  tailBytes: 8 * 1024,
  /** The `TRAINYARD_RESULT {json}` line: the node's output, carried by the workflow. */
  resultBytes: 256 * 1024,
  /** A `TRAINYARD_PROGRESS {json}` line: sent as heartbeat details. */
  progressBytes: 64 * 1024,
} as const;

/** Splits a byte stream into lines, none longer than `maxBytes` (the rest of a longer line is dropped, and counted). */
export class LineSplitter {
  private parts: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: string, droppedBytes: number) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      this.take(chunk.subarray(start, end));
      if (nl < 0) return;
      this.flush();
      start = nl + 1;
    }
  }

  /** The last line, when the stream did not end with a newline. */
  end(): void {
    if (this.kept > 0 || this.dropped > 0) this.flush();
  }

  private take(piece: Buffer): void {
    const room = this.maxBytes - this.kept;
    if (piece.length <= room) {
      if (piece.length) this.parts.push(piece);
      this.kept += piece.length;
      return;
    }
    if (room > 0) this.parts.push(piece.subarray(0, room));
    this.kept += Math.max(0, room);
    this.dropped += piece.length - Math.max(0, room);
  }

  private flush(): void {
    let line = Buffer.concat(this.parts).toString('utf8');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const dropped = this.dropped;
    this.parts = [];
    this.kept = 0;
    this.dropped = 0;
    this.onLine(line, dropped);
  }
}

/** A line cut to `maxBytes` of UTF-8, saying how much was left out. */
export function clip(line: string, maxBytes: number): string {
  if (Buffer.byteLength(line, 'utf8') <= maxBytes) return line;
  const cut = Buffer.from(line, 'utf8')
    .subarray(0, maxBytes)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return `${cut}… [${Buffer.byteLength(line, 'utf8') - Buffer.byteLength(cut, 'utf8')} more bytes]`;
}

/** The last lines of a stream, each clipped, at most `maxBytes` in all. */
export class BoundedTail {
  private readonly lines: string[] = [];
  private bytes = 0;

  constructor(
    private readonly maxBytes: number = OUTPUT_CAPS.tailBytes,
    private readonly lineBytes: number = OUTPUT_CAPS.tailLineBytes,
  ) {}

  push(line: string): void {
    const l = clip(line, this.lineBytes);
    this.lines.push(l);
    this.bytes += Buffer.byteLength(l, 'utf8') + 1;
    while (this.bytes > this.maxBytes && this.lines.length > 1)
      this.bytes -= Buffer.byteLength(this.lines.shift()!, 'utf8') + 1;
  }

  /** The last `n` lines (all kept ones by default), newline-joined. */
  text(n = Infinity): string {
    return this.lines.slice(-Math.min(n, this.lines.length)).join('\n');
  }
}

/** Caps for what a failure may carry: it travels in one gRPC message with the rest of the completion. */
export const FAILURE_CAPS = {
  messageBytes: 16 * 1024,
  stackBytes: 16 * 1024,
  /** Its details, as JSON; past this they are replaced by a note (the first detail, the step's meta, stays). */
  detailsBytes: Math.min(256 * 1024, PAYLOAD_LIMITS.grpcMessageBytes / 8),
} as const;
