import { UnsupportedUploadError, UploadTooLargeError } from './errors.ts';
import { svgProblem } from './svg.ts';

/** Largest logo accepted, in bytes. */
export const MAX_LOGO_BYTES = 512 * 1024;
/** Largest logo accepted, in pixels per side (a small file can still decode to a huge bitmap). */
export const MAX_LOGO_PIXELS = 4096;

export const logoContentTypes = ['image/png', 'image/jpeg', 'image/svg+xml'] as const;
export type LogoContentType = (typeof logoContentTypes)[number];

const pngSignature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

function pngDimensions(bytes: Uint8Array): { width: number; height: number } | null {
  // Signature, then the IHDR chunk: length (4), "IHDR" (4), width (4), height (4).
  if (bytes.length < 24 || !startsWith(bytes, pngSignature)) return null;
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

function jpegDimensions(bytes: Uint8Array): { width: number; height: number } | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes[2] !== 0xff) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 2;
  // Walk the marker segments to the first start-of-frame, which holds the size.
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) return null;
    const marker = bytes[offset + 1] ?? 0;
    if (marker === 0xff) {
      offset++;
      continue;
    }
    const length = view.getUint16(offset + 2);
    const startOfFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (startOfFrame) return { height: view.getUint16(offset + 5), width: view.getUint16(offset + 7) };
    if (length < 2) return null;
    offset += 2 + length;
  }
  return null;
}

function checkSize(kind: string, size: { width: number; height: number } | null): void {
  if (!size) throw new UnsupportedUploadError(`the file is not a valid ${kind} image`);
  if (size.width === 0 || size.height === 0 || size.width > MAX_LOGO_PIXELS || size.height > MAX_LOGO_PIXELS) {
    throw new UnsupportedUploadError(
      `the ${kind} image is ${size.width}×${size.height} pixels; at most ${MAX_LOGO_PIXELS}×${MAX_LOGO_PIXELS} is allowed`,
    );
  }
}

/**
 * Accepts a logo only if its declared type is PNG, JPEG or SVG, its bytes are really of that
 * type (magic bytes; for SVG, see `svgProblem`), it is at most {@link MAX_LOGO_BYTES} and at
 * most {@link MAX_LOGO_PIXELS} pixels per side. Returns the content type to store; throws
 * UploadTooLargeError or UnsupportedUploadError saying what is wrong.
 */
export function checkLogo(declaredType: string, bytes: Uint8Array): LogoContentType {
  const type = declaredType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (!(logoContentTypes as readonly string[]).includes(type)) {
    throw new UnsupportedUploadError(`logo must be one of ${logoContentTypes.join(', ')}, not ${type || 'untyped'}`);
  }
  if (bytes.length === 0) throw new UnsupportedUploadError('the logo file is empty');
  if (bytes.length > MAX_LOGO_BYTES) {
    throw new UploadTooLargeError(`the logo is ${bytes.length} bytes; at most ${MAX_LOGO_BYTES} bytes are allowed`, {
      limit: MAX_LOGO_BYTES,
    });
  }
  switch (type as LogoContentType) {
    case 'image/png':
      checkSize('PNG', pngDimensions(bytes));
      return 'image/png';
    case 'image/jpeg':
      checkSize('JPEG', jpegDimensions(bytes));
      return 'image/jpeg';
    case 'image/svg+xml': {
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        throw new UnsupportedUploadError('the SVG file is not valid UTF-8');
      }
      const problem = svgProblem(text.replace(/^\uFEFF/, ''));
      if (problem) throw new UnsupportedUploadError(`the SVG logo was refused: ${problem}`);
      return 'image/svg+xml';
    }
  }
}
