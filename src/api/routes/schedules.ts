// Schedules: create, list, read, change, pause/unpause, trigger, backfill, delete (src/job-service/schedules.ts).
import type { Principal } from '../auth';
import type { ResolvedDeps } from '../deps';
import type { RouteHandlers } from '../route-table';
import { ScheduleNotFound } from '../../job-service/schedules';

type ScheduleRoutes =
  | 'listSchedules'
  | 'createSchedule'
  | 'getSchedule'
  | 'updateSchedule'
  | 'deleteSchedule'
  | 'pauseSchedule'
  | 'unpauseSchedule'
  | 'triggerSchedule'
  | 'backfillSchedule';

/** Whose schedule a request means: the caller's, or (admins only) ?owner=. Others' are "not found". */
function ownerFor(principal: Principal, requested: string | undefined, name: string): string {
  if (requested === undefined || requested === principal.owner) return principal.owner;
  if (!principal.admin) throw new ScheduleNotFound(name);
  return requested;
}

export function scheduleHandlers(d: ResolvedDeps): Pick<RouteHandlers, ScheduleRoutes> {
  const s = d.schedules;
  return {
    async listSchedules({ principal, query }) {
      const owner = principal.admin ? query.owner : principal.owner;
      return { status: 200, body: await s.list(owner) };
    },
    async createSchedule({ principal, body }) {
      const view = await s.create(principal.owner, body);
      return {
        status: 201,
        headers: { Location: `/v1/schedules/${encodeURIComponent(view.name)}` },
        body: view,
      };
    },
    async getSchedule({ principal, params, query }) {
      return { status: 200, body: await s.get(ownerFor(principal, query.owner, params.name), params.name) };
    },
    async updateSchedule({ principal, params, query, body }) {
      return {
        status: 200,
        body: await s.update(ownerFor(principal, query.owner, params.name), params.name, body),
      };
    },
    async deleteSchedule({ principal, params, query }) {
      return { status: 200, body: await s.delete(ownerFor(principal, query.owner, params.name), params.name) };
    },
    async pauseSchedule({ principal, params, query, body }) {
      return {
        status: 200,
        body: await s.pause(ownerFor(principal, query.owner, params.name), params.name, body.note),
      };
    },
    async unpauseSchedule({ principal, params, query, body }) {
      return {
        status: 200,
        body: await s.unpause(ownerFor(principal, query.owner, params.name), params.name, body.note),
      };
    },
    async triggerSchedule({ principal, params, query, body }) {
      return {
        status: 200,
        body: await s.trigger(ownerFor(principal, query.owner, params.name), params.name, body.overlap),
      };
    },
    async backfillSchedule({ principal, params, query, body }) {
      return {
        status: 200,
        body: await s.backfill(ownerFor(principal, query.owner, params.name), params.name, body),
      };
    },
  };
}
