import type { MatrixFixture } from './fixture.ts';

/**
 * The server's own routes. Certificate rotation acts on the installation, which is managed
 * from its first root unit: every principal of the matrix sits below or beside it (none at
 * it), so the installation is outside their reach and the answer is 404 with or without
 * the privilege. The positive case is test/server/certificate-rotation.test.ts.
 */
export const serverFixtures: readonly MatrixFixture[] = [
  {
    route: 'GET /api/v1/server/certificate',
    async request() {
      return { method: 'GET', url: '/api/v1/server/certificate' };
    },
  },
  {
    route: 'PUT /api/v1/server/certificate/next',
    async request() {
      return { method: 'PUT', url: '/api/v1/server/certificate/next', payload: { generate: true } };
    },
    expect: () => 404,
  },
  {
    route: 'DELETE /api/v1/server/certificate/next',
    async request() {
      return { method: 'DELETE', url: '/api/v1/server/certificate/next' };
    },
    expect: () => 404,
  },
  {
    route: 'POST /api/v1/server/certificate/activate',
    async request() {
      return { method: 'POST', url: '/api/v1/server/certificate/activate' };
    },
    expect: () => 404,
  },
];
