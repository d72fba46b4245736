import { describe, expect, it } from 'vitest';
import { cleanSvg, makeJpeg, makePng } from '../../test/tenancy/images.ts';
import { checkLogo, MAX_LOGO_BYTES } from './logo.ts';
import { svgProblem } from './svg.ts';

const svg = (body: string, attributes = '') =>
  `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"${attributes}>${body}</svg>`;

describe('logo type and size checks', () => {
  it('accepts real PNG, JPEG and clean SVG files with matching types', () => {
    expect(checkLogo('image/png', makePng(64, 32))).toBe('image/png');
    expect(checkLogo('image/jpeg', makeJpeg(640, 480))).toBe('image/jpeg');
    expect(checkLogo('image/svg+xml; charset=utf-8', Buffer.from(cleanSvg))).toBe('image/svg+xml');
  });

  it('refuses other types and bytes that do not match the declared type', () => {
    const png = makePng(8, 8);
    expect(() => checkLogo('image/gif', png)).toThrow(expect.objectContaining({ code: 'unsupported_media_type' }));
    expect(() => checkLogo('', png)).toThrow(/not untyped/);
    expect(() => checkLogo('image/jpeg', png)).toThrow(/not a valid JPEG/);
    expect(() => checkLogo('image/png', makeJpeg(8, 8))).toThrow(/not a valid PNG/);
    expect(() => checkLogo('image/svg+xml', png)).toThrow(/UTF-8|well-formed/);
    expect(() => checkLogo('image/png', Buffer.from(cleanSvg))).toThrow(/PNG/);
    expect(() => checkLogo('image/png', Buffer.alloc(0))).toThrow(/empty/);
  });

  it('refuses files over the size limit and images with huge dimensions', () => {
    const big = Buffer.concat([makePng(8, 8), Buffer.alloc(MAX_LOGO_BYTES)]);
    expect(() => checkLogo('image/png', big)).toThrow(expect.objectContaining({ code: 'payload_too_large' }));
    expect(() => checkLogo('image/png', makePng(5000, 1))).toThrow(/5000×1 pixels/);
    expect(() => checkLogo('image/jpeg', makeJpeg(100, 9000))).toThrow(/100×9000 pixels/);
  });
});

describe('SVG safety check', () => {
  it('accepts a clean logo with gradients, styles, internal references and embedded rasters', () => {
    expect(svgProblem(cleanSvg)).toBeNull();
    expect(svgProblem(svg('<image href="data:image/png;base64,iVBORw0KGgo=" width="4" height="4"/>'))).toBeNull();
  });

  it.each([
    ['a script element', svg('<script>alert(1)</script>'), /<script> is not allowed/],
    ['an event handler', svg('<rect width="1" height="1"/>', ' onload="alert(1)"'), /event handler attribute onload/],
    ['an event handler on a child', svg('<circle r="4" onmouseover="steal()"/>'), /onmouseover/],
    [
      'foreignObject',
      svg('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>'),
      /foreignObject/,
    ],
    [
      'an HTML script in another namespace',
      svg('<h:script xmlns:h="http://www.w3.org/1999/xhtml">x()</h:script>'),
      /outside the SVG namespace/,
    ],
    ['an external image', svg('<image href="https://tracker.example/p.png"/>'), /external reference/],
    ['an external xlink:href', svg('<use xlink:href="other.svg#icon"/>'), /external reference/],
    ['a javascript link', svg('<a href="javascript:alert(1)"><text>x</text></a>'), /<a> is not allowed|script URL/],
    [
      'an animation rewriting href',
      svg('<animate attributeName="href" to="javascript:alert(1)"/>'),
      /animate|script URL/,
    ],
    ['a set element', svg('<set attributeName="onload" to="alert(1)"/>'), /<set> is not allowed/],
    ['CSS @import', svg('<style>@import url(https://evil.example/x.css);</style>'), /@import/],
    ['CSS external url', svg('<rect style="fill: url(https://evil.example/x)"/>'), /external reference url/],
    [
      'CSS url in CDATA',
      svg('<style><![CDATA[ rect { fill: url("http://x/y") } ]]></style>'),
      /external reference url/,
    ],
    ['a DOCTYPE with entities', `<!DOCTYPE svg [<!ENTITY x "y">]>${svg('<text>&x;</text>')}`, /DOCTYPE|well-formed/],
    ['an external entity', `<!DOCTYPE svg SYSTEM "file:///etc/passwd">${svg('')}`, /DOCTYPE/],
    [
      'a processing instruction',
      `<?xml-stylesheet href="https://evil.example/x.css"?>${svg('')}`,
      /processing instruction/,
    ],
    ['a non-SVG root', '<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>', /root element/],
    ['a root without the SVG namespace', '<svg><rect/></svg>', /root element/],
    ['malformed XML', '<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>', /well-formed/],
    ['a hex-escaped url() in CSS', svg('<style>rect { fill: \\75 rl(x.png) }</style>'), /external reference url/],
    [
      'image-set() in CSS',
      svg('<style>rect { background: image-set("https://evil.example/a.png" 1x) }</style>'),
      /external reference/,
    ],
    ['escaped javascript in CSS', svg('<rect style="background: u\\rl(http://x)"/>'), /external reference/],
  ])('refuses %s', (_label, text, message) => {
    expect(svgProblem(text)).toMatch(message);
  });
});
