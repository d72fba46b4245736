import { closeSync, copyFileSync, mkdirSync, openSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileSize, writeFully, writeWholeFile } from './files.ts';
import { Prng } from './prng.ts';
import {
  buildLogMessages,
  buildSourcePools,
  buildVocabulary,
  newLogState,
  type SourcePool,
  sourceExtension,
  TextBuffer,
  type Vocabulary,
  writeLogLines,
  writePooledText,
} from './text.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Share of the corpus size given to each kind of data. */
const SHARES = { source: 0.2, logs: 0.12, media: 0.38, diskImage: 0.2, duplicates: 0.1 } as const;

/** Name of the file at the corpus root that says what it is; restores are located by it. */
export const CORPUS_MARKER = 'CORPUS.txt';

export interface CorpusOptions {
  readonly root: string;
  readonly sizeBytes: number;
  readonly seed: string;
}

export interface KindTotals {
  files: number;
  bytes: number;
}

export interface CorpusSummary {
  readonly files: number;
  readonly bytes: number;
  readonly kinds: Record<string, KindTotals>;
}

/** Random and text sources shared by the generator and the mutation. */
export interface Materials {
  readonly rng: Prng;
  readonly vocabulary: Vocabulary;
  readonly pools: SourcePool[];
  readonly messages: string[];
  readonly text: TextBuffer;
}

export function buildMaterials(seed: string, poolBytesPerLanguage: number): Materials {
  const rng = new Prng(seed);
  const vocabulary = buildVocabulary(rng);
  return {
    rng,
    vocabulary,
    pools: buildSourcePools(rng, vocabulary, poolBytesPerLanguage),
    messages: buildLogMessages(rng, vocabulary),
    text: new TextBuffer(),
  };
}

/** Records what was written, per kind. */
class Tally {
  readonly kinds: Record<string, KindTotals> = {};

  add(kind: string, bytes: number): void {
    const totals = this.kinds[kind] ?? { files: 0, bytes: 0 };
    totals.files += 1;
    totals.bytes += bytes;
    this.kinds[kind] = totals;
  }

  summary(): CorpusSummary {
    let files = 0;
    let bytes = 0;
    for (const totals of Object.values(this.kinds)) {
      files += totals.files;
      bytes += totals.bytes;
    }
    return { files, bytes, kinds: this.kinds };
  }
}

/**
 * Generates the benchmark corpus under `root` (which is emptied first): source-like text
 * files, logs, incompressible media, a disk image with repeated blocks and zero runs, and
 * copies of some of it in other folders. The same seed and size always give the same bytes.
 */
export function generateCorpus(options: CorpusOptions): CorpusSummary {
  if (!Number.isSafeInteger(options.sizeBytes) || options.sizeBytes < MiB) {
    throw new RangeError(`corpus size must be at least 1 MiB, got ${options.sizeBytes}`);
  }
  rmSync(options.root, { recursive: true, force: true });
  mkdirSync(options.root, { recursive: true });
  const materials = buildMaterials(
    `corpus:${options.seed}`,
    Math.min(4 * MiB, Math.max(256 * KiB, options.sizeBytes / 256)),
  );
  const tally = new Tally();
  const size = options.sizeBytes;
  const marker = Buffer.from(`Coffer engine benchmark corpus\nseed: ${options.seed}\nsize: ${size}\n`);
  writeWholeFile(join(options.root, CORPUS_MARKER), marker);
  tally.add('marker', marker.length);

  const projects = writeSourceTree(materials, join(options.root, 'src'), Math.round(size * SHARES.source), tally);
  writeLogs(materials, join(options.root, 'logs'), Math.round(size * SHARES.logs), size, tally);
  writeMedia(materials, join(options.root, 'media'), Math.round(size * SHARES.media), size, tally);
  writeDiskImage(materials, join(options.root, 'vm', 'disk.img'), Math.round(size * SHARES.diskImage), tally);
  writeDuplicates(materials, options.root, projects, Math.round(size * SHARES.duplicates), tally);
  return tally.summary();
}

function uniqueName(taken: Set<string>, wanted: string): string {
  let name = wanted;
  for (let n = 2; taken.has(name); n++) name = wanted.replace(/(\.[a-z0-9]+)?$/, `_${n}$1`);
  taken.add(name);
  return name;
}

/** Writes one source file of about `bytes` bytes (at least one line) and returns its size. */
export function writeSourceFile(
  materials: Materials,
  pool: SourcePool,
  path: string,
  bytes: number,
  parentExists = false,
): number {
  materials.text.reset();
  writePooledText(materials.rng, pool, materials.text, bytes);
  writeWholeFile(path, materials.text.view(), parentExists);
  return materials.text.length;
}

/** Source projects (one language each) of modules of files; returns the project folders. */
export function writeSourceTree(materials: Materials, root: string, budget: number, tally: Tally | null): string[] {
  const { rng, vocabulary } = materials;
  const projects: string[] = [];
  const projectNames = new Set<string>();
  let written = 0;
  while (written < budget) {
    const pool = rng.pick(materials.pools);
    const project = join(root, uniqueName(projectNames, vocabulary.snake[rng.below(vocabulary.snake.length)]!));
    projects.push(project);
    const modules = 4 + rng.below(40);
    const moduleNames = new Set<string>();
    for (let m = 0; m < modules && written < budget; m++) {
      const folder = join(project, uniqueName(moduleNames, vocabulary.snake[rng.skewed(vocabulary.snake.length, 2)]!));
      mkdirSync(folder, { recursive: true });
      const fileNames = new Set<string>();
      const files = 3 + rng.skewed(40, 2);
      for (let f = 0; f < files && written < budget; f++) {
        const stem = vocabulary.camel[rng.skewed(vocabulary.camel.length, 2)]!;
        const name = uniqueName(fileNames, `${stem}.${sourceExtension(pool)}`);
        const wanted = Math.min(budget - written, rng.logBetween(256, 131072));
        const bytes = writeSourceFile(materials, pool, join(folder, name), wanted, true);
        written += bytes;
        tally?.add('source', bytes);
      }
    }
    // Projects carry a few empty files (package markers, placeholders) as real trees do.
    writeWholeFile(join(project, '__init__.py'), new Uint8Array(0));
    tally?.add('source', 0);
  }
  return projects;
}

/** Writes `bytes` of log lines to an open file in pieces of a few MiB. */
export function appendLogLines(
  materials: Materials,
  fd: number,
  state: ReturnType<typeof newLogState>,
  bytes: number,
): number {
  let written = 0;
  while (written < bytes) {
    materials.text.reset();
    writeLogLines(materials.rng, materials.messages, state, materials.text, Math.min(4 * MiB, bytes - written));
    writeFully(fd, materials.text.view(), null);
    written += materials.text.length;
  }
  return written;
}

function writeLogs(materials: Materials, root: string, budget: number, corpusSize: number, tally: Tally): void {
  const { rng } = materials;
  const largest = Math.max(256 * KiB, Math.min(32 * MiB, Math.round(corpusSize * 0.03)));
  let written = 0;
  for (let service = 0; written < budget; service++) {
    // Rotated logs: service.log.N are older, service.log is the one being appended to.
    const state = newLogState(rng, Date.UTC(2025, 0, 1) + service * 3_600_000);
    const rotations = 1 + rng.below(4);
    for (let rotation = rotations; rotation >= 0 && written < budget; rotation--) {
      const path = join(root, `service-${service}`, rotation === 0 ? 'app.log' : `app.log.${rotation}`);
      mkdirSync(dirname(path), { recursive: true });
      const fd = openSync(path, 'w');
      try {
        const bytes = appendLogLines(
          materials,
          fd,
          state,
          Math.min(budget - written, rng.logBetween(64 * KiB, largest)),
        );
        written += bytes;
        tally.add('logs', bytes);
      } finally {
        closeSync(fd);
      }
    }
  }
}

/** Writes `bytes` of incompressible data to an open file. */
export function writeRandom(rng: Prng, fd: number, bytes: number, position: number | null): void {
  for (let done = 0; done < bytes; done += MiB) {
    writeFully(fd, rng.bytes(Math.min(MiB, bytes - done)), position === null ? null : position + done);
  }
}

function writeRandomFile(rng: Prng, path: string, bytes: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  try {
    writeRandom(rng, fd, bytes, null);
  } finally {
    closeSync(fd);
  }
}

function writeMedia(materials: Materials, root: string, budget: number, corpusSize: number, tally: Tally): void {
  const { rng } = materials;
  // A quarter of the media budget goes to photos (64 KiB–4 MiB), the rest to videos.
  const photoBudget = Math.round(budget / 4);
  let written = 0;
  for (let album = 0; written < photoBudget; album++) {
    const photos = 5 + rng.below(60);
    for (let photo = 0; photo < photos && written < photoBudget; photo++) {
      const bytes = Math.min(photoBudget - written, rng.logBetween(64 * KiB, 4 * MiB));
      writeRandomFile(rng, join(root, 'photos', `album-${album}`, `IMG_${1000 + photo}.jpg`), bytes);
      written += bytes;
      tally.add('media', bytes);
    }
  }
  const largest = Math.max(MiB, Math.min(128 * MiB, Math.round(corpusSize * 0.08)));
  for (let video = 0; written < budget; video++) {
    const bytes = Math.min(budget - written, rng.logBetween(Math.min(8 * MiB, largest), largest));
    writeRandomFile(rng, join(root, 'videos', `clip-${video}.mp4`), bytes);
    written += bytes;
    tally.add('media', bytes);
  }
}

const BLOCK = 4096;
const ZERO_BLOCKS = Buffer.alloc(MiB);

function alignBlock(bytes: number): number {
  return Math.max(BLOCK, Math.ceil(bytes / BLOCK) * BLOCK);
}

/**
 * A disk-image-like file, in 4 KiB-aligned regions: zero runs, regions that repeat earlier
 * ones (the same files in two partitions), repeated metadata-like blocks, random data and
 * text.
 */
function writeDiskImage(materials: Materials, path: string, budget: number, tally: Tally): void {
  const { rng } = materials;
  const size = alignBlock(budget);
  const repeatedRegions = Array.from({ length: 4 }, () => rng.bytes(alignBlock(rng.logBetween(256 * KiB, 4 * MiB))));
  const templates = Array.from({ length: 16 }, () => {
    // Mostly zeros with a few used bytes, as allocation bitmaps and inode tables are.
    const block = Buffer.alloc(64 * KiB);
    for (let i = 0; i < 64; i++) block.set(rng.bytes(16 + rng.below(256)), rng.below(60 * KiB));
    return block;
  });
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  try {
    let offset = 0;
    while (offset < size) {
      const roll = rng.float();
      const room = size - offset;
      if (roll < 0.3) {
        const bytes = Math.min(room, alignBlock(rng.logBetween(64 * KiB, 16 * MiB)));
        for (let done = 0; done < bytes; done += ZERO_BLOCKS.length) {
          writeFully(fd, ZERO_BLOCKS.subarray(0, Math.min(ZERO_BLOCKS.length, bytes - done)), offset + done);
        }
        offset += bytes;
      } else if (roll < 0.5) {
        const region = rng.pick(repeatedRegions);
        const bytes = Math.min(room, region.length);
        writeFully(fd, region.subarray(0, bytes), offset);
        offset += bytes;
      } else if (roll < 0.65) {
        const template = rng.pick(templates);
        const repeats = 4 + rng.below(60);
        for (let r = 0; r < repeats && offset < size; r++) {
          const bytes = Math.min(size - offset, template.length);
          writeFully(fd, template.subarray(0, bytes), offset);
          offset += bytes;
        }
      } else if (roll < 0.85) {
        const bytes = Math.min(room, alignBlock(rng.logBetween(256 * KiB, 8 * MiB)));
        writeRandom(rng, fd, bytes, offset);
        offset += bytes;
      } else {
        materials.text.reset();
        writePooledText(rng, rng.pick(materials.pools), materials.text, rng.logBetween(64 * KiB, 2 * MiB));
        const bytes = Math.min(room, alignBlock(materials.text.length));
        writeFully(fd, materials.text.view().subarray(0, bytes), offset);
        if (bytes > materials.text.length) {
          writeFully(fd, ZERO_BLOCKS.subarray(0, bytes - materials.text.length), offset + materials.text.length);
        }
        offset += bytes;
      }
    }
  } finally {
    closeSync(fd);
  }
  tally.add('disk-image', size);
}

/** Copies whole source projects, then photo albums and videos, into `copies/`. */
function writeDuplicates(materials: Materials, root: string, projects: string[], budget: number, tally: Tally): void {
  const { rng } = materials;
  let written = 0;
  const copyTree = (from: string, to: string): void => {
    for (const entry of readdirSync(from, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (written >= budget) return;
      if (entry.isDirectory()) {
        copyTree(join(from, entry.name), join(to, entry.name));
      } else {
        const bytes = fileSize(join(from, entry.name));
        if (written + bytes > budget) continue;
        mkdirSync(to, { recursive: true });
        copyFileSync(join(from, entry.name), join(to, entry.name));
        written += bytes;
        tally.add('duplicates', bytes);
      }
    }
  };
  const sourceShare = budget * 0.4;
  for (const project of [...projects].sort()) {
    if (written >= sourceShare || rng.chance(0.5)) continue;
    copyTree(project, join(root, 'copies', 'old-checkout', project.slice(project.lastIndexOf('/') + 1)));
  }
  copyTree(join(root, 'media', 'photos'), join(root, 'copies', 'phone-export'));
  copyTree(join(root, 'media', 'videos'), join(root, 'copies', 'videos-backup'));
}
