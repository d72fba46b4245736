import type { Credential, IdentityTestServer, TestUser } from '../helpers/principals.ts';

/**
 * The authorization matrix (test/authorization-matrix.test.ts) sends every /api/v1 route
 * from principals placed around a target unit. Each route module describes, per route,
 * how to build a fresh target resource in that unit and the request to send.
 */

/** Where the principal's own unit lies relative to the target unit. */
export type Relation = 'same' | 'ancestor' | 'descendant' | 'sibling' | 'otherRoot';
export const relations: readonly Relation[] = ['same', 'ancestor', 'descendant', 'sibling', 'otherRoot'];

/**
 * The tree every route is tried in: root → parent → target → child, sibling under parent,
 * and a second root. Principals sit at target (same), parent (ancestor), child
 * (descendant), sibling, or the other root.
 */
export interface MatrixUnits {
  readonly root: string;
  readonly parent: string;
  readonly target: string;
  readonly child: string;
  readonly sibling: string;
  readonly otherRoot: string;
}

export interface MatrixWorld {
  readonly server: IdentityTestServer;
  readonly units: MatrixUnits;
  /** An administrator at the root, for preparing resources through the API. */
  readonly admin: Credential;
  readonly adminUser: TestUser;
}

/** The principal sending a request; null for an anonymous request. */
export interface MatrixPrincipal {
  readonly relation: Relation;
  /** Whether its role holds the route's privilege (all others are held either way). */
  readonly privileged: boolean;
  readonly credential: Credential;
  readonly user: TestUser;
}

export interface MatrixRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  readonly payload?: unknown;
  readonly headers?: Record<string, string>;
}

/** Expected status: `success` means any 2xx. */
export type Expectation = 'success' | number;

export interface MatrixCell {
  readonly relation: Relation;
  readonly privileged: boolean;
  readonly credential: 'session' | 'apikey';
}

export interface MatrixFixture {
  /** `METHOD /path/with/:params`, exactly as the route is registered. */
  readonly route: string;
  /**
   * The request changes the principal itself (signs out, changes its password, enrols
   * TOTP): it gets a principal of its own. Otherwise principals are shared between routes.
   */
  readonly consumesPrincipal?: boolean;
  /** Builds whatever the request needs (fresh for every call) and returns the request. */
  request(world: MatrixWorld, principal: MatrixPrincipal | null): Promise<MatrixRequest>;
  /**
   * Overrides the expectation of a cell when the route's rule differs from the default
   * (privilege routes: reach and privilege decide; other routes: success). Say why.
   */
  expect?(cell: MatrixCell): Expectation;
}
