import type { Prng } from './prng.ts';

/**
 * A growable ASCII buffer reused across files, so generating text costs string building
 * and one copy, not a fresh allocation per line or per file.
 */
export class TextBuffer {
  buffer = Buffer.allocUnsafe(1 << 20);
  length = 0;

  push(text: string): void {
    if (this.length + text.length > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + text.length));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.length += this.buffer.write(text, this.length, 'latin1');
  }

  append(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes.length));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  view(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  reset(): void {
    this.length = 0;
  }
}

const SYLLABLES = (
  'get set user data buf len count item node tree map list key value index file path read write open close ' +
  'chunk pack blob hash size time start end next prev parse load save config option error result request ' +
  'response handler cache store query table row column event stream queue job task worker client server ' +
  'session token auth role id name type kind state mode flag limit offset page batch retry timeout lock ' +
  'buffer reader writer encode decode format render update delete create find filter sort merge split'
).split(' ');

const WORDS = (
  'the a of to and is in that it for this we be on not with as are when if or by from at but all so an ' +
  'should must can will would may only each every new old first last before after because while until ' +
  'value file user request data error result cache entry list item record field table query page index ' +
  'returns keeps checks reads writes sends stores skips moves copies builds parses ignores handles ' +
  'already never always again here there without within between above below same other empty full ' +
  'large small fast slow safe unsafe valid invalid missing broken stale fresh partial complete pending'
).split(' ');

const OPERATORS = ['===', '!==', '<', '>', '<=', '>=', '+', '-', '*', '&&', '||', '??'];

interface Language {
  readonly extension: string;
  readonly comment: string;
  readonly declare: string;
  readonly functionKeyword: string;
  readonly blockOpen: string;
  readonly blockClose: string | null;
  readonly statementEnd: string;
  readonly snakeCase: boolean;
  readonly importLine: (module: string, names: string) => string;
}

const LANGUAGES: readonly Language[] = [
  {
    extension: 'ts',
    comment: '//',
    declare: 'const ',
    functionKeyword: 'export function ',
    blockOpen: ' {',
    blockClose: '}',
    statementEnd: ';',
    snakeCase: false,
    importLine: (module, names) => `import { ${names} } from './${module}.ts';`,
  },
  {
    extension: 'py',
    comment: '#',
    declare: '',
    functionKeyword: 'def ',
    blockOpen: ':',
    blockClose: null,
    statementEnd: '',
    snakeCase: true,
    importLine: (module, names) => `from .${module} import ${names}`,
  },
  {
    extension: 'go',
    comment: '//',
    declare: 'var ',
    functionKeyword: 'func ',
    blockOpen: ' {',
    blockClose: '}',
    statementEnd: '',
    snakeCase: false,
    importLine: (module) => `import "coffer.example/internal/${module}"`,
  },
  {
    extension: 'c',
    comment: '//',
    declare: 'int ',
    functionKeyword: 'static int ',
    blockOpen: ' {',
    blockClose: '}',
    statementEnd: ';',
    snakeCase: true,
    importLine: (module) => `#include "${module}.h"`,
  },
];

/** Identifier vocabulary shared by every source file of a corpus, in both naming styles. */
export interface Vocabulary {
  readonly camel: readonly string[];
  readonly snake: readonly string[];
}

export function buildVocabulary(rng: Prng, size = 2500): Vocabulary {
  const camel: string[] = [];
  const snake: string[] = [];
  for (let i = 0; i < size; i++) {
    const parts: string[] = [];
    const count = 1 + rng.skewed(3, 2);
    for (let p = 0; p < count; p++) parts.push(rng.pick(SYLLABLES));
    snake.push(parts.join('_'));
    camel.push(parts.map((part, index) => (index === 0 ? part : part[0]!.toUpperCase() + part.slice(1))).join(''));
  }
  return { camel, snake };
}

function sentence(rng: Prng, words: number): string {
  let text = WORDS[rng.skewed(WORDS.length, 2)]!;
  for (let i = 1; i < words; i++) text += ` ${WORDS[rng.skewed(WORDS.length, 2)]!}`;
  return text;
}

const INDENTS = Array.from({ length: 8 }, (_, depth) => ' '.repeat(4 * depth));

/**
 * Appends a source-like file of about `targetBytes` to `out`: imports, functions, nested
 * blocks, calls and comments over a skewed vocabulary with per-file locals, which gives
 * zstd the 3–4× that real source code gets.
 */
function writeSourceFile(
  rng: Prng,
  vocabulary: Vocabulary,
  language: Language,
  out: TextBuffer,
  targetBytes: number,
): void {
  const names = language.snakeCase ? vocabulary.snake : vocabulary.camel;
  const locals: string[] = [];
  for (let i = 0; i < 16; i++) locals.push(names[rng.skewed(names.length, 2)]!);
  const start = out.length;
  const identifier = (): string =>
    rng.chance(0.8) ? locals[rng.skewed(locals.length, 2)]! : names[rng.skewed(names.length)]!;
  const atom = (): string => {
    const roll = rng.float();
    if (roll < 0.7) return identifier();
    if (roll < 0.8) return String(rng.skewed(256, 4));
    if (roll < 0.9) return `'${sentence(rng, 1 + rng.below(4))}'`;
    return `${identifier()}.${identifier()}`;
  };
  const expression = (): string => {
    const roll = rng.float();
    if (roll < 0.35) return atom();
    if (roll < 0.7) return `${identifier()}(${atom()}${rng.chance(0.5) ? `, ${atom()}` : ''})`;
    return `${atom()} ${rng.pick(OPERATORS)} ${atom()}`;
  };

  const imports = 2 + rng.below(8);
  for (let i = 0; i < imports; i++) {
    out.push(`${language.importLine(identifier(), `${identifier()}, ${identifier()}`)}\n`);
  }
  out.push('\n');
  let depth = 0;
  while (out.length - start < targetBytes) {
    const indent = INDENTS[depth];
    const roll = rng.float();
    if (depth === 0) {
      out.push(`${language.comment} ${sentence(rng, 4 + rng.below(10))}\n`);
      out.push(`${language.functionKeyword}${identifier()}(${identifier()}, ${identifier()})${language.blockOpen}\n`);
      depth = 1;
    } else if (roll < 0.3) {
      out.push(`${indent}${language.declare}${identifier()} = ${expression()}${language.statementEnd}\n`);
    } else if (roll < 0.5) {
      out.push(`${indent}${identifier()}.${identifier()}(${expression()})${language.statementEnd}\n`);
    } else if (roll < 0.6 && depth < 5) {
      out.push(`${indent}if ${expression()} ${rng.pick(OPERATORS)} ${atom()}${language.blockOpen}\n`);
      depth++;
    } else if (roll < 0.7) {
      out.push(`${indent}${language.comment} ${sentence(rng, 3 + rng.below(9))}\n`);
    } else if (roll < 0.8) {
      out.push(`${indent}return ${expression()}${language.statementEnd}\n`);
      depth--;
      if (language.blockClose !== null) out.push(`${INDENTS[depth]}${language.blockClose}\n`);
      if (depth === 0) out.push('\n');
    } else if (roll < 0.9 && depth > 1) {
      depth--;
      if (language.blockClose !== null) out.push(`${INDENTS[depth]}${language.blockClose}\n`);
    } else {
      out.push(`${indent}${identifier()} = ${identifier()}(${expression()}, ${atom()})${language.statementEnd}\n`);
    }
  }
}

/**
 * Freshly generated source text of one language, cut at line starts. Generating text token
 * by token runs at ~35 MiB/s; corpus files are instead assembled from runs of lines of this
 * pool (GB/s). The runs are far smaller than any chunker's minimum chunk and come from a
 * pool of megabytes, so they neither create artificial deduplication nor change what zstd
 * sees inside one file.
 */
export interface SourcePool {
  readonly language: Language;
  readonly text: Buffer;
  readonly lineStarts: Uint32Array;
}

export function buildSourcePools(rng: Prng, vocabulary: Vocabulary, bytesPerLanguage: number): SourcePool[] {
  return LANGUAGES.map((language) => {
    const out = new TextBuffer();
    while (out.length < bytesPerLanguage) writeSourceFile(rng, vocabulary, language, out, rng.logBetween(2048, 65536));
    const text = Buffer.from(out.view());
    const starts = [0];
    for (let at = text.indexOf(10); at !== -1 && at + 1 < text.length; at = text.indexOf(10, at + 1))
      starts.push(at + 1);
    starts.push(text.length);
    return { language, text, lineStarts: Uint32Array.from(starts) };
  });
}

export function sourceExtension(pool: SourcePool): string {
  return pool.language.extension;
}

/** Appends about `targetBytes` of source text: runs of 16–200 consecutive lines of the pool. */
export function writePooledText(rng: Prng, pool: SourcePool, out: TextBuffer, targetBytes: number): void {
  const start = out.length;
  const lines = pool.lineStarts.length - 1;
  while (out.length - start < targetBytes) {
    const first = rng.below(lines);
    const last = Math.min(lines, first + 16 + rng.below(184));
    out.append(pool.text.subarray(pool.lineStarts[first]!, pool.lineStarts[last]!));
  }
}

const SERVICES = ['api-gateway', 'auth', 'billing', 'scheduler', 'storage', 'mailer', 'worker', 'search'];
const LEVELS = ['INFO ', 'INFO ', 'INFO ', 'INFO ', 'DEBUG', 'DEBUG', 'WARN ', 'ERROR'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const STATUSES = [200, 200, 200, 200, 201, 204, 304, 400, 401, 404, 500];
const MILLISECONDS = Array.from({ length: 1000 }, (_, ms) => `${String(ms).padStart(3, '0')}Z `);

/** Message bodies of log lines; lines get fresh timestamps, levels and request ids. */
export function buildLogMessages(rng: Prng, vocabulary: Vocabulary, count = 32768): string[] {
  const messages: string[] = [];
  for (let i = 0; i < count; i++) {
    if (rng.chance(0.7)) {
      messages.push(
        `${rng.pick(METHODS)} /api/v1/${vocabulary.snake[rng.skewed(200, 2)]}/${rng.skewed(100000, 2)} ` +
          `${rng.pick(STATUSES)} ${rng.skewed(3000, 4)}ms user=u-${rng.skewed(5000, 2)}`,
      );
    } else {
      messages.push(`${vocabulary.camel[rng.skewed(300, 2)]}: ${sentence(rng, 3 + rng.below(8))}`);
    }
  }
  // Built by concatenation, the messages are trees of string pieces; copying them flat
  // once keeps every later use a plain copy.
  return messages.map((message) => Buffer.from(message, 'latin1').toString('latin1'));
}

/** State of a log being written, so a log can be generated (and appended to) in pieces. */
export interface LogState {
  time: number;
  readonly service: string;
  /** Timestamp text up to the minutes ("2025-01-01T00:00:"), reused while the minute lasts. */
  minutePrefix: string;
  minute: number;
}

export function newLogState(rng: Prng, startTime: number): LogState {
  return { time: startTime, service: ` [${rng.pick(SERVICES)}] `, minutePrefix: '', minute: -1 };
}

const HEX16 = Array.from({ length: 65536 }, (_, value) => value.toString(16).padStart(4, '0'));

/** Eight hex digits (Number#toString(16) of values above 2^31 takes a slow path). */
function hexId(rng: Prng): string {
  const value = rng.u32();
  return HEX16[value >>> 16]! + HEX16[value & 0xffff]!;
}

const SECONDS = Array.from({ length: 60 }, (_, second) => `${String(second).padStart(2, '0')}.`);

/** Appends about `targetBytes` of log lines whose timestamps move forward. */
export function writeLogLines(
  rng: Prng,
  messages: readonly string[],
  state: LogState,
  out: TextBuffer,
  targetBytes: number,
): void {
  const start = out.length;
  // Lines are joined into one flat string per few kilobytes: one buffer write per line, or
  // one write of a deep concatenation, costs more than building the lines.
  const batch: string[] = [];
  let batchLength = 0;
  while (out.length + batchLength - start < targetBytes) {
    state.time += rng.skewed(400, 3);
    const minute = Math.floor(state.time / 60_000);
    if (minute !== state.minute) {
      state.minute = minute;
      state.minutePrefix = new Date(minute * 60_000).toISOString().slice(0, 17);
    }
    const withinMinute = state.time - minute * 60_000;
    const second = Math.floor(withinMinute / 1000);
    const line =
      `${state.minutePrefix}${SECONDS[second]}${MILLISECONDS[withinMinute - second * 1000]}${LEVELS[rng.below(8)]}` +
      `${state.service}${messages[rng.below(messages.length)]} req=${hexId(rng)}\n`;
    batch.push(line);
    batchLength += line.length;
    if (batchLength >= 16384) {
      out.push(batch.join(''));
      batch.length = 0;
      batchLength = 0;
    }
  }
  out.push(batch.join(''));
}
