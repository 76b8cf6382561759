// The log sink: where a step's stdout/stderr (and its metrics history) go while it runs, so the
// API can serve them — live — from whatever host it runs on. Implementations: the local file
// appended in place (local-log-sink.ts) and chunk objects in an S3 bucket (chunked-log-sink.ts).
import type { ObjectInfo } from './object-store';

export interface LogChunk {
  /** The bytes read (at most the requested maximum). */
  data: Buffer;
  /** The log's whole size now. */
  size: number;
  /** The offset just after `data` (read from here next). */
  next: number;
}

export interface LogWriter {
  /** Queues text; it becomes readable by others within the sink's flush interval. */
  write(text: string): void;
  /** Flushes what is queued and closes the writer. */
  close(): Promise<void>;
}

export interface LogSink {
  /** Appends text, resolved once others can read it. */
  append(key: string, text: string): Promise<void>;
  /** A writer for a stream of lines (a step's stdout and stderr). */
  open(key: string): LogWriter;
  /** Bytes from `offset` (at most `maxBytes`, default 1 MiB); undefined when the log does not exist. */
  read(key: string, offset: number, maxBytes?: number): Promise<LogChunk | undefined>;
  /** The log's size, or undefined when it does not exist. */
  size(key: string): Promise<number | undefined>;
  /** Stores the log as it is now as an object of the store (what listings and downloads see). */
  seal(key: string, mediaType?: string): Promise<ObjectInfo | undefined>;
}

export const DEFAULT_READ_MAX = 1 << 20;

/**
 * New bytes of a log from `offset` as they arrive, polling every `pollMs`, until `signal` aborts or
 * `keepGoing()` answers false after a read that found nothing new.
 */
export async function* followLog(
  sink: LogSink,
  key: string,
  offset: number,
  opts: { signal: AbortSignal; pollMs?: number; keepGoing?: () => Promise<boolean> | boolean },
): AsyncGenerator<Buffer> {
  let at = offset;
  const pollMs = opts.pollMs ?? 250;
  while (!opts.signal.aborted) {
    const chunk = await sink.read(key, at);
    if (chunk && chunk.size < at) at = 0; // replaced by something shorter: start over
    if (chunk && chunk.data.length > 0) {
      at = chunk.next;
      yield chunk.data;
      if (chunk.next < chunk.size) continue; // more is already there
    } else if (opts.keepGoing && !(await opts.keepGoing())) {
      // One last read: lines written just before the step ended.
      const last = await sink.read(key, at);
      if (last && last.data.length > 0) yield last.data;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        opts.signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, pollMs);
      opts.signal.addEventListener('abort', done, { once: true });
    });
  }
}
