export { type BuildServerOptions, buildServer } from './build-server.ts';
export type { RouteAccess, ServedCertificate, ServerContext } from './context.ts';
export { buildProblem, problemType, registerErrorStatus } from './problem.ts';
