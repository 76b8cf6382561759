// Media types of the files Trainyard writes, by extension (application/octet-stream when unknown).
import path from 'node:path';

const MEDIA_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.jsonl': 'application/x-ndjson',
  '.csv': 'text/csv',
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.onnx': 'application/onnx',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.pt': 'application/octet-stream',
  '.bin': 'application/octet-stream',
};

export function mediaTypeFor(name: string): string {
  return MEDIA_TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream';
}
