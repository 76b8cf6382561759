// The workflows' payload converter (bundled through payloadConverterPath, see workers/workflow-bundle.ts).
// Sandbox-safe. It decodes like the SDK's default converter, except that a payload it cannot decode
// (an unknown `encoding`, bytes that are not JSON, no metadata) becomes an UndecodablePayload value
// instead of an exception: the SDK decodes signal and query arguments before any handler or
// interceptor runs, so an exception there fails the workflow task — on every retry, forever (a job
// wedged by one `temporal workflow signal --input-meta encoding=foo/bar`). The inbound interceptor
// (workflows/interceptors.ts) then drops the message that carries one, with a log line.
import { DefaultPayloadConverter, type Payload, type PayloadConverter } from '@temporalio/common';
import { decode } from '@temporalio/common/lib/encoding';

/** What an undecodable payload decodes to: its encoding and why it could not be read (never its bytes). */
export class UndecodablePayload {
  constructor(
    readonly encoding: string,
    readonly reason: string,
  ) {}
}

export function isUndecodable(v: unknown): v is UndecodablePayload {
  return v instanceof UndecodablePayload;
}

/** The first undecodable value among a message's arguments. */
export function firstUndecodable(args: readonly unknown[]): UndecodablePayload | undefined {
  return args.find(isUndecodable);
}

const MAX_REASON = 200;

function encodingOf(payload: Payload): string {
  const raw = payload.metadata?.encoding;
  if (!raw) return '(none)';
  try {
    return decode(raw).slice(0, 64);
  } catch {
    return '(unreadable)';
  }
}

class GuardedPayloadConverter implements PayloadConverter {
  private readonly inner = new DefaultPayloadConverter();

  toPayload<T>(value: T): Payload {
    return this.inner.toPayload(value);
  }

  fromPayload<T>(payload: Payload): T {
    try {
      return this.inner.fromPayload<T>(payload);
    } catch (err) {
      // The reason names the failure (Unknown encoding, JSON syntax) and never quotes the payload.
      const name = err instanceof Error ? err.name : 'Error';
      const message = err instanceof Error && /^Unknown encoding|^Missing payload metadata/.test(err.message);
      const reason = message ? (err as Error).message : `${name}: the payload's data could not be parsed`;
      return new UndecodablePayload(encodingOf(payload), reason.slice(0, MAX_REASON)) as T;
    }
  }
}

export const payloadConverter: PayloadConverter = new GuardedPayloadConverter();
