// Page tokens of GET /v1/jobs: Temporal's visibility token, with a checksum, base64url. A token
// the API did not give out ("AAAA", a truncated one) fails the checksum and is a 400 at once,
// instead of reaching the visibility store (which answered a garbage token with an internal error,
// retried by the client for 20 s, then a 500).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { TrainyardError } from '../sdk/errors';

const CHECK_BYTES = 8;
const MAX_TOKEN_CHARS = 8192;

function check(token: Uint8Array): Buffer {
  return createHash('sha256').update('trainyard-page-token/v1').update(token).digest().subarray(0, CHECK_BYTES);
}

export class InvalidPageTokenError extends TrainyardError {
  constructor() {
    super(400, 'invalid_page_token', 'pageToken is not a token this API gave out (start again without it)', [
      { path: 'query.pageToken', message: 'not a token this API gave out' },
    ]);
    this.name = 'InvalidPageTokenError';
  }
}

export function encodePageToken(token: Uint8Array): string {
  return Buffer.concat([check(token), token]).toString('base64url');
}

/** The visibility token inside a token this API gave out; throws InvalidPageTokenError otherwise. */
export function decodePageToken(s: string): Uint8Array {
  if (s.length > MAX_TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(s)) throw new InvalidPageTokenError();
  const raw = Buffer.from(s, 'base64url');
  if (raw.length <= CHECK_BYTES) throw new InvalidPageTokenError();
  const token = raw.subarray(CHECK_BYTES);
  if (!check(token).equals(raw.subarray(0, CHECK_BYTES))) throw new InvalidPageTokenError();
  return token;
}

/**
 * A position in a list the API pages by offset (a job's nodes) and the filter it was given out
 * under: the same checksum as listing tokens, over `{ offset, filter }` as JSON.
 */
const OffsetToken = z.strictObject({ offset: z.number().int().min(0), filter: z.string() });

export function encodeOffsetToken(offset: number, filter: string): string {
  return encodePageToken(Buffer.from(JSON.stringify(OffsetToken.parse({ offset, filter }))));
}

/** The offset in a token this API gave out under the same filter; InvalidPageTokenError otherwise. */
export function decodeOffsetToken(s: string, filter: string): number {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(decodePageToken(s)).toString('utf8'));
  } catch (err) {
    if (err instanceof InvalidPageTokenError) throw err;
    throw new InvalidPageTokenError();
  }
  const parsed = OffsetToken.safeParse(raw);
  if (!parsed.success || parsed.data.filter !== filter) throw new InvalidPageTokenError();
  return parsed.data.offset;
}
