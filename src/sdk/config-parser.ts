// Config files parsed off the event loop: a small pool of worker threads (config-parse-worker.js)
// with a memory limit each, and a time limit per file. A parse past its time is stopped by
// terminating its thread (a fresh one takes its place); a file whose parse needs more memory than
// the thread may use fails the same way. Idle threads do not keep the process alive.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { CONFIG_FILE_LIMITS, ConfigParseError, type ConfigFormat, type ParseLimits } from './config-parse';

const WORKER_FILE = path.join(__dirname, 'config-parse-worker.js');

export interface ConfigParserOptions {
  /** Threads (default 2). */
  threads?: number;
  /** Heap of each thread, MiB (default 256). */
  maxHeapMb?: number;
}

interface Job {
  text: string;
  format: ConfigFormat;
  limits: ParseLimits;
  deadline: number;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  job?: Job;
  timer?: NodeJS.Timeout;
}

type Reply = { ready: true } | { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export class ConfigParser {
  private readonly slots: (Slot | undefined)[];
  private readonly queue: Job[] = [];
  private seq = 0;
  private closed = false;

  constructor(private readonly opts: ConfigParserOptions = {}) {
    this.slots = new Array<Slot | undefined>(Math.max(1, opts.threads ?? 2)).fill(undefined);
  }

  /**
   * Parses `text` within `limits`, in a worker thread; rejects with ConfigParseError when the file is
   * invalid, over a limit, or not parsed by `deadline` (ms since the epoch).
   */
  parse(
    text: string,
    format: ConfigFormat,
    deadline: number,
    limits: ParseLimits = CONFIG_FILE_LIMITS,
  ): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('config parser closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ text, format, limits, deadline, resolve, reject });
      this.pump();
    });
  }

  /** Stops every thread. */
  async close(): Promise<void> {
    this.closed = true;
    for (const j of this.queue.splice(0)) j.reject(new Error('config parser closed'));
    await Promise.all(
      this.slots.map(async (s, i) => {
        this.slots[i] = undefined;
        if (s) await s.worker.terminate();
      }),
    );
  }

  private spawn(i: number): Slot {
    const worker = new Worker(WORKER_FILE, {
      resourceLimits: {
        maxOldGenerationSizeMb: this.opts.maxHeapMb ?? 256,
        maxYoungGenerationSizeMb: 32,
        stackSizeMb: 4,
      },
      // Not the API's flags (an inspector port, a heap size meant for the main thread).
      execArgv: [],
      stdout: false,
      stderr: false,
    });
    worker.unref();
    let markReady!: () => void;
    const slot: Slot = { worker, ready: new Promise<void>((r) => (markReady = r)) };
    worker.on('message', (m: Reply) => {
      if ('ready' in m) return markReady();
      const job = slot.job;
      if (!job) return;
      this.finish(slot);
      if (m.ok) job.resolve(m.value);
      else job.reject(new ConfigParseError(m.error));
      this.pump();
    });
    const dead = (why: string): void => {
      if (this.slots[i] === slot) this.slots[i] = undefined;
      const job = slot.job;
      this.finish(slot);
      markReady();
      job?.reject(new ConfigParseError(why));
      this.pump();
    };
    worker.on('error', (err: NodeJS.ErrnoException) =>
      dead(
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `parsing needs more memory than the limit (${this.opts.maxHeapMb ?? 256} MiB)`
          : 'the parser failed',
      ),
    );
    worker.on('exit', () => dead('the parser stopped'));
    this.slots[i] = slot;
    return slot;
  }

  private finish(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.job = undefined;
    if (!this.queue.length) slot.worker.unref();
  }

  private pump(): void {
    if (this.closed) return;
    for (let i = 0; i < this.slots.length && this.queue.length; i++) {
      const existing = this.slots[i];
      if (existing?.job) continue;
      const job = this.queue.shift()!;
      const left = job.deadline - Date.now();
      if (left <= 0) {
        job.reject(new ConfigParseError('not parsed in time: the time budget ran out before it started'));
        i--;
        continue;
      }
      const slot = existing ?? this.spawn(i);
      slot.job = job;
      slot.worker.ref();
      slot.timer = setTimeout(() => {
        if (slot.job !== job) return;
        // The only way to stop a synchronous parse: end its thread.
        slot.job = undefined;
        if (this.slots[i] === slot) this.slots[i] = undefined;
        job.reject(new ConfigParseError('not parsed in time (the file is too complex)'));
        void slot.worker.terminate();
        this.pump();
      }, left);
      const id = ++this.seq;
      void slot.ready.then(() => {
        if (slot.job === job) slot.worker.postMessage({ id, text: job.text, format: job.format, limits: job.limits });
      });
    }
  }
}

let shared: ConfigParser | undefined;

/** The process's config parser (created on first use). */
export function configParser(): ConfigParser {
  return (shared ??= new ConfigParser());
}
