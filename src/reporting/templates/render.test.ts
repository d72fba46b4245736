import { describe, expect, it } from 'vitest';
import { defaultReportContent, parseReportContent } from '../content.ts';
import { defaultErrorDefinition, fullScope } from '../error-definition.ts';
import type { ReportBrand } from '../ports.ts';
import type { ServerReportBody, UnitReportBody } from '../report-model.ts';
import { renderAlert, renderServerReport, renderUnitReport } from './render.ts';
import { defaultEmailTemplate } from './snippets.ts';

const at = Date.UTC(2026, 2, 2, 5);
const brand: ReportBrand = {
  displayName: 'Reseller',
  primaryColor: 'red;background:url(https://evil.test/x)',
  accentColor: '#00aa00',
  senderName: 'Reseller',
  senderAddress: 'r@reseller.test',
  logo: null,
};
const body: UnitReportBody = {
  version: 1,
  kind: 'bu',
  unit: { id: 'u1', name: 'Acme', code: null },
  date: '2026-03-02',
  timeZone: 'Europe/Berlin',
  generatedAt: at,
  units: [
    { id: 'u1', name: 'Acme', pathIds: ['u1'], pathNames: ['Acme'] },
    { id: 'u2', name: 'Lab', pathIds: ['u1', 'u2'], pathNames: ['Acme', 'Lab'] },
  ],
  dataSources: [
    {
      id: 'd1',
      name: '<img src=x onerror=alert(1)>',
      buId: 'u1',
      lastOutcome: 'warning',
      lastRunAt: at - 3_600_000,
      lastGoodAt: at - 3_600_000,
      protectedBytes: 2_500_000_000,
      storedBytes: 900_000_000,
      warnings: ['"C:\\x" was locked'],
      failureReason: null,
      agentLastSeenAt: at,
    },
    {
      id: 'd2',
      name: 'lab-server',
      buId: 'u2',
      lastOutcome: 'success',
      lastRunAt: at - 3_600_000,
      lastGoodAt: at - 3_600_000,
      protectedBytes: 1,
      storedBytes: 1,
      warnings: [],
      failureReason: null,
      agentLastSeenAt: at,
    },
  ],
  consumption: null,
  quotas: [],
};
const recipient = { email: 'ops@acme.test', name: 'Ops' };

describe('rendering', () => {
  it('escapes every value in HTML and refuses colours that are not colours', async () => {
    const mail = await renderUnitReport({
      body,
      brand,
      content: defaultReportContent,
      definition: { ...defaultErrorDefinition, warningsAreErrors: true },
      scope: fullScope,
      template: defaultEmailTemplate,
      recipient,
      unitPath: 'Acme',
    });
    expect(mail.html).not.toContain('<img src=x');
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(mail.html).not.toContain('evil.test');
    expect(mail.html).toContain('#1f4e79');
    expect(mail.text).toContain('<img src=x onerror=alert(1)>: Warning');
    expect(mail.problems).toEqual([expect.objectContaining({ kind: 'warning' })]);
    expect(mail.subject).toBe('Reseller: status report for Acme, 2026-03-02 – 1 problem');
  });

  it('leaves out excluded units and follows the content settings', async () => {
    const mail = await renderUnitReport({
      body,
      brand,
      content: parseReportContent({ sections: { consumption: false, quotas: false }, groupByUnit: false }),
      definition: defaultErrorDefinition,
      scope: { excludedUnitIds: new Set(['u2']) },
      template: defaultEmailTemplate,
      recipient,
      unitPath: 'Acme',
    });
    expect(mail.text).not.toContain('lab-server');
    expect(mail.text).not.toContain('CONSUMPTION');
    expect(mail.text).not.toContain('QUOTAS');
    expect(mail.text).toContain('Data sources: 1 |');
    expect(mail.problems).toEqual([]);
  });

  it('renders alerts and recovery notices', async () => {
    const mail = await renderAlert({
      brand,
      recipient,
      timeZone: 'UTC',
      title: 'Backup failed: <db>',
      headline: 'Backup failed: <db>',
      recovery: false,
      facts: [{ label: 'Reason', value: 'disk <full>' }],
    });
    expect(mail.subject).toBe('Reseller: Backup failed: <db>');
    expect(mail.html).toContain('disk &lt;full&gt;');
    expect(mail.text).toContain('Reason: disk <full>');
  });

  it('shows each storage zone in the server report, and a nearly full one as a problem', async () => {
    const gb = 1e9;
    const server: ServerReportBody = {
      version: 1,
      kind: 'server',
      unit: { id: 'root', name: 'MSP', code: null },
      date: '2026-03-02',
      timeZone: 'UTC',
      generatedAt: at,
      jobs: { counts: { done: 3 }, dead: [] },
      storageProblems: [],
      zones: [
        { zone: 'default', kind: 'filesystem', storedBytes: 95 * gb, capacityBytes: 100 * gb, freeBytes: 4 * gb },
        { zone: 'eu-s3', kind: 's3', storedBytes: 2 * gb, capacityBytes: null, freeBytes: null },
        { zone: 'spare', kind: 'filesystem', storedBytes: 0, capacityBytes: 100 * gb, freeBytes: 60 * gb },
      ],
      unassignedDataSources: [],
      quotas: [],
      licence: null,
      undeliverableMail: 0,
    };
    const mail = await renderServerReport({
      body: server,
      brand,
      definition: defaultErrorDefinition,
      template: defaultEmailTemplate,
      recipient,
    });
    expect(mail.problems).toEqual([
      { kind: 'zone_capacity', subject: 'default', where: '', detail: '96% used, 4.00 GB free' },
    ]);
    expect(mail.text).toContain('Storage zone nearly full: default');
    expect(mail.text).toMatch(/- default \(filesystem\): 95\.0 GB stored; 4\.00 GB free of 100 GB \(96% used\)/);
    expect(mail.text).toContain('- eu-s3 (s3): 2.00 GB stored; capacity not reported by this kind of store');
    expect(mail.html).toContain('#c62828;">4.00 GB free of 100 GB (96% used)');
  });
});
