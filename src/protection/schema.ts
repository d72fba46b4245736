// JSON Schemas of protection's requests and responses: validation at the edge and the
// OpenAPI document. Bodies are closed (`additionalProperties: false`).

const tags = ['data protection'];
const agentTags = ['agent protocol'];

const id = { type: 'string', minLength: 1, maxLength: 64 } as const;
const nullableString = { type: ['string', 'null'] } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;
const hex64 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;

const problem = {
  type: 'object',
  description: 'RFC 9457 problem details.',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
  },
  required: ['type', 'title', 'status', 'detail'],
  additionalProperties: true,
} as const;

const errors = { 400: problem, 401: problem, 403: problem, 404: problem } as const;
const changeErrors = { ...errors, 409: problem } as const;
const agentErrors = { 400: problem, 401: problem, 403: problem, 404: problem, 409: problem, 410: problem } as const;

const idParams = { type: 'object', properties: { id }, required: ['id'], additionalProperties: false } as const;
const freeObject = { type: 'object', additionalProperties: true } as const;

const zone = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    buId: nullableString,
    name: { type: 'string' },
    kind: { type: 'string', enum: ['filesystem', 's3'] },
    settings: freeObject,
    createdAt: dateTime,
  },
  required: ['id', 'buId', 'name', 'kind', 'settings', 'createdAt'],
} as const;

const vault = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    buId: { type: 'string' },
    zoneId: { type: 'string' },
    name: { type: 'string' },
    shared: { type: 'boolean' },
    initialised: { type: 'boolean' },
    repositoryId: nullableString,
    recoveryKeyId: nullableString,
    createdAt: dateTime,
  },
  required: ['id', 'buId', 'zoneId', 'name', 'shared', 'initialised', 'repositoryId', 'recoveryKeyId', 'createdAt'],
} as const;

const vaultDetail = {
  type: 'object',
  properties: {
    ...vault.properties,
    storedBytes: { type: 'integer' },
    packs: { type: 'integer' },
    snapshots: { type: 'integer' },
    dataSources: { type: 'array', items: { type: 'string' } },
  },
  required: [...vault.required, 'storedBytes', 'packs', 'snapshots', 'dataSources'],
} as const;

const dataSource = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    buId: { type: 'string' },
    vaultId: { type: 'string' },
    name: { type: 'string' },
    hostname: { type: 'string' },
    os: nullableString,
    status: { type: 'string', enum: ['pending', 'active', 'retired'] },
    policyOverride: { type: ['object', 'null'], additionalProperties: true },
    createdAt: dateTime,
    enrolledAt: nullableDateTime,
    lastSeenAt: nullableDateTime,
    agentVersion: nullableString,
  },
  required: [
    'id',
    'buId',
    'vaultId',
    'name',
    'hostname',
    'os',
    'status',
    'policyOverride',
    'createdAt',
    'enrolledAt',
    'lastSeenAt',
    'agentVersion',
  ],
} as const;

const health = {
  type: 'object',
  description:
    "The data source's health (docs/agent.md, Data source health): `running` while one of its jobs runs, otherwise the outcome of its last finished backup (ok, warning, failed, missed, never).",
  properties: {
    state: { type: 'string', enum: ['ok', 'warning', 'failed', 'missed', 'never', 'running'] },
    lastOutcome: { type: 'string', enum: ['success', 'warning', 'failed', 'missed', 'never'] },
    lastFinishedAt: nullableDateTime,
    lastGoodAt: nullableDateTime,
    lastGoodAgeSeconds: { type: ['integer', 'null'], minimum: 0 },
    failedOrMissedSinceGood: { type: 'integer', minimum: 0 },
    running: { type: 'boolean' },
    runningJobId: nullableString,
    agentLastSeenAt: nullableDateTime,
  },
  required: [
    'state',
    'lastOutcome',
    'lastFinishedAt',
    'lastGoodAt',
    'lastGoodAgeSeconds',
    'failedOrMissedSinceGood',
    'running',
    'runningJobId',
    'agentLastSeenAt',
  ],
} as const;

const dataSourceWithHealth = {
  type: 'object',
  properties: { ...dataSource.properties, health },
  required: [...dataSource.required, 'health'],
} as const;

const warning = {
  type: 'object',
  properties: { path: { type: 'string' }, error: { type: 'string' } },
  required: ['path', 'error'],
} as const;

const job = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    dataSourceId: { type: 'string' },
    buId: { type: 'string' },
    vaultId: { type: 'string' },
    kind: { type: 'string', enum: ['backup', 'restore'] },
    trigger: { type: 'string', enum: ['schedule', 'demand', 'restore'] },
    status: { type: 'string', enum: ['queued', 'running', 'success', 'warning', 'failed', 'missed', 'cancelled'] },
    scheduleName: nullableString,
    scheduledFor: nullableDateTime,
    full: { type: 'boolean' },
    restore: { type: ['object', 'null'], additionalProperties: true },
    groupId: nullableString,
    createdAt: dateTime,
    startedAt: nullableDateTime,
    finishedAt: nullableDateTime,
    attempts: { type: 'integer' },
    snapshotId: nullableString,
    error: nullableString,
    warnings: { type: 'array', items: warning },
    progress: { type: ['object', 'null'], additionalProperties: true },
    stats: { type: ['object', 'null'], additionalProperties: true },
    linkRate: { type: ['integer', 'null'], description: 'Upload rate of the link test, bytes per second.' },
  },
  required: [
    'id',
    'dataSourceId',
    'buId',
    'vaultId',
    'kind',
    'trigger',
    'status',
    'scheduleName',
    'scheduledFor',
    'full',
    'restore',
    'groupId',
    'createdAt',
    'startedAt',
    'finishedAt',
    'attempts',
    'snapshotId',
    'error',
    'warnings',
    'progress',
    'stats',
    'linkRate',
  ],
} as const;

const snapshot = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    vaultId: { type: 'string' },
    dataSourceId: nullableString,
    jobId: nullableString,
    time: dateTime,
    blobCount: { type: 'integer' },
    plainBytes: { type: 'integer' },
    storedBytes: { type: 'integer' },
    uniqueBytes: { type: 'integer' },
    committedAt: dateTime,
  },
  required: [
    'id',
    'vaultId',
    'dataSourceId',
    'jobId',
    'time',
    'blobCount',
    'plainBytes',
    'storedBytes',
    'uniqueBytes',
    'committedAt',
  ],
} as const;

const page = (item: object) =>
  ({
    type: 'object',
    properties: { items: { type: 'array', items: item }, nextCursor: nullableString },
    required: ['items', 'nextCursor'],
  }) as const;

const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  cursor: { type: 'string', maxLength: 100 },
} as const;

const policyFields = {
  type: 'object',
  description: 'Fields of the protection policy (see the `protection.policy` setting) this data source overrides.',
  additionalProperties: true,
} as const;

export const listZonesSchema = {
  tags,
  summary: 'Storage zones usable at a unit (its own, its ancestors’ and the installation’s)',
  params: idParams,
  response: {
    200: { type: 'object', properties: { items: { type: 'array', items: zone } }, required: ['items'] },
    ...errors,
  },
} as const;

export const createZoneSchema = {
  tags,
  summary: 'Add an S3-compatible storage zone for a unit’s subtree (the bucket is probed first)',
  params: idParams,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 's3'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 100 },
      s3: {
        type: 'object',
        additionalProperties: false,
        required: ['region', 'bucket', 'accessKeyId', 'secretAccessKey'],
        properties: {
          endpoint: { type: 'string', format: 'uri', maxLength: 500 },
          region: { type: 'string', minLength: 1, maxLength: 64 },
          bucket: { type: 'string', minLength: 3, maxLength: 63 },
          prefix: { type: 'string', maxLength: 200, pattern: '^([A-Za-z0-9._-]+/)*$' },
          forcePathStyle: { type: 'boolean' },
          accessKeyId: { type: 'string', minLength: 1, maxLength: 200 },
          secretAccessKey: { type: 'string', minLength: 1, maxLength: 200, writeOnly: true },
        },
      },
    },
  },
  response: { 201: zone, ...changeErrors },
} as const;

export const listVaultsSchema = {
  tags,
  summary: 'Vaults of a unit',
  params: idParams,
  response: {
    200: { type: 'object', properties: { items: { type: 'array', items: vault } }, required: ['items'] },
    ...errors,
  },
} as const;

export const createVaultSchema = {
  tags,
  summary: 'Create a vault several data sources of the unit can share (deduplication across machines)',
  params: idParams,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, zoneId: id },
  },
  response: { 201: vault, ...changeErrors },
} as const;

export const getVaultSchema = {
  tags,
  summary: 'A vault with its stored size, pack and snapshot counts',
  params: idParams,
  response: { 200: vaultDetail, ...errors },
} as const;

export const pruneVaultSchema = {
  tags,
  summary: 'Apply retention and prune the vault now (keyless; runs as a background job)',
  params: idParams,
  body: { type: 'object', additionalProperties: false, properties: {} },
  response: {
    202: { type: 'object', properties: { jobId: { type: 'string' } }, required: ['jobId'] },
    ...errors,
  },
} as const;

export const createDataSourceSchema = {
  tags,
  summary: 'Create a data source (named by the unit’s inherited naming rule unless a name is given)',
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['buId', 'hostname'],
    properties: {
      buId: id,
      hostname: { type: 'string', minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9._-]+$' },
      os: { type: 'string', minLength: 1, maxLength: 64 },
      name: { type: 'string', minLength: 1, maxLength: 200 },
      vaultId: id,
      zoneId: id,
      policy: policyFields,
    },
  },
  response: { 201: dataSource, ...changeErrors },
} as const;

export const getDataSourceSchema = {
  tags,
  summary: 'A data source with its health',
  params: idParams,
  response: { 200: dataSourceWithHealth, ...errors },
} as const;

export const listDataSourcesSchema = {
  tags,
  summary:
    'Data sources of a unit (with subtree=true, of its whole subtree) with their health; health=… keeps those in that state',
  params: idParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...pageQuery,
      subtree: { type: 'boolean' },
      includeRetired: { type: 'boolean' },
      health: health.properties.state,
    },
  },
  response: { 200: page(dataSourceWithHealth), ...errors },
} as const;

export const updateDataSourceSchema = {
  tags,
  summary: 'Rename a data source or set (null: clear) its policy override',
  params: idParams,
  body: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 200 },
      policy: { anyOf: [policyFields, { type: 'null' }] },
    },
  },
  response: { 200: dataSource, ...changeErrors },
} as const;

export const deleteDataSourceSchema = {
  tags,
  summary: 'Retire a data source: its agent is locked out; its snapshots stay until retention removes them',
  params: idParams,
  response: { 204: { type: 'null' }, ...errors },
} as const;

export const policySchema = {
  tags,
  summary: 'The protection policy in force for a data source',
  params: idParams,
  response: {
    200: {
      type: 'object',
      properties: {
        policy: freeObject,
        sourceBuId: nullableString,
        overridden: { type: 'array', items: { type: 'string' } },
      },
      required: ['policy', 'sourceBuId', 'overridden'],
    },
    ...errors,
  },
} as const;

export const enrolmentTokenSchema = {
  tags,
  summary: 'Issue a one-time enrolment token (carries the server certificate fingerprint)',
  params: idParams,
  body: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ttlMinutes: { type: 'integer', minimum: 1, maximum: 30 * 24 * 60 },
      serverUrl: { type: 'string', format: 'uri', maxLength: 500 },
    },
  },
  response: {
    201: {
      type: 'object',
      properties: {
        token: { type: 'string' },
        expiresAt: dateTime,
        fingerprint: nullableString,
        serverUrl: nullableString,
      },
      required: ['token', 'expiresAt', 'fingerprint', 'serverUrl'],
    },
    ...changeErrors,
  },
} as const;

export const requestBackupSchema = {
  tags,
  summary: 'Run a backup now (the agent starts it as soon as it is connected)',
  params: idParams,
  body: { type: 'object', additionalProperties: false, properties: { full: { type: 'boolean' } } },
  response: { 202: job, ...changeErrors },
} as const;

export const listJobsSchema = {
  tags,
  summary: 'Backup and restore jobs of a data source, newest first',
  params: idParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...pageQuery,
      status: job.properties.status,
      kind: job.properties.kind,
    },
  },
  response: { 200: page(job), ...errors },
} as const;

export const getJobSchema = { tags, summary: 'A job', params: idParams, response: { 200: job, ...errors } } as const;

export const cancelJobSchema = {
  tags,
  summary: 'Cancel a queued or running job',
  params: idParams,
  body: { type: 'object', additionalProperties: false, properties: {} },
  response: { 200: job, ...changeErrors },
} as const;

export const listSnapshotsSchema = {
  tags,
  summary: 'Snapshots of a data source, newest first (by snapshot time, then id), paged by cursor',
  params: idParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { limit: pageQuery.limit, cursor: { type: 'string', maxLength: 300 } },
  },
  response: { 200: page(snapshot), ...errors },
} as const;

const count = { type: 'integer', minimum: 0 } as const;
const day = { type: 'string', format: 'date' } as const;

const consumptionDay = {
  type: 'object',
  description: "One UTC day of a data source's raw consumption (the sum of that day's backups).",
  properties: {
    day,
    protectedBytes: count,
    storedBytes: count,
    bytesAdded: count,
    bytesTransferred: count,
    fileCount: count,
    durationMs: count,
    backups: count,
  },
  required: [
    'day',
    'protectedBytes',
    'storedBytes',
    'bytesAdded',
    'bytesTransferred',
    'fileCount',
    'durationMs',
    'backups',
  ],
  additionalProperties: false,
} as const;

const consumptionSnapshot = {
  type: 'object',
  description: 'The raw consumption one backup recorded with its snapshot.',
  properties: {
    snapshotId: { type: 'string' },
    vaultId: { type: 'string' },
    day,
    protectedBytes: count,
    storedBytesUnique: count,
    bytesAdded: count,
    bytesTransferred: count,
    fileCount: count,
    durationMs: count,
    recordedAt: dateTime,
  },
  required: [
    'snapshotId',
    'vaultId',
    'day',
    'protectedBytes',
    'storedBytesUnique',
    'bytesAdded',
    'bytesTransferred',
    'fileCount',
    'durationMs',
    'recordedAt',
  ],
  additionalProperties: false,
} as const;

export const publicAddressSchema = {
  tags,
  summary: 'The HTTPS address agents reach this server at (COFFER_PUBLIC_URL), or null when it is not configured',
  response: {
    200: {
      type: 'object',
      properties: { publicUrl: { type: ['string', 'null'], format: 'uri' } },
      required: ['publicUrl'],
    },
    401: problem,
  },
} as const;

export const consumptionSchema = {
  tags,
  summary: 'Raw consumption of a data source: per day and per snapshot',
  params: idParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { from: { type: 'string', format: 'date' }, to: { type: 'string', format: 'date' } },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        days: { type: 'array', items: consumptionDay },
        snapshots: { type: 'array', items: consumptionSnapshot },
      },
      required: ['days', 'snapshots'],
    },
    ...errors,
  },
} as const;

const restoreBody = {
  snapshot: { type: 'string', pattern: '^(latest|[0-9a-f]{64})$', default: 'latest' },
  paths: {
    type: 'array',
    maxItems: 100,
    items: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^/' },
    description: 'Folders or files inside the snapshot; empty restores everything.',
  },
  target: {
    type: ['string', 'null'],
    maxLength: 4096,
    pattern: '^/',
    description: 'Directory to restore below (paths are kept under it); null restores to the original location.',
  },
} as const;

export const restoreSchema = {
  tags,
  summary:
    'Restore a snapshot (or files of it) to the original or another path, on this or another machine of the unit',
  params: idParams,
  body: {
    type: 'object',
    additionalProperties: false,
    properties: { ...restoreBody, targetDataSourceId: id },
  },
  response: { 202: job, ...changeErrors },
} as const;

const restoreGroup = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    buId: { type: 'string' },
    createdAt: dateTime,
    status: { type: 'string', enum: ['running', 'success', 'warning', 'failed'] },
    jobs: { type: 'array', items: job },
    skipped: { type: 'array', items: { type: 'object', additionalProperties: true } },
  },
  required: ['id', 'buId', 'createdAt', 'status', 'jobs', 'skipped'],
} as const;

export const restoreUnitSchema = {
  tags,
  summary: 'Restore the latest snapshot of every data source of a unit’s subtree (one job each, tracked together)',
  params: idParams,
  body: { type: 'object', additionalProperties: false, properties: { target: restoreBody.target } },
  response: { 202: restoreGroup, ...changeErrors },
} as const;

export const restoreGroupSchema = {
  tags,
  summary: 'A unit restore and the state of its jobs',
  params: idParams,
  response: { 200: restoreGroup, ...errors },
} as const;

const recoveryKey = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    buId: { type: 'string' },
    publicKey: { type: 'string' },
    sealedPrivateKey: freeObject,
    createdAt: dateTime,
  },
  required: ['id', 'buId', 'publicKey', 'sealedPrivateKey', 'createdAt'],
} as const;

export const getRecoveryKeySchema = {
  tags,
  summary: 'The recovery key in force at a unit (public half, and the passphrase-sealed private half)',
  params: idParams,
  response: { 200: recoveryKey, ...errors },
} as const;

export const setRecoveryKeySchema = {
  tags,
  summary: 'Set or rotate the unit’s recovery key (made and sealed client-side; a rotation re-wraps every vault)',
  params: idParams,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['publicKey', 'sealedPrivateKey'],
    properties: {
      keyId: {
        type: 'string',
        pattern: '^[0-9a-f-]{36}$',
        description: 'Client-chosen ID (envelopes are bound to it).',
      },
      publicKey: { type: 'string', maxLength: 100 },
      sealedPrivateKey: freeObject,
      rewrapped: {
        type: 'array',
        maxItems: 100_000,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['vaultId', 'envelope'],
          properties: { vaultId: id, envelope: freeObject },
        },
      },
    },
  },
  response: { 200: recoveryKey, ...changeErrors },
} as const;

export const recoveryEnvelopesSchema = {
  tags,
  summary: 'Wrapped recovery secrets of the vaults under the unit’s own recovery key',
  params: idParams,
  response: {
    200: {
      type: 'object',
      properties: {
        keyId: nullableString,
        items: {
          type: 'array',
          items: {
            type: 'object',
            properties: { vaultId: { type: 'string' }, envelope: freeObject },
            required: ['vaultId', 'envelope'],
          },
        },
      },
      required: ['keyId', 'items'],
    },
    ...errors,
  },
} as const;

// Agent protocol (docs/PROTOCOL.md).

export const enrolSchema = {
  tags: agentTags,
  summary: 'Exchange a one-time enrolment token for an agent credential',
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['token', 'hostname'],
    properties: {
      token: { type: 'string', minLength: 10, maxLength: 2000 },
      hostname: { type: 'string', minLength: 1, maxLength: 253 },
      os: { type: 'string', maxLength: 64 },
      agentVersion: { type: 'string', maxLength: 64 },
    },
  },
  response: {
    201: {
      type: 'object',
      properties: {
        dataSourceId: { type: 'string' },
        name: { type: 'string' },
        buId: { type: 'string' },
        credential: { type: 'string' },
        vault: {
          type: 'object',
          properties: { id: { type: 'string' }, initialised: { type: 'boolean' }, shared: { type: 'boolean' } },
          required: ['id', 'initialised', 'shared'],
        },
        recoveryKey: {
          type: ['object', 'null'],
          properties: { id: { type: 'string' }, publicKey: { type: 'string' } },
        },
      },
      required: ['dataSourceId', 'name', 'buId', 'credential', 'vault', 'recoveryKey'],
    },
    ...agentErrors,
  },
} as const;

const agentJob = { type: 'object', additionalProperties: true } as const;

export const pollSchema = {
  tags: agentTags,
  summary: 'Long-poll for due jobs (returns at once when one is due, else after `wait` seconds)',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { wait: { type: 'integer', minimum: 0, maximum: 60, default: 30 } },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        jobs: { type: 'array', items: agentJob },
        serverTime: dateTime,
        certificate: { type: ['object', 'null'], additionalProperties: true },
        recoveryKey: { type: ['object', 'null'], additionalProperties: true },
      },
      required: ['jobs', 'serverTime', 'certificate', 'recoveryKey'],
    },
    ...agentErrors,
  },
} as const;

const jobParams = idParams;

export const startJobSchema = {
  tags: agentTags,
  summary: 'Start a queued job',
  params: jobParams,
  body: { type: 'object', additionalProperties: false, properties: {} },
  response: { 200: agentJob, ...agentErrors },
} as const;

export const progressSchema = {
  tags: agentTags,
  summary: 'Report progress of a running job; the answer says whether to stop',
  params: jobParams,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['progress'],
    properties: {
      progress: { type: 'object', additionalProperties: { type: 'number' }, maxProperties: 20 },
      linkRate: { type: 'number', minimum: 0 },
    },
  },
  response: {
    200: { type: 'object', properties: { cancel: { type: 'boolean' } }, required: ['cancel'] },
    ...agentErrors,
  },
} as const;

export const finishSchema = {
  tags: agentTags,
  summary: 'Report a job’s outcome: success, warning (with files) or failed (with the reason)',
  params: jobParams,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['outcome'],
    properties: {
      outcome: { type: 'string', enum: ['success', 'warning', 'failed'] },
      snapshotId: hex64,
      warnings: {
        type: 'array',
        maxItems: 10_000,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['path', 'error'],
          properties: { path: { type: 'string', maxLength: 4096 }, error: { type: 'string', maxLength: 2000 } },
        },
      },
      error: { type: 'string', maxLength: 4000 },
      stats: { type: 'object', additionalProperties: { type: 'number' }, maxProperties: 30 },
      linkRate: { type: 'number', minimum: 0 },
    },
  },
  response: { 200: job, ...agentErrors },
} as const;

export const openSessionSchema = {
  tags: agentTags,
  summary: 'Open an upload (backup) or read (restore) session; its lease protects its packs from GC',
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['vaultId', 'kind'],
    properties: { vaultId: id, kind: { type: 'string', enum: ['backup', 'restore'] }, jobId: id },
  },
  response: {
    201: {
      type: 'object',
      properties: { sessionId: { type: 'string' }, leaseMs: { type: 'integer' }, vaultId: { type: 'string' } },
      required: ['sessionId', 'leaseMs', 'vaultId'],
    },
    ...agentErrors,
  },
} as const;

export const sessionSchema = (summary: string) =>
  ({
    tags: agentTags,
    summary,
    params: idParams,
    response: { 204: { type: 'null' }, ...agentErrors },
  }) as const;

const vaultParams = {
  type: 'object',
  properties: { vaultId: id },
  required: ['vaultId'],
  additionalProperties: false,
} as const;

const objectParams = {
  type: 'object',
  properties: { vaultId: id, '*': { type: 'string', minLength: 1, maxLength: 300 } },
  required: ['vaultId', '*'],
  additionalProperties: false,
} as const;

const sessionHeader = {
  type: 'object',
  properties: { 'x-coffer-session': { type: 'string', maxLength: 64 } },
} as const;

export const listObjectsSchema = {
  tags: agentTags,
  summary: 'List one prefix of the vault layout (keys/, data/, index/, snapshots/, locks/)',
  params: vaultParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    required: ['prefix'],
    properties: { prefix: { type: 'string', enum: ['keys/', 'data/', 'index/', 'snapshots/', 'locks/'] } },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        items: {
          type: 'array',
          items: {
            type: 'object',
            properties: { key: { type: 'string' }, size: { type: 'integer' } },
            required: ['key', 'size'],
          },
        },
      },
      required: ['items'],
    },
    ...agentErrors,
  },
} as const;

export const getObjectSchema = {
  tags: agentTags,
  summary: 'Read a vault object or a byte range of it (Range: bytes=a-b)',
  params: objectParams,
  headers: sessionHeader,
} as const;

export const headObjectSchema = {
  tags: agentTags,
  summary: 'Size of a vault object',
  params: objectParams,
  headers: sessionHeader,
} as const;

export const putObjectSchema = {
  tags: agentTags,
  summary:
    'Upload a vault object: packs are checked (SHA-256 = name, keyless structure) before they count; snapshots/<id> commits a snapshot',
  params: objectParams,
  headers: sessionHeader,
  consumes: ['application/octet-stream'],
  response: {
    201: {
      type: 'object',
      properties: { key: { type: 'string' }, size: { type: 'integer' }, created: { type: 'boolean' } },
      required: ['key', 'size', 'created'],
    },
    ...agentErrors,
    413: problem,
    507: problem,
  },
} as const;

export const deleteObjectSchema = {
  tags: agentTags,
  summary: 'Remove one of the agent’s own locks (nothing else can be deleted by agents)',
  params: objectParams,
  response: { 204: { type: 'null' }, ...agentErrors },
} as const;

export const missingBlobsSchema = {
  tags: agentTags,
  summary: 'Which of these blob IDs the vault lacks (body: concatenated 32-byte IDs)',
  params: vaultParams,
  consumes: ['application/octet-stream'],
  response: {
    200: {
      type: 'object',
      properties: { checked: { type: 'integer' }, missing: { type: 'array', items: hex64 } },
      required: ['checked', 'missing'],
    },
    ...agentErrors,
  },
} as const;

const envelope = freeObject;

export const getVaultRecoverySchema = {
  tags: agentTags,
  summary: 'The vault’s wrapped recovery secret and the unit’s sealed recovery key (for restores elsewhere)',
  params: vaultParams,
  response: {
    200: {
      type: 'object',
      properties: {
        keyId: { type: 'string' },
        envelope,
        publicKey: { type: 'string' },
        sealedPrivateKey: freeObject,
      },
      required: ['keyId', 'envelope', 'publicKey', 'sealedPrivateKey'],
    },
    ...agentErrors,
  },
} as const;

export const putVaultRecoverySchema = {
  tags: agentTags,
  summary: 'Record the vault’s recovery secret wrapped to the unit’s recovery key',
  params: vaultParams,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['keyId', 'envelope'],
    properties: { keyId: id, envelope },
  },
  response: { 204: { type: 'null' }, ...agentErrors },
} as const;

export const linkTestSchema = {
  tags: agentTags,
  summary: 'Link test: the agent uploads a sample (octet-stream) and measures the rate',
  consumes: ['application/octet-stream'],
  response: {
    200: {
      type: 'object',
      properties: { receivedBytes: { type: 'integer' } },
      required: ['receivedBytes'],
    },
    ...agentErrors,
  },
} as const;
