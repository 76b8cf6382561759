// GPU discovery: real NVIDIA GPUs through nvidia-smi, or an explicit simulated inventory
// (TRAINYARD_GPUS=2x16) on machines without one — dev, the demo and the tests. A GPU worker never
// starts with an invented inventory: no GPU and no TRAINYARD_GPUS is a start-up error.
import { execFile } from 'node:child_process';
import type { Config } from '../config';

/** One GPU as the allocator sees it. */
export interface GpuDevice {
  /** CUDA device index (what CUDA_VISIBLE_DEVICES lists). */
  index: number;
  uuid: string;
  name: string;
  /** Total memory in GB (GiB as nvidia-smi reports MiB / 1024). */
  memoryGb: number;
  /** Memory in use when last discovered, GB (informational; allocation uses memoryGb). */
  memoryUsedGb: number;
}

/** What a GPU worker has: its devices and whether they are simulated. */
export interface GpuInventory {
  gpus: GpuDevice[];
  simulated: boolean;
  /** "nvidia-smi" or "TRAINYARD_GPUS=2x16". */
  source: string;
}

export const NVIDIA_SMI_ARGS = [
  '--query-gpu=index,uuid,name,memory.total,memory.used',
  '--format=csv,noheader,nounits',
];

/**
 * Parses `nvidia-smi --query-gpu=index,uuid,name,memory.total,memory.used --format=csv,noheader,nounits`
 * output (memory in MiB). Blank lines are skipped; a malformed line throws with the line quoted.
 */
export function parseNvidiaSmi(text: string): GpuDevice[] {
  const gpus: GpuDevice[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const cells = line.split(',').map((c) => c.trim());
    // GPU names do not contain commas in practice, but be lenient: everything between uuid and the
    // two memory columns is the name.
    if (cells.length < 5)
      throw new Error(
        `nvidia-smi: cannot parse line "${line}" (expected index, uuid, name, memory.total, memory.used)`,
      );
    const index = Number(cells[0]);
    const uuid = cells[1]!;
    const usedMiB = Number(cells[cells.length - 1]);
    const totalMiB = Number(cells[cells.length - 2]);
    const name = cells.slice(2, -2).join(',');
    if (!Number.isInteger(index) || index < 0 || !uuid || !Number.isFinite(totalMiB) || totalMiB <= 0) {
      throw new Error(
        `nvidia-smi: cannot parse line "${line}" (expected index, uuid, name, memory.total, memory.used)`,
      );
    }
    gpus.push({
      index,
      uuid,
      name,
      memoryGb: round2(totalMiB / 1024),
      memoryUsedGb: Number.isFinite(usedMiB) ? round2(usedMiB / 1024) : 0,
    });
  }
  return gpus.sort((a, b) => a.index - b.index);
}

/** "2x16" → two simulated GPUs of 16 GB (indices 0 and 1). */
export function simulatedInventory(spec: string): GpuInventory {
  const m = /^(\d+)x(\d+(?:\.\d+)?)$/.exec(spec.trim());
  if (!m) throw new Error(`TRAINYARD_GPUS: "${spec}" is not COUNTxMEMORY_GB (e.g. 2x16)`);
  const count = Number(m[1]);
  const memoryGb = Number(m[2]);
  if (count < 1 || count > 64 || memoryGb <= 0)
    throw new Error(`TRAINYARD_GPUS: "${spec}" must have 1..64 GPUs with a positive memory size`);
  const gpus = Array.from({ length: count }, (_, index) => ({
    index,
    uuid: `SIM-GPU-${index}`,
    name: `Simulated GPU ${memoryGb} GB`,
    memoryGb,
    memoryUsedGb: 0,
  }));
  return { gpus, simulated: true, source: `TRAINYARD_GPUS=${spec.trim()}` };
}

/** Runs nvidia-smi; resolves to its GPUs, or rejects (not installed, no driver, timeout, no GPU). */
export function queryNvidiaSmi(opts: { command?: string; timeoutMs?: number } = {}): Promise<GpuDevice[]> {
  return new Promise((resolve, reject) => {
    execFile(
      opts.command ?? 'nvidia-smi',
      NVIDIA_SMI_ARGS,
      { timeout: opts.timeoutMs ?? 10_000, windowsHide: true },
      (err, stdout, stderr) => {
        if (err) {
          const why =
            (err as NodeJS.ErrnoException).code === 'ENOENT'
              ? 'nvidia-smi not found'
              : `${err.message.split('\n')[0]}${stderr ? `: ${String(stderr).trim().split('\n')[0]}` : ''}`;
          reject(new Error(why));
          return;
        }
        try {
          const gpus = parseNvidiaSmi(String(stdout));
          if (gpus.length === 0) reject(new Error('nvidia-smi lists no GPU'));
          else resolve(gpus);
        } catch (e) {
          reject(e as Error);
        }
      },
    );
  });
}

export interface DiscoverOptions {
  /** The nvidia-smi executable (tests point it at a fake). */
  nvidiaSmi?: string;
  timeoutMs?: number;
}

/**
 * The GPUs this worker may use: real ones when nvidia-smi works; otherwise the simulated inventory
 * of TRAINYARD_GPUS; otherwise an error. Real GPUs win over TRAINYARD_GPUS.
 */
export async function discoverGpus(config: Pick<Config, 'gpus'>, opts: DiscoverOptions = {}): Promise<GpuInventory> {
  let realError: Error;
  try {
    const gpus = await queryNvidiaSmi({ command: opts.nvidiaSmi, timeoutMs: opts.timeoutMs });
    return { gpus, simulated: false, source: 'nvidia-smi' };
  } catch (err) {
    realError = err as Error;
  }
  if (config.gpus) return simulatedInventory(config.gpus);
  throw new Error(
    `the GPU worker needs a GPU: nvidia-smi failed (${realError.message}). ` +
      'On a machine without an NVIDIA GPU set TRAINYARD_GPUS=COUNTxMEMORY_GB (e.g. TRAINYARD_GPUS=2x16) to run with a simulated inventory.',
  );
}

/** What changed between two inventories (by index and uuid). */
export interface InventoryChange {
  added: GpuDevice[];
  removed: GpuDevice[];
}

export function diffInventory(before: readonly GpuDevice[], after: readonly GpuDevice[]): InventoryChange {
  const key = (g: GpuDevice) => `${g.index}/${g.uuid}`;
  const b = new Set(before.map(key));
  const a = new Set(after.map(key));
  return { added: after.filter((g) => !b.has(key(g))), removed: before.filter((g) => !a.has(key(g))) };
}

export function describeInventory(inv: GpuInventory): string {
  if (inv.gpus.length === 0) return 'no GPU';
  const list = inv.gpus.map((g) => `${g.index}:${g.name} ${g.memoryGb} GB`).join(', ');
  return `${inv.gpus.length} GPU(s) [${list}]${inv.simulated ? ` — SIMULATED GPUs (${inv.source})` : ''}`;
}

export interface RediscoveryOptions extends DiscoverOptions {
  intervalMs: number;
  /** Called with the new inventory when it differs from the last one. */
  onChange(inventory: GpuInventory, change: InventoryChange): void;
  onError?(err: Error): void;
}

/**
 * Re-runs discovery every intervalMs (real GPUs only: a simulated inventory never changes).
 * Returns a stop function. The caller applies changes to its allocator, which keeps GPUs held by
 * running steps until they are released.
 */
export function startRediscovery(initial: GpuInventory, opts: RediscoveryOptions): () => void {
  if (initial.simulated) return () => undefined;
  let last = initial.gpus;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    // Only nvidia-smi: a transient failure must not swap real GPUs for TRAINYARD_GPUS.
    queryNvidiaSmi({ command: opts.nvidiaSmi, timeoutMs: opts.timeoutMs })
      .then((gpus) => {
        const change = diffInventory(last, gpus);
        last = gpus;
        if (change.added.length || change.removed.length)
          opts.onChange({ gpus, simulated: false, source: 'nvidia-smi' }, change);
      })
      .catch((err: Error) => opts.onError?.(err))
      .finally(() => {
        running = false;
      });
  }, opts.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
