// The one logger of the server processes (API, workers): pino, JSON lines on stdout, at
// TRAINYARD_LOG_LEVEL. Each line carries the process's role (`name`) and pid; the API adds the
// request id of every request it logs. People-facing output (CLI, `npm start`, the demo) is not
// logging and stays plain text.
import pino, { type Logger } from 'pino';
import type { Config } from './config';

export type LogLevel = Config['logLevel'];
export type { Logger };

/** A logger for one process role ("api", "cpu-worker", "gpu-worker"). Writes synchronously, so a line before exit is not lost. */
export function createLogger(name: string, level: LogLevel = 'info'): Logger {
  return pino(
    { name, level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ sync: true }),
  );
}
