import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Liquid } from 'liquidjs';

/**
 * Two LiquidJS engines over the built-in templates in this folder: `html` escapes every
 * output (a data source called `<script>` stays text), `text` does not (plain-text mail has
 * nothing to escape). Variables must exist (`strictVariables`), filters must be known and
 * only own properties are readable, so a typo in a template fails loudly in tests instead
 * of mailing an empty field. See docs/decisions/0008-email-templates.md.
 */
export interface TemplateEngines {
  readonly html: Liquid;
  readonly text: Liquid;
}

const root = dirname(fileURLToPath(import.meta.url));

export function createTemplateEngines(): TemplateEngines {
  const common = {
    root,
    extname: '.liquid',
    cache: true,
    strictVariables: true,
    strictFilters: true,
    ownPropertyOnly: true,
    greedy: false,
  } as const;
  return Object.freeze({
    html: new Liquid({ ...common, outputEscape: 'escape' }),
    text: new Liquid({ ...common }),
  });
}
