import { beforeAll, expect, it } from 'vitest';
import type { ApiRoute } from '../src/server/auth.ts';
import { describeEachDatabase } from './helpers/databases.ts';
import { injectAs } from './helpers/principals.ts';
import type { Expectation, MatrixCell } from './matrix/fixture.ts';
import { relations } from './matrix/fixture.ts';
import { matrixFixtures } from './matrix/index.ts';
import { buildMatrix, type MatrixHarness } from './matrix/world.ts';

/**
 * Every /api/v1 route of the real server × the principal's place relative to the target
 * unit × with and without the route's privilege (for routes that require one) × session and
 * API key, plus anonymous.
 * Privilege routes: inside the caller's subtree (same unit or below an ancestor) the
 * privilege decides 2xx/403; outside it the answer is 404. A route's fixture may state
 * another rule (and why). A route without a fixture fails the suite.
 */

function defaultExpectation(route: ApiRoute, cell: MatrixCell): Expectation {
  if (route.access !== 'privilege') return 'success';
  if (cell.relation !== 'same' && cell.relation !== 'ancestor') return 404;
  return cell.privileged ? 'success' : 403;
}

function matches(expected: Expectation, status: number): boolean {
  return expected === 'success' ? status >= 200 && status < 300 : status === expected;
}

function key(route: ApiRoute): string {
  return `${route.method} ${route.url}`;
}

describeEachDatabase('authorization matrix', (factory) => {
  let harness: MatrixHarness;
  beforeAll(async () => {
    harness = await buildMatrix(factory);
  });

  it('has exactly one fixture for every API route of the server', () => {
    const routes = harness.world.server.app.apiRoutes.map(key).sort();
    const fixtures = matrixFixtures.map((f) => f.route).sort();
    expect(new Set(fixtures).size).toBe(fixtures.length);
    expect({ withoutFixture: routes.filter((r) => !fixtures.includes(r)) }).toEqual({ withoutFixture: [] });
    expect({ staleFixture: fixtures.filter((f) => !routes.includes(f)) }).toEqual({ staleFixture: [] });
  });

  for (const fixture of matrixFixtures) {
    it(fixture.route, async () => {
      const { world } = harness;
      const route = world.server.app.apiRoutes.find((r) => key(r) === fixture.route);
      if (!route) throw new Error(`no route ${fixture.route}`);
      const unexpected: string[] = [];
      const send = async (request: Awaited<ReturnType<typeof fixture.request>>, headers: Record<string, string>) =>
        world.server.app.inject({
          method: request.method,
          url: request.url,
          ...(request.payload !== undefined ? { payload: request.payload as string } : {}),
          headers: { ...headers, ...(request.headers ?? {}) },
        });

      const anonymous = await send(await fixture.request(world, null), {});
      const anonymousExpected: Expectation = route.access === 'public' ? 'success' : 401;
      if (!matches(anonymousExpected, anonymous.statusCode)) {
        unexpected.push(
          `anonymous: expected ${anonymousExpected}, got ${anonymous.statusCode} ${anonymous.body.slice(0, 200)}`,
        );
      }
      for (const relation of relations) {
        // Without a route privilege there is nothing to be without.
        for (const privileged of route.access === 'privilege' ? [true, false] : [true]) {
          for (const credential of ['session', 'apikey'] as const) {
            const principal = await harness.principal(relation, privileged, route.privilege, credential, {
              fresh: fixture.consumesPrincipal === true,
            });
            const request = await fixture.request(world, principal);
            const response = await injectAs(world.server.app, principal.credential, {
              method: request.method,
              url: request.url,
              ...(request.payload !== undefined ? { payload: request.payload as string } : {}),
              ...(request.headers ? { headers: request.headers } : {}),
            });
            const cell = { relation, privileged, credential };
            const expected = fixture.expect?.(cell) ?? defaultExpectation(route, cell);
            if (!matches(expected, response.statusCode)) {
              unexpected.push(
                `${relation} ${privileged ? 'with' : 'without'} ${route.privilege ?? 'privilege'} via ${credential}: expected ${expected}, got ${response.statusCode} ${response.body.slice(0, 200)}`,
              );
            }
          }
        }
      }
      expect(unexpected).toEqual([]);
    });
  }
});
