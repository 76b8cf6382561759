// Snapshots by reference: a job whose snapshot is too large to be the workflow's input (a 50,000-node
// spec is several MB) is stored content-addressed in the artifact store at submit, and its workflow
// gets {snapshotRef, header} instead (src/domain/snapshot.ts). The store keeps the sha256 with the
// object; every read verifies the bytes against the ref's.
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE_TYPES } from '../domain/failure-types';
import { JobSnapshot, SnapshotHeader, snapshotKey, type SnapshotRef } from '../domain/snapshot';
import { sha256Hex } from '../sdk/spec-hash';
import { IntegrityError, ObjectNotFoundError, type ObjectStore } from '../storage/object-store';

/** Stores a snapshot under its sha256 (once: the same content is not written again) and returns its ref. */
export async function storeSnapshot(objects: ObjectStore, snapshot: JobSnapshot): Promise<SnapshotRef> {
  const text = JSON.stringify(snapshot);
  const sha256 = sha256Hex(text);
  const key = snapshotKey(sha256);
  const stored = await objects.stat(key);
  if (stored?.sha256 !== sha256) await objects.put(key, text, { mediaType: 'application/json' });
  return { sha256, size: Buffer.byteLength(text, 'utf8'), uri: objects.uriOf(key), key };
}

/** The header a workflow started by reference gets inline. */
export function headerOf(snapshot: JobSnapshot): SnapshotHeader {
  const { spec: _spec, pools: _pools, ...header } = snapshot;
  return SnapshotHeader.parse(header);
}

/**
 * Reads a stored snapshot, verified against its ref's sha256. Missing or corrupt: a non-retryable
 * failure (the content of a hash never changes, so trying again cannot help).
 */
export async function loadSnapshot(
  objects: ObjectStore,
  ref: Pick<SnapshotRef, 'key' | 'sha256'>,
): Promise<JobSnapshot> {
  if (ref.key !== snapshotKey(ref.sha256))
    throw ApplicationFailure.nonRetryable(
      `snapshot ref key ${ref.key} is not the key of its sha256`,
      FAILURE_TYPES.SnapshotUnavailable,
    );
  let buf: Buffer;
  try {
    buf = await objects.get(ref.key, ref.sha256);
  } catch (err) {
    if (err instanceof IntegrityError || err instanceof ObjectNotFoundError)
      throw ApplicationFailure.nonRetryable(
        `snapshot ${ref.sha256}: ${err.message}`,
        FAILURE_TYPES.SnapshotUnavailable,
      );
    throw err;
  }
  const parsed = JobSnapshot.safeParse(JSON.parse(buf.toString('utf8')));
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(
      `snapshot ${ref.sha256} is not a job snapshot`,
      FAILURE_TYPES.SnapshotUnavailable,
    );
  return parsed.data;
}
