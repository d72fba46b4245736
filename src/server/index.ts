export { type BuildServerOptions, buildServer } from './build-server.ts';
export type { RouteAccess, ServerContext } from './context.ts';
export { buildProblem, problemType, registerErrorStatus } from './problem.ts';
