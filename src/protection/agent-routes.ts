import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CofferError, NotFoundError, ValidationError } from '../platform/index.ts';
import type { AgentIdentity } from './agent-identity.ts';
import { releaseBody } from './body-pool.ts';
import { commitSnapshot, missingBlobs } from './catalog.ts';
import { authenticateAgent, enrolAgent } from './enrolment.ts';
import { protectionErrorStatuses } from './errors.ts';
import { dueAgentJobs, finishAgentJob, type JobOutcome, reportProgress, startAgentJob } from './jobs.ts';
import { parseObjectKey } from './object-keys.ts';
import { currentRecoveryKey, getVaultRecovery, putVaultRecovery } from './recovery.ts';
import type { ProtectionRuntime } from './runtime.ts';
import * as schema from './schema.ts';
import { endSession, openSession, renewSession, vaultAccess } from './sessions.ts';
import { deleteObject, getObject, headObject, listObjects, putObject } from './upload.ts';
import { waitForWork } from './wakeups.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The agent behind an `access: 'agent'` route (set by the protection module's hook). */
    agent: AgentIdentity | null;
  }
}

const agentAccess = { access: 'agent' as const };
const base = '/api/v1/agent';
const sessionHeader = 'x-coffer-session';
/** Longest a poll waits between database re-checks (jobs created by other server processes). */
const pollRecheckMs = 1000;

function agentOf(request: FastifyRequest): AgentIdentity {
  if (!request.agent) throw new Error('agent route without the agent hook');
  return request.agent;
}

function sessionOf(request: FastifyRequest): string | undefined {
  const value = request.headers[sessionHeader];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function bodyBytes(request: FastifyRequest): Uint8Array {
  if (!Buffer.isBuffer(request.body)) throw new ValidationError('the body must be application/octet-stream');
  return request.body;
}

/** Parses `Range: bytes=a-b` (one range); undefined for no header. */
function parseRange(header: string | undefined): { offset: number; length?: number } | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d+)-(\d*)$/.exec(header.trim());
  if (!match) throw new ValidationError('Range must be one range: bytes=start-end');
  const start = Number(match[1]);
  if (match[2] === '') return { offset: start };
  const end = Number(match[2]);
  if (end < start) throw new ValidationError('Range end is before its start');
  return { offset: start, length: end - start + 1 };
}

/**
 * Errors whose status the server's table lacks (a full zone, an unreachable zone) are
 * answered here as problem+json, so the agent gets a clear reason instead of a bare 500.
 */
function withProblems<R extends FastifyRequest>(handler: (request: R, reply: FastifyReply) => Promise<unknown>) {
  return async (request: R, reply: FastifyReply) => {
    try {
      return await handler(request, reply);
    } catch (error) {
      const status = error instanceof CofferError ? protectionErrorStatuses[error.code] : undefined;
      if (!status || !(error instanceof CofferError)) throw error;
      request.log.warn({ err: error }, 'agent request failed');
      return reply
        .status(status)
        .type('application/problem+json')
        .send({
          type: `urn:coffer:problem:${error.code}`,
          title: status === 507 ? 'Insufficient storage' : 'Service unavailable',
          status,
          detail: error.message,
          requestId: String(request.id),
        });
    }
  };
}

/**
 * The agent protocol (docs/PROTOCOL.md): enrolment, job long-poll and reports, upload and
 * restore sessions, the vault object store (with keyless checks), the missing-blobs query
 * and the link test. Every route but enrolment authenticates the agent's bearer credential
 * before the body is read; an agent reaches only its own vault (or one its restore job reads).
 */
export function registerAgentRoutes(app: FastifyInstance, rt: ProtectionRuntime): void {
  app.decorateRequest('agent', null);
  const authenticate = async (request: FastifyRequest) => {
    request.agent = await authenticateAgent(rt, request.headers.authorization);
  };
  const uploadLimit = rt.limits.maxPackBytes + 1024 * 1024;

  app.post<{ Body: { token: string; hostname: string; os?: string; agentVersion?: string } }>(
    `${base}/enrol`,
    { config: { access: 'public' }, schema: schema.enrolSchema },
    async (request, reply) => reply.status(201).send(await enrolAgent(rt, request.body)),
  );

  app.get<{ Querystring: { wait?: number } }>(
    `${base}/jobs`,
    { config: agentAccess, schema: schema.pollSchema, onRequest: authenticate },
    async (request) => {
      const agent = agentOf(request);
      const aborted = new AbortController();
      request.raw.once('close', () => aborted.abort());
      const deadline = performance.now() + (request.query.wait ?? 30) * 1000;
      let jobs = await dueAgentJobs(rt, agent, true);
      while (jobs.length === 0 && !aborted.signal.aborted && app.server.listening) {
        const left = deadline - performance.now();
        if (left <= 0) break;
        await waitForWork(agent.dataSourceId, Math.min(left, pollRecheckMs), aborted.signal);
        jobs = await dueAgentJobs(rt, agent, false);
      }
      const fingerprint = rt.tlsFingerprint();
      const recovery = await currentRecoveryKey(rt.database, agent.buId);
      return {
        jobs,
        serverTime: new Date(rt.clock.now()).toISOString(),
        certificate: fingerprint ? { fingerprint256: fingerprint } : null,
        recoveryKey: recovery ? { id: recovery.id, publicKey: recovery.public_key } : null,
      };
    },
  );

  app.post<{ Params: { id: string } }>(
    `${base}/jobs/:id/start`,
    { config: agentAccess, schema: schema.startJobSchema, onRequest: authenticate },
    async (request) => startAgentJob(rt, agentOf(request), request.params.id),
  );

  app.post<{ Params: { id: string }; Body: { progress: Record<string, number>; linkRate?: number } }>(
    `${base}/jobs/:id/progress`,
    { config: agentAccess, schema: schema.progressSchema, onRequest: authenticate },
    async (request) => reportProgress(rt, agentOf(request), request.params.id, request.body),
  );

  app.post<{ Params: { id: string }; Body: JobOutcome }>(
    `${base}/jobs/:id/finish`,
    { config: agentAccess, schema: schema.finishSchema, onRequest: authenticate },
    async (request) => finishAgentJob(rt, agentOf(request), request.params.id, request.body),
  );

  app.post<{ Body: { vaultId: string; kind: 'backup' | 'restore'; jobId?: string } }>(
    `${base}/sessions`,
    { config: agentAccess, schema: schema.openSessionSchema, onRequest: authenticate },
    async (request, reply) => reply.status(201).send(await openSession(rt, agentOf(request), request.body)),
  );

  app.post<{ Params: { id: string } }>(
    `${base}/sessions/:id/renew`,
    { config: agentAccess, schema: schema.sessionSchema('Renew a session’s lease'), onRequest: authenticate },
    async (request, reply) => {
      await renewSession(rt, agentOf(request), request.params.id);
      return reply.status(204).send();
    },
  );

  app.delete<{ Params: { id: string } }>(
    `${base}/sessions/:id`,
    { config: agentAccess, schema: schema.sessionSchema('Close a session'), onRequest: authenticate },
    async (request, reply) => {
      await endSession(rt, agentOf(request), request.params.id);
      return reply.status(204).send();
    },
  );

  type ObjectRoute = { Params: { vaultId: string; '*': string } };

  app.get<{ Params: { vaultId: string }; Querystring: { prefix: string } }>(
    `${base}/vaults/:vaultId/list`,
    { config: agentAccess, schema: schema.listObjectsSchema, onRequest: authenticate },
    async (request) => {
      const access = await vaultAccess(rt, agentOf(request), request.params.vaultId, sessionOf(request));
      return { items: await listObjects(rt, access, request.query.prefix) };
    },
  );

  app.get<ObjectRoute>(
    `${base}/vaults/:vaultId/objects/*`,
    { config: agentAccess, schema: schema.getObjectSchema, onRequest: authenticate, exposeHeadRoute: false },
    async (request, reply) => {
      const access = await vaultAccess(rt, agentOf(request), request.params.vaultId, sessionOf(request));
      const range = parseRange(request.headers.range);
      const bytes = await getObject(rt, access, request.params['*'], range);
      reply.type('application/octet-stream');
      if (range) reply.status(206);
      return reply.send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
  );

  app.head<ObjectRoute>(
    `${base}/vaults/:vaultId/objects/*`,
    { config: agentAccess, schema: schema.headObjectSchema, onRequest: authenticate },
    async (request, reply) => {
      const access = await vaultAccess(rt, agentOf(request), request.params.vaultId, sessionOf(request));
      const info = await headObject(rt, access, request.params['*']);
      if (!info) throw new NotFoundError(`Object ${request.params['*']}`);
      reply.header('x-object-size', String(info.size)).header('content-length', info.size);
      return reply.status(200).send();
    },
  );

  app.put<ObjectRoute>(
    `${base}/vaults/:vaultId/objects/*`,
    { config: agentAccess, schema: schema.putObjectSchema, onRequest: authenticate, bodyLimit: uploadLimit },
    withProblems(async (request: FastifyRequest<ObjectRoute>, reply: FastifyReply) => {
      const access = await vaultAccess(rt, agentOf(request), request.params.vaultId, sessionOf(request));
      const rawKey = request.params['*'];
      const key = parseObjectKey(rawKey);
      const bytes = bodyBytes(request);
      let created = true;
      try {
        if (key.kind === 'snapshot') created = (await commitSnapshot(rt, access, key.id, bytes)).created;
        else await putObject(rt, access, key, bytes);
      } finally {
        releaseBody(request);
      }
      return reply.status(201).send({ key: rawKey, size: bytes.byteLength, created });
    }),
  );

  app.delete<ObjectRoute>(
    `${base}/vaults/:vaultId/objects/*`,
    { config: agentAccess, schema: schema.deleteObjectSchema, onRequest: authenticate },
    async (request, reply) => {
      const access = await vaultAccess(rt, agentOf(request), request.params.vaultId, sessionOf(request));
      await deleteObject(access, request.params['*']);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: { vaultId: string } }>(
    `${base}/vaults/:vaultId/blobs/missing`,
    { config: agentAccess, schema: schema.missingBlobsSchema, onRequest: authenticate, bodyLimit: 32 * 100_000 },
    async (request) => {
      await vaultAccess(rt, agentOf(request), request.params.vaultId, undefined);
      const bytes = bodyBytes(request);
      const ids: string[] = [];
      try {
        if (bytes.byteLength % 32 !== 0) throw new ValidationError('the body must be whole 32-byte blob IDs');
        for (let at = 0; at < bytes.byteLength; at += 32)
          ids.push(Buffer.from(bytes.subarray(at, at + 32)).toString('hex'));
      } finally {
        releaseBody(request);
      }
      return { checked: ids.length, missing: await missingBlobs(rt, request.params.vaultId, ids) };
    },
  );

  app.get<{ Params: { vaultId: string } }>(
    `${base}/vaults/:vaultId/recovery`,
    { config: agentAccess, schema: schema.getVaultRecoverySchema, onRequest: authenticate },
    async (request) => getVaultRecovery(rt, agentOf(request), request.params.vaultId),
  );

  app.put<{ Params: { vaultId: string }; Body: { keyId: string; envelope: Record<string, unknown> } }>(
    `${base}/vaults/:vaultId/recovery`,
    { config: agentAccess, schema: schema.putVaultRecoverySchema, onRequest: authenticate },
    async (request, reply) => {
      await putVaultRecovery(rt, agentOf(request), request.params.vaultId, request.body);
      return reply.status(204).send();
    },
  );

  app.post(
    `${base}/link-test`,
    { config: agentAccess, schema: schema.linkTestSchema, onRequest: authenticate, bodyLimit: 64 * 1024 * 1024 },
    async (request) => {
      const receivedBytes = bodyBytes(request).byteLength;
      releaseBody(request);
      return { receivedBytes };
    },
  );
}
