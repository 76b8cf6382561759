// Temporal's size limits, and checks that a value fits before it is sent. Sandbox-safe (the
// workflow checks what it sends too). Server 1.31 defaults (dynamic config `limit.blobSize.error`,
// gRPC's default max message size); a deployment that changes them changes these.
export const PAYLOAD_LIMITS = {
  /** One payload (a workflow input, an activity result, a failure's details): the server refuses more. */
  payloadBytes: 2 * 1024 * 1024,
  /** The server warns above this; Trainyard keeps what it can well below it. */
  payloadWarnBytes: 512 * 1024,
  /** One gRPC message (a whole activity completion, failure included). */
  grpcMessageBytes: 4 * 1024 * 1024,
} as const;

/** Room left in a payload for the SDK's encoding metadata and the message around it. */
const ENVELOPE_BYTES = 16 * 1024;

/** Bytes of a string as UTF-8, without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Bytes of a value as the JSON payload converter sends it (undefined for a value JSON cannot hold). */
export function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value);
  return text === undefined ? 0 : utf8Length(text);
}

export interface PayloadCheck {
  ok: boolean;
  bytes: number;
  limit: number;
  /** "the 2 MiB payload limit (limit.blobSize.error)" */
  limitName: string;
}

const mib = (n: number): string => `${+(n / 1024 / 1024).toFixed(2)} MiB`;

/** Does `value` fit in one Temporal payload (with room for its envelope)? */
export function checkPayload(value: unknown, limit: number = PAYLOAD_LIMITS.payloadBytes): PayloadCheck {
  const bytes = jsonBytes(value);
  return {
    ok: bytes + ENVELOPE_BYTES <= limit,
    bytes,
    limit,
    limitName: `Temporal's ${mib(limit)} payload limit`,
  };
}

/** "workflow input is 3.1 MiB; Temporal's 2 MiB payload limit …" */
export function describeOverLimit(what: string, c: PayloadCheck): string {
  return `${what} is ${mib(c.bytes)} (${c.bytes} bytes) as JSON, over ${c.limitName} (${c.limit} bytes, less ${ENVELOPE_BYTES} for the envelope)`;
}
