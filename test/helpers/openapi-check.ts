// Checks every response the API tests receive against /openapi.json — the document a generated
// client (the Python one) is built from. The API stack installs it as the app's response observer;
// its stop() fails the test file when any response did not match its declared schema.
import Ajv, { type ValidateFunction } from 'ajv';
import { buildOpenApiDocument } from '../../src/api/openapi';
import type { ResponseObserver } from '../../src/api/route-table';
import { ROUTES, openApiPath, type RouteName } from '../../src/http/routes';

const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * OpenAPI 3.0 writes a nullable reference as `{ nullable: true, allOf: [{ $ref }] }`, which Ajv
 * refuses ("nullable" needs "type"); for validation it means `anyOf: [ref, null]`.
 */
function forAjv(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(forAjv);
  if (typeof v !== 'object' || v === null) return v;
  const o = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, forAjv(x)]));
  // OpenAPI 3.0's boolean exclusive bounds (`minimum: 0, exclusiveMinimum: true`) are numbers in
  // the JSON Schema Ajv speaks (`exclusiveMinimum: 0`).
  for (const [flag, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof o[flag] !== 'boolean') continue;
    if (o[flag] === true && typeof o[bound] === 'number') {
      o[flag] = o[bound];
      delete o[bound];
    } else delete o[flag];
  }
  if (o.nullable === true && o.type === undefined && Array.isArray(o.allOf)) {
    const { nullable: _n, allOf, ...rest } = o;
    return { ...rest, anyOf: [...(allOf as unknown[]), { type: 'null' }] };
  }
  return o;
}

export class OpenApiResponseCheck {
  readonly failures: string[] = [];
  /** "route status" → how many responses were checked. */
  readonly seen = new Map<string, number>();
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction | null>();

  constructor(private readonly doc = buildOpenApiDocument()) {
    // Ajv knows OpenAPI's `nullable`; strict off for the document's non-schema keywords (paths, info …).
    this.ajv = new Ajv({ strict: false, allErrors: true });
    this.ajv.addSchema({ ...(forAjv(this.doc) as object), $id: 'openapi' });
  }

  private validator(route: RouteName | undefined, status: number): ValidateFunction | null {
    const key = `${route ?? '(none)'} ${status}`;
    if (!this.validators.has(key)) {
      let pointer: string | null = null;
      const response =
        route && (ROUTES[route].responses as Record<number, { contentType?: string } | undefined>)[status];
      if (!route || !response) pointer = '#/components/schemas/Error';
      else {
        const spec = ROUTES[route];
        const type = (response?.contentType ?? 'application/json').split(';')[0]!;
        if (type === 'application/json' || type === 'text/event-stream')
          pointer = `#/paths/${esc(openApiPath(spec.path))}/${spec.method}/responses/${status}/content/${esc(type)}/schema`;
      }
      this.validators.set(key, pointer ? this.ajv.compile({ $ref: `openapi${pointer}` }) : null);
    }
    return this.validators.get(key)!;
  }

  /** Never throws into the request it watches: a problem is a failure on the list. */
  readonly observe: ResponseObserver = (route, status, body) => {
    try {
      this.check(route, status, body);
    } catch (err) {
      this.failures.push(`${route ?? '(none)'} ${status}: the check itself failed: ${(err as Error).message}`);
    }
  };

  private check(route: RouteName | undefined, status: number, body: unknown): void {
    const key = `${route ?? '(none)'} ${status}`;
    this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
    if (route && status < 400 && !(status in ROUTES[route].responses)) {
      // Success statuses must be declared; error statuses all share the Error shape.
      this.failures.push(`${key}: status not declared in the route table`);
      return;
    }
    const validate = this.validator(route, status);
    if (validate && !validate(body))
      this.failures.push(
        `${key}: ${this.ajv.errorsText(validate.errors, { separator: '; ' })} — body ${JSON.stringify(body).slice(0, 300)}`,
      );
  }

  /** Throws listing every response that did not match (and when nothing was checked at all). */
  assertClean(): void {
    if (this.failures.length)
      throw new Error(
        `${this.failures.length} response(s) did not match /openapi.json:\n${this.failures.slice(0, 20).join('\n')}`,
      );
  }
}
