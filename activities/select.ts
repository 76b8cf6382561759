// select step: picks the best upstream node by a metric (src/domain/select.ts ranks) and hands the
// winner's artifacts and refs down, plus a leaderboard artifact of every candidate (params, metric,
// status, GPU time). Candidates come from the workflow (StepInput.candidates: every direct parent,
// failed and stopped ones included); without them (a direct call) the completed parents are the
// candidates.
import { FAILURE_TYPES } from '../src/domain/failure-types';
import { SelectConfig } from '../src/domain/node-types';
import { type Leaderboard, SUMMARY_LEADERBOARD_ROWS, rankCandidates, type SelectCandidate } from '../src/domain/select';
import { loggedStep } from './define-step';
import { invalid, nodeLog, putJson } from './ml/io';
import type { StepDeps } from './step-deps';

export function makeSelectStep(deps: StepDeps) {
  return loggedStep({ store: deps.store }, SelectConfig, async (input) => {
    const cfg = input.config;
    const candidates: SelectCandidate[] =
      input.candidates ??
      Object.keys(input.upstream)
        .sort()
        .map((nodeId) => ({ nodeId, status: 'completed' as const, params: {}, gpuSeconds: 0 }));
    const { winner, rows } = rankCandidates(candidates, input.upstream, cfg);
    if (winner === undefined) {
      const why = rows
        .slice(0, 5)
        .map((r) => `${r.nodeId}: ${r.note ?? r.status}`)
        .join('; ');
      throw invalid(
        `node ${input.nodeId}: none of its ${rows.length} upstream node(s) has a metric "${cfg.metric}" to rank (${why})`,
        FAILURE_TYPES.MissingInput,
      );
    }
    const ranked = rows.filter((r) => r.rank !== undefined).length;
    const board: Leaderboard = {
      metric: cfg.metric,
      mode: cfg.mode,
      winner,
      rows,
      candidates: rows.length,
      ranked,
    };
    const boardRef = await putJson(deps.store, input, 'leaderboard.json', board);
    const best = rows[0]!;
    const won = input.upstream[winner]!;
    await nodeLog(
      deps.store,
      input,
      `selected ${winner} (${cfg.metric} ${best.metric}, ${cfg.mode}) of ${rows.length} candidates (${ranked} ranked)`,
    );
    const summaryBoard: Leaderboard =
      rows.length > SUMMARY_LEADERBOARD_ROWS
        ? { ...board, rows: rows.slice(0, SUMMARY_LEADERBOARD_ROWS), truncated: true }
        : board;
    return {
      summary: {
        winner,
        metric: cfg.metric,
        mode: cfg.mode,
        value: best.metric,
        params: best.params,
        leaderboard: summaryBoard,
      },
      artifacts: [...won.artifacts, boardRef],
      // The winner's refs only: the steps below see one model, as if the winner were their parent.
      refs: { ...won.refs, leaderboard: boardRef },
    };
  });
}
