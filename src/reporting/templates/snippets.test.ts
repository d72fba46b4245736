import { describe, expect, it } from 'vitest';
import { parseEmailTemplateSettings, renderSnippet, type SnippetScope } from './snippets.ts';

const scope: SnippetScope = {
  unit: { name: 'Acme <Ltd>', code: 'ACME', path: 'Reseller / Acme <Ltd>' },
  brand: { name: 'Reseller' },
  report: {
    date: '2026-03-02',
    kind: 'bu',
    dataSources: 4,
    problems: 2,
    failed: 1,
    warnings: 1,
    missed: 0,
    success: 2,
  },
  recipient: { email: 'ops@acme.test', name: 'Ops' },
};

describe('e-mail template snippets', () => {
  it('renders known fields, escaping everything for HTML', () => {
    const settings = parseEmailTemplateSettings({
      subject:
        '{{ brand.name }}: {{ unit.name }} {% if report.problems > 0 %}({{ report.problems }} problems){% endif %}',
      intro: 'Hello {{ recipient.name }}, <b>see</b> below.',
    });
    expect(renderSnippet(settings.subject!, scope, 'text')).toBe('Reseller: Acme <Ltd> (2 problems)');
    expect(renderSnippet(settings.intro!, scope, 'html')).toBe('Hello Ops, &lt;b&gt;see&lt;/b&gt; below.');
  });

  it.each([
    [{ subject: '{{ unit.nmae }}' }, /template field 'unit.nmae' does not exist/],
    [{ intro: '{{ secrets }}' }, /template field 'secrets' does not exist/],
    [{ intro: '{{ unit.name | raw }}' }, /filter 'raw' is not allowed/],
    [{ footer: '{% include "unit-report.html.liquid" %}' }, /tag 'include' is not allowed/],
    [{ intro: '{% for x in report %}{% endfor %}' }, /tag 'for' is not allowed/],
    [{ subject: 'line\nbreak' }, /one line/],
    [{ subject: '{{ unit.name ' }, /not a valid template/],
    [{ body: 'x' }, /not a known field/],
    [{ subject: 'x'.repeat(301) }, /at most 300/],
  ])('refuses %j', (input, reason) => {
    expect(() => parseEmailTemplateSettings(input)).toThrow(reason);
  });
});
