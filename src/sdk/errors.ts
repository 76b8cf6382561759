// Errors for caller mistakes. Each carries an HTTP status and a stable code (one of ErrorCode, the
// wire contract's list), so the API's one error middleware maps them without knowing where they
// came from, and the SDK's ApiRequestError carries the same fields back to the caller.
import type { ErrorCode } from '../http/contracts';
import type { ErrorDetail } from '../domain/issues';

export type { ErrorDetail };

export class TrainyardError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'TrainyardError';
  }
}

/** 400: the spec (or another input) is invalid; `details` lists every problem. */
export class SpecValidationError extends TrainyardError {
  constructor(
    details: ErrorDetail[],
    message = `invalid job spec: ${details.length} problem${details.length === 1 ? '' : 's'}`,
  ) {
    super(400, 'validation_failed', message, details);
    this.name = 'SpecValidationError';
  }
}

/** 404: no such job (or not the caller's). */
export class JobNotFoundError extends TrainyardError {
  constructor(jobId: string) {
    super(404, 'job_not_found', `job ${JSON.stringify(jobId)} not found`);
    this.name = 'JobNotFoundError';
  }
}

/** 409: an illegal state transition (resume when not paused, …) or an idempotency-key reuse with another spec. */
export class JobConflictError extends TrainyardError {
  constructor(code: typeof ErrorCode.IllegalTransition | typeof ErrorCode.IdempotencyConflict, message: string) {
    super(409, code, message);
    this.name = 'JobConflictError';
  }
}

/** 413: an input is larger than a limit (a request budget, or a Temporal payload limit); the message names it. */
export class PayloadTooLargeError extends TrainyardError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super(413, 'payload_too_large', message, details);
    this.name = 'PayloadTooLargeError';
  }
}
