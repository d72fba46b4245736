import { describe, expect, it } from 'vitest';
import { defaultReportContent, parseReportContent } from '../content.ts';
import { defaultErrorDefinition, fullScope } from '../error-definition.ts';
import type { ReportBrand } from '../ports.ts';
import type { UnitReportBody } from '../report-model.ts';
import { renderAlert, renderUnitReport } from './render.ts';
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
});
