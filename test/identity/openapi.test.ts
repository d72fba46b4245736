import { expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/databases.ts';
import { buildIdentityServer } from '../helpers/principals.ts';

describeEachDatabase('OpenAPI', (factory) => {
  it('lists every API route with its access rule, required privilege and schemas', async () => {
    const server = await buildIdentityServer(factory);
    const spec = (await server.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    const problems: string[] = [];
    for (const route of server.app.apiRoutes) {
      const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}').replace(/\*$/, '{*}');
      const operation = spec.paths?.[path]?.[route.method.toLowerCase()];
      if (!operation) {
        problems.push(`${route.method} ${route.url}: missing`);
        continue;
      }
      if (operation['x-coffer-access'] !== route.access) problems.push(`${route.method} ${route.url}: access`);
      if (route.access === 'privilege' && operation['x-coffer-privilege'] !== route.privilege) {
        problems.push(`${route.method} ${route.url}: privilege`);
      }
      if (!operation.summary) problems.push(`${route.method} ${route.url}: no summary`);
      const security = JSON.stringify(operation.security);
      const expectedSecurity = route.access === 'public' ? '[]' : '[{"session":[]},{"apiKey":[]}]';
      if (security !== expectedSecurity) problems.push(`${route.method} ${route.url}: security ${security}`);
      if (
        ['POST', 'PUT', 'PATCH'].includes(route.method) &&
        !operation.requestBody &&
        route.url.startsWith('/api/v1/users')
      ) {
        if (!/\/(disable|enable|unlock|reset-mfa|invitation)$/.test(route.url))
          problems.push(`${route.method} ${route.url}: no body schema`);
      }
      if (!operation.responses || Object.keys(operation.responses).length === 0)
        problems.push(`${route.method} ${route.url}: no responses`);
    }
    expect(problems).toEqual([]);
    expect(server.app.apiRoutes.length).toBeGreaterThan(50);
  });
});
