import type { FastifyInstance } from 'fastify';
import { registerAgentRoutes } from './agent-routes.ts';
import { registerOctetStreamParser } from './body-pool.ts';
import type { HealthState } from './health.ts';
import { cancelJob, getJob, listDataSourceJobs, requestBackup } from './jobs.ts';
import { getConsumption, getVaultDetail, listDataSourceSnapshots } from './reads.ts';
import { getRecoveryKey, listRecoveryEnvelopes, setRecoveryKey } from './recovery.ts';
import { getRestoreGroup, requestRestore, restoreUnit } from './restore-jobs.ts';
import { requestPrune } from './retention.ts';
import type { ProtectionRuntime } from './runtime.ts';
import * as schema from './schema.ts';
import { type ProtectionOptions, type ProtectionServer, runtimeFor } from './server-deps.ts';
import {
  type CreateDataSourceInput,
  createDataSource,
  createS3Zone,
  createSharedVault,
  getDataSource,
  getDataSourcePolicy,
  issueEnrolmentToken,
  listUnitDataSources,
  listUnitVaults,
  listZones,
  retireDataSource,
  updateDataSourceDetails,
} from './sources.ts';
import type { JobStatus } from './tables.ts';
import type { S3ZoneSettings } from './zones.ts';

type IdParams = { Params: { id: string } };

function privilege(name: string) {
  return { access: 'privilege' as const, privilege: name };
}

/**
 * Registers the data path's API: user routes (zones, vaults, data sources, enrolment
 * tokens, backups, jobs, snapshots, restores, consumption, recovery keys) and the agent
 * protocol. The octet-stream parser serves uploads; its limit is the largest pack.
 */
export function registerProtectionRoutes(
  app: FastifyInstance,
  server: ProtectionServer,
  options: ProtectionOptions = {},
): ProtectionRuntime {
  const rt = runtimeFor(server, options);
  if (!app.hasContentTypeParser('application/octet-stream')) {
    registerOctetStreamParser(app, rt.limits.maxPackBytes + 1024 * 1024);
  }
  registerAgentRoutes(app, rt);
  const units = '/api/v1/business-units/:id';

  // Any signed-in principal may read it: agents are handed this address anyway.
  app.get(
    '/api/v1/server/public-address',
    { config: { access: 'authenticated' as const }, schema: schema.publicAddressSchema },
    async () => ({ publicUrl: rt.publicUrl }),
  );

  app.get<IdParams>(
    `${units}/zones`,
    { config: privilege('datasource.read'), schema: schema.listZonesSchema },
    async (request) => ({
      items: await listZones(request.ctx, rt, request.params.id),
    }),
  );

  app.post<IdParams & { Body: { name: string; s3: S3ZoneSettings & { secretAccessKey: string } } }>(
    `${units}/zones`,
    { config: privilege('settings.update'), schema: schema.createZoneSchema },
    async (request, reply) =>
      reply.status(201).send(await createS3Zone(request.ctx, rt, request.params.id, request.body)),
  );

  app.get<IdParams>(
    `${units}/vaults`,
    { config: privilege('datasource.read'), schema: schema.listVaultsSchema },
    async (request) => ({
      items: await listUnitVaults(request.ctx, request.params.id),
    }),
  );

  app.post<IdParams & { Body: { name: string; zoneId?: string } }>(
    `${units}/vaults`,
    { config: privilege('datasource.create'), schema: schema.createVaultSchema },
    async (request, reply) =>
      reply.status(201).send(await createSharedVault(request.ctx, rt, request.params.id, request.body)),
  );

  app.get<IdParams>(
    '/api/v1/vaults/:id',
    { config: privilege('datasource.read'), schema: schema.getVaultSchema },
    async (request) => getVaultDetail(request.ctx, request.params.id),
  );

  app.post<IdParams>(
    '/api/v1/vaults/:id/prune',
    { config: privilege('datasource.update'), schema: schema.pruneVaultSchema },
    async (request, reply) => reply.status(202).send(await requestPrune(request.ctx, rt, request.params.id)),
  );

  app.get<
    IdParams & {
      Querystring: {
        limit?: number;
        cursor?: string;
        subtree?: boolean;
        includeRetired?: boolean;
        health?: HealthState;
      };
    }
  >(
    `${units}/data-sources`,
    { config: privilege('datasource.read'), schema: schema.listDataSourcesSchema },
    async (request) => listUnitDataSources(request.ctx, request.params.id, request.query),
  );

  app.post<{ Body: CreateDataSourceInput }>(
    '/api/v1/data-sources',
    { config: privilege('datasource.create'), schema: schema.createDataSourceSchema },
    async (request, reply) => reply.status(201).send(await createDataSource(request.ctx, rt, request.body)),
  );

  const sources = '/api/v1/data-sources/:id';

  app.get<IdParams>(
    sources,
    { config: privilege('datasource.read'), schema: schema.getDataSourceSchema },
    async (request) => getDataSource(request.ctx, request.params.id),
  );

  app.patch<IdParams & { Body: { name?: string; policy?: Record<string, unknown> | null } }>(
    sources,
    { config: privilege('datasource.update'), schema: schema.updateDataSourceSchema },
    async (request) => updateDataSourceDetails(request.ctx, request.params.id, request.body),
  );

  app.delete<IdParams>(
    sources,
    { config: privilege('datasource.delete'), schema: schema.deleteDataSourceSchema },
    async (request, reply) => {
      await retireDataSource(request.ctx, request.params.id);
      return reply.status(204).send();
    },
  );

  app.get<IdParams>(
    `${sources}/policy`,
    { config: privilege('datasource.read'), schema: schema.policySchema },
    async (request) => getDataSourcePolicy(request.ctx, request.params.id),
  );

  app.post<IdParams & { Body: { ttlMinutes?: number; serverUrl?: string } }>(
    `${sources}/enrolment-tokens`,
    { config: privilege('datasource.update'), schema: schema.enrolmentTokenSchema },
    async (request, reply) =>
      reply.status(201).send(await issueEnrolmentToken(request.ctx, rt, request.params.id, request.body)),
  );

  app.post<IdParams & { Body: { full?: boolean } }>(
    `${sources}/backups`,
    { config: privilege('backup.run'), schema: schema.requestBackupSchema },
    async (request, reply) =>
      reply.status(202).send(await requestBackup(request.ctx, request.params.id, request.body ?? {})),
  );

  app.get<
    IdParams & { Querystring: { limit?: number; cursor?: string; status?: JobStatus; kind?: 'backup' | 'restore' } }
  >(`${sources}/jobs`, { config: privilege('datasource.read'), schema: schema.listJobsSchema }, async (request) =>
    listDataSourceJobs(request.ctx, rt, request.params.id, request.query),
  );

  app.get<IdParams & { Querystring: { limit?: number; cursor?: string } }>(
    `${sources}/snapshots`,
    { config: privilege('datasource.read'), schema: schema.listSnapshotsSchema },
    async (request) => listDataSourceSnapshots(request.ctx, request.params.id, request.query),
  );

  app.get<IdParams & { Querystring: { from?: string; to?: string } }>(
    `${sources}/consumption`,
    { config: privilege('datasource.read'), schema: schema.consumptionSchema },
    async (request) => getConsumption(request.ctx, request.params.id, request.query),
  );

  app.post<
    IdParams & { Body: { snapshot?: string; paths?: string[]; target?: string | null; targetDataSourceId?: string } }
  >(`${sources}/restores`, { config: privilege('restore.run'), schema: schema.restoreSchema }, async (request, reply) =>
    reply.status(202).send(await requestRestore(request.ctx, request.params.id, request.body ?? {})),
  );

  app.post<IdParams & { Body: { target?: string | null } }>(
    `${units}/restores`,
    { config: privilege('restore.run'), schema: schema.restoreUnitSchema },
    async (request, reply) =>
      reply.status(202).send(await restoreUnit(request.ctx, request.params.id, request.body ?? {})),
  );

  app.get<IdParams>(
    '/api/v1/restore-groups/:id',
    { config: privilege('restore.run'), schema: schema.restoreGroupSchema },
    async (request) => getRestoreGroup(request.ctx, request.params.id),
  );

  app.get<IdParams>(
    '/api/v1/jobs/:id',
    { config: privilege('datasource.read'), schema: schema.getJobSchema },
    async (request) => getJob(request.ctx, request.params.id),
  );

  app.post<IdParams>(
    '/api/v1/jobs/:id/cancel',
    { config: privilege('backup.run'), schema: schema.cancelJobSchema },
    async (request) => cancelJob(request.ctx, request.params.id),
  );

  app.get<IdParams>(
    `${units}/recovery-key`,
    { config: privilege('restore.run'), schema: schema.getRecoveryKeySchema },
    async (request) => getRecoveryKey(request.ctx, request.params.id),
  );

  app.put<
    IdParams & {
      Body: {
        keyId?: string;
        publicKey: string;
        sealedPrivateKey: Record<string, unknown>;
        rewrapped?: { vaultId: string; envelope: Record<string, unknown> }[];
      };
    }
  >(
    `${units}/recovery-key`,
    { config: privilege('settings.update'), schema: schema.setRecoveryKeySchema },
    async (request) => setRecoveryKey(request.ctx, request.params.id, request.body),
  );

  app.get<IdParams>(
    `${units}/recovery-envelopes`,
    { config: privilege('restore.run'), schema: schema.recoveryEnvelopesSchema },
    async (request) => listRecoveryEnvelopes(request.ctx, request.params.id),
  );
  return rt;
}
