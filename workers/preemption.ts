// A GPU worker's preemption notice: SIGTERM, a notice file appearing (TRAINYARD_PREEMPTION_NOTICE_FILE)
// or `POST /preemption-notice` on 127.0.0.1:TRAINYARD_PREEMPTION_PORT — what a spot/preemptible
// VM's agent can trigger in the 30-120 s before the machine goes. On the first notice every running
// step is asked for a checkpoint *now* (activities/checkpoint-requests.ts: the command step writes
// TRAINYARD_CHECKPOINT_NOW_FILE and sends SIGUSR1 where the script asked for it; the built-in trainer
// checkpoints at the end of its epoch), each checkpoint is uploaded and put in the step's heartbeat,
// and the drain starts at once: no new tasks; running steps get the shutdown grace, then are cancelled
// and retried on another worker, which resumes from that checkpoint.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CheckpointAnswer, CheckpointRequests } from '../activities/checkpoint-requests';

export const PREEMPTION_NOTICE_PATH = '/preemption-notice';

export interface PreemptionOptions {
  checkpointRequests: CheckpointRequests;
  /** How long running steps have before they are cancelled (the shutdown grace), ms. */
  graceMs: number;
  noticeFile?: string;
  /** 0 = a free port (see `port` on the result). */
  port?: number;
  log(line: string): void;
  /** Starts the worker's drain (no new tasks; running steps get graceMs, then are cancelled). */
  drain(): void;
  /** How often the notice file is looked for, ms. */
  pollMs?: number;
}

export interface PreemptionWatch {
  /** Handles a notice (idempotent: later notices get the first one's answers). */
  notice(source: string): Promise<CheckpointAnswer[]>;
  /** Whether a notice came. */
  readonly noticed: boolean;
  /** The port the notice endpoint listens on, if any. */
  readonly port?: number;
  close(): Promise<void>;
}

export async function watchPreemption(opts: PreemptionOptions): Promise<PreemptionWatch> {
  let answers: Promise<CheckpointAnswer[]> | undefined;
  const notice = (source: string): Promise<CheckpointAnswer[]> => {
    if (answers) return answers;
    const steps = opts.checkpointRequests.size;
    opts.log(
      `preemption notice (${source}): asking ${steps} running step(s) for a checkpoint now; draining — no new tasks; running steps get ${opts.graceMs} ms, then are cancelled and resume elsewhere from their checkpoints`,
    );
    answers = opts.checkpointRequests.requestAll({ reason: 'preemption', deadlineMs: Date.now() + opts.graceMs });
    opts.drain();
    answers.then(
      (all) => {
        for (const a of all)
          opts.log(
            a.checkpoint
              ? `preemption: ${a.step} checkpointed (${a.checkpoint.path})`
              : `preemption: ${a.step} reported no checkpoint in time`,
          );
      },
      () => undefined,
    );
    return answers;
  };

  let timer: NodeJS.Timeout | undefined;
  if (opts.noticeFile) {
    const file = opts.noticeFile;
    timer = setInterval(() => {
      if (answers) return;
      fs.promises.access(file).then(
        () => void notice(`notice file ${file}`),
        () => undefined,
      );
    }, opts.pollMs ?? 1000);
    timer.unref();
  }

  let server: http.Server | undefined;
  let port: number | undefined;
  if (opts.port !== undefined) {
    const srv = http.createServer((req, res) => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.url !== PREEMPTION_NOTICE_PATH) return reply(404, { error: 'not found' });
      if (req.method !== 'POST') return reply(405, { error: 'use POST' });
      req.resume();
      const steps = opts.checkpointRequests.size;
      void notice(`POST ${PREEMPTION_NOTICE_PATH}`);
      reply(202, { accepted: true, steps, graceMs: opts.graceMs });
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(opts.port, '127.0.0.1', () => resolve());
    });
    server = srv;
    port = (srv.address() as AddressInfo).port;
    opts.log(`preemption notice endpoint: POST http://127.0.0.1:${port}${PREEMPTION_NOTICE_PATH}`);
  }
  if (opts.noticeFile) opts.log(`preemption notice file: ${opts.noticeFile}`);

  return {
    notice,
    get noticed() {
      return answers !== undefined;
    },
    ...(port !== undefined && { port }),
    async close() {
      if (timer) clearInterval(timer);
      if (server) {
        const s = server;
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
}
