import { SaxesParser } from 'saxes';

const svgNamespace = 'http://www.w3.org/2000/svg';
const xlinkNamespace = 'http://www.w3.org/1999/xlink';

/**
 * Elements a logo may use: shapes, text, paint servers, clipping, masks, filters. Absent on
 * purpose: script, foreignObject (embeds HTML), animate/set (can rewrite href to a script
 * URL), a, iframe, and anything outside the SVG namespace.
 */
const allowedElements = new Set([
  'svg',
  'g',
  'defs',
  'title',
  'desc',
  'symbol',
  'use',
  'style',
  'switch',
  'path',
  'rect',
  'circle',
  'ellipse',
  'line',
  'polyline',
  'polygon',
  'text',
  'tspan',
  'textPath',
  'linearGradient',
  'radialGradient',
  'stop',
  'pattern',
  'clipPath',
  'mask',
  'marker',
  'image',
  'filter',
  'feBlend',
  'feColorMatrix',
  'feComponentTransfer',
  'feComposite',
  'feConvolveMatrix',
  'feDiffuseLighting',
  'feDisplacementMap',
  'feDistantLight',
  'feDropShadow',
  'feFlood',
  'feFuncA',
  'feFuncB',
  'feFuncG',
  'feFuncR',
  'feGaussianBlur',
  'feImage',
  'feMerge',
  'feMergeNode',
  'feMorphology',
  'feOffset',
  'fePointLight',
  'feSpecularLighting',
  'feSpotLight',
  'feTile',
  'feTurbulence',
]);

// Embedded raster images are common in exported logos and cannot run code.
const embeddedImage = /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*$/;

/** CSS that could fetch something or run code: external url(), @import, legacy expression(). */
function cssProblem(css: string, isStylesheet: boolean): string | null {
  // Undo CSS escapes (`\75 rl(` is `url(`) before looking for anything.
  const text = css
    .replace(/\\([0-9a-fA-F]{1,6})\s?/g, (_m, hex: string) =>
      String.fromCodePoint(Math.min(Number.parseInt(hex, 16), 0x10ffff)),
    )
    .replace(/\\(.)/gs, '$1');
  if (/@import/i.test(text)) return 'CSS @import is not allowed';
  if (/expression\s*\(/i.test(text)) return 'CSS expression() is not allowed';
  if (/javascript:/i.test(text)) return 'javascript: URLs are not allowed';
  for (const match of text.matchAll(/url\s*\(\s*(['"]?)([^'")]*)\1\s*\)/gi)) {
    const target = (match[2] ?? '').trim();
    if (!target.startsWith('#') && !embeddedImage.test(target))
      return `external reference url(${target}) is not allowed`;
  }
  // In CSS any absolute or protocol-relative URL (image-set(), src(), ...) is a fetch.
  if (isStylesheet && text.includes('//')) return 'external reference in CSS is not allowed';
  return null;
}

/**
 * Checks that an SVG logo can do nothing but draw itself: well-formed XML, an `<svg>` root,
 * only allow-listed SVG elements, no DOCTYPE (entity expansion), no processing instructions,
 * no event-handler attributes, no references outside the document (links must be `#id` or
 * an embedded raster image), no script URLs or external CSS. Returns the first problem
 * found, or null if the file is safe. Refusing is deliberate: rewriting untrusted SVG
 * safely is harder than asking for a clean export.
 */
export function svgProblem(text: string): string | null {
  const parser = new SaxesParser({ xmlns: true, position: false });
  let problem: string | null = null;
  let depth = 0;
  let inStyle = false;
  const fail = (message: string) => {
    problem ??= message;
  };

  parser.on('doctype', () => fail('DOCTYPE declarations are not allowed'));
  parser.on('processinginstruction', (pi) => fail(`processing instruction <?${pi.target}?> is not allowed`));
  parser.on('opentag', (tag) => {
    if (depth === 0 && (tag.local !== 'svg' || tag.uri !== svgNamespace))
      fail('the root element must be <svg> in the SVG namespace');
    depth++;
    if (tag.uri !== svgNamespace) {
      fail(`element <${tag.name}> outside the SVG namespace is not allowed (export as plain SVG)`);
      return;
    }
    if (!allowedElements.has(tag.local)) fail(`element <${tag.local}> is not allowed`);
    if (tag.local === 'style') inStyle = true;
    for (const attribute of Object.values(tag.attributes)) {
      const local = attribute.local.toLowerCase();
      const value = attribute.value.trim();
      if (local.startsWith('on')) fail(`event handler attribute ${attribute.name} is not allowed`);
      if (local === 'href' && (attribute.uri === '' || attribute.uri === xlinkNamespace)) {
        if (!value.startsWith('#') && !embeddedImage.test(value))
          fail(`external reference ${attribute.name}="${value}" is not allowed`);
      }
      if (/^\s*(javascript|vbscript):/i.test(value)) fail(`script URL in ${attribute.name} is not allowed`);
      if (attribute.prefix === 'xmlns' || attribute.name === 'xmlns') continue;
      const css = cssProblem(value, local === 'style');
      if (css) fail(`${css} (in ${attribute.name})`);
    }
  });
  parser.on('closetag', (tag) => {
    depth--;
    if (tag.local === 'style') inStyle = false;
  });
  const checkText = (text: string) => {
    if (inStyle) {
      const css = cssProblem(text, true);
      if (css) fail(css);
    }
  };
  parser.on('text', checkText);
  parser.on('cdata', checkText);

  try {
    parser.write(text).close();
  } catch (error) {
    return `not well-formed XML: ${(error as Error).message.split('\n')[0]}`;
  }
  return problem;
}
