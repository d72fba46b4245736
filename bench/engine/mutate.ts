import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  appendLogLines,
  buildMaterials,
  type Materials,
  writeRandom,
  writeSourceFile,
  writeSourceTree,
} from './corpus.ts';
import { insertIntoFile, listFiles, type TreeFile, writeFully } from './files.ts';
import { newLogState, writePooledText } from './text.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Share of the corpus size that the mutation writes (inserted, appended, overwritten, new). */
export const MUTATION_SHARE = 0.05;

export interface MutationSummary {
  /** Bytes written by the mutation: inserted, appended, overwritten in place and new. */
  readonly bytesWritten: number;
  readonly insertedBytes: number;
  readonly appendedBytes: number;
  readonly overwrittenBytes: number;
  readonly newBytes: number;
  readonly filesEdited: number;
  readonly filesAppended: number;
  readonly filesCreated: number;
  readonly filesDeleted: number;
  readonly bytesDeleted: number;
  readonly filesMoved: number;
}

interface Counters {
  insertedBytes: number;
  appendedBytes: number;
  overwrittenBytes: number;
  newBytes: number;
  filesEdited: number;
  filesAppended: number;
  filesCreated: number;
  filesDeleted: number;
  bytesDeleted: number;
  filesMoved: number;
}

/**
 * Changes about 5% of the corpus under `root` the same way for the same seed: deletes and
 * moves files and a whole folder, inserts data in the middle of source files, videos and
 * the disk image, overwrites disk-image blocks in place, appends to the current logs and
 * adds new files and a new project.
 */
export function mutateCorpus(root: string, seed: string): MutationSummary {
  const files = listFiles(root);
  const total = files.reduce((sum, file) => sum + file.size, 0);
  const budget = Math.round(total * MUTATION_SHARE);
  const materials = buildMaterials(`mutation:${seed}`, 256 * KiB);
  const { rng } = materials;
  const counters: Counters = {
    insertedBytes: 0,
    appendedBytes: 0,
    overwrittenBytes: 0,
    newBytes: 0,
    filesEdited: 0,
    filesAppended: 0,
    filesCreated: 0,
    filesDeleted: 0,
    bytesDeleted: 0,
    filesMoved: 0,
  };
  const sources = files.filter((file) => file.path.startsWith('src/') && file.size > 0);
  const photos = files.filter((file) => file.path.startsWith('media/photos/'));
  const videos = files.filter((file) => file.path.startsWith('media/videos/'));
  const logs = files.filter((file) => file.path.startsWith('logs/') && file.path.endsWith('/app.log'));
  const touched = new Set<string>();
  const take = (list: TreeFile[]): TreeFile | undefined => {
    const free = list.filter((file) => !touched.has(file.path));
    if (free.length === 0) return undefined;
    const file = rng.pick(free);
    touched.add(file.path);
    return file;
  };

  // Deleted: 2% of the source files and one photo.
  for (let i = 0; i < Math.ceil(sources.length * 0.02); i++) deleteFile(root, take(sources), counters);
  deleteFile(root, take(photos), counters);

  // Moved: a whole module folder to another project, 1% of the source files to other
  // folders, one video renamed.
  const folders = [...new Set(sources.map((file) => dirname(file.path)))];
  const movedFolder = rng.pick(folders);
  const movedTo = `src/moved/${movedFolder.slice('src/'.length).replaceAll('/', '-')}`;
  mkdirSync(dirname(join(root, movedTo)), { recursive: true });
  renameSync(join(root, movedFolder), join(root, movedTo));
  for (const file of sources) {
    if (dirname(file.path) === movedFolder) {
      touched.add(file.path);
      counters.filesMoved++;
    }
  }
  for (let i = 0; i < Math.ceil(sources.length * 0.01); i++) {
    const file = take(sources);
    if (file === undefined) continue;
    const target = `${rng.pick(folders.filter((folder) => folder !== movedFolder))}/moved-${file.path.replaceAll('/', '-')}`;
    renameSync(join(root, file.path), join(root, target));
    counters.filesMoved++;
  }
  const video = take(videos);
  if (video !== undefined) {
    renameSync(join(root, video.path), join(root, video.path.replace(/\.mp4$/, '-renamed.mp4')));
    counters.filesMoved++;
  }

  // Insertions in the middle: 1% of the source files (a run of lines), two videos and the
  // disk image (random bytes); then blocks of the disk image overwritten in place.
  for (let i = 0; i < Math.ceil(sources.length * 0.01); i++) {
    const file = take(sources);
    if (file === undefined) continue;
    materials.text.reset();
    writePooledText(rng, rng.pick(materials.pools), materials.text, rng.between(200, 4000));
    insertAt(root, file.path, rng.below(file.size), Buffer.from(materials.text.view()), counters);
  }
  const largeEdits = [take(videos), take(videos), files.find((file) => file.path === 'vm/disk.img')];
  for (const file of largeEdits) {
    if (file === undefined) continue;
    const bytes = Math.min(Math.round(budget * 0.04), rng.logBetween(4 * KiB, MiB));
    insertAt(root, file.path, rng.below(file.size), rng.bytes(bytes), counters);
  }
  overwriteDiskBlocks(materials, join(root, 'vm', 'disk.img'), Math.round(budget * 0.08), counters);

  // Appends: the current log of every service grows.
  const appendBudget = Math.round(budget * 0.25);
  for (const log of logs) {
    const fd = openSync(join(root, log.path), 'a');
    try {
      const state = newLogState(rng, Date.UTC(2025, 6, 1));
      counters.appendedBytes += appendLogLines(materials, fd, state, Math.ceil(appendBudget / logs.length));
      counters.filesAppended++;
    } finally {
      closeSync(fd);
    }
  }

  // New files: a new project, a few files in existing folders, and a new video that
  // brings the total to the budget.
  const written = (): number =>
    counters.insertedBytes + counters.appendedBytes + counters.overwrittenBytes + counters.newBytes;
  const newProject = join(root, 'src', 'new-project');
  writeSourceTree(materials, newProject, Math.round(budget * 0.15), null);
  for (const file of listFiles(newProject)) {
    counters.newBytes += file.size;
    counters.filesCreated++;
  }
  for (let i = 0; i < 20; i++) {
    const folder = rng.pick(folders.filter((candidate) => candidate !== movedFolder));
    const pool = rng.pick(materials.pools);
    const path = join(root, folder, `added-${i}.${pool.language.extension}`);
    counters.newBytes += writeSourceFile(materials, pool, path, rng.logBetween(256, 65536));
    counters.filesCreated++;
  }
  const remaining = Math.max(MiB, budget - written());
  const fd = openSync(join(root, 'media', 'videos', 'new-clip.mp4'), 'w');
  try {
    writeRandom(rng, fd, remaining, null);
  } finally {
    closeSync(fd);
  }
  counters.newBytes += remaining;
  counters.filesCreated++;
  return { ...counters, bytesWritten: written() };
}

function deleteFile(root: string, file: TreeFile | undefined, counters: Counters): void {
  if (file === undefined) return;
  rmSync(join(root, file.path));
  counters.filesDeleted++;
  counters.bytesDeleted += file.size;
}

function insertAt(root: string, path: string, offset: number, data: Uint8Array, counters: Counters): void {
  const fd = openSync(join(root, path), 'r+');
  try {
    insertIntoFile(fd, fstatSync(fd).size, offset, data);
  } finally {
    closeSync(fd);
  }
  counters.insertedBytes += data.length;
  counters.filesEdited++;
}

function overwriteDiskBlocks(materials: Materials, path: string, budget: number, counters: Counters): void {
  const { rng } = materials;
  const fd = openSync(path, 'r+');
  try {
    const blocks = Math.floor(fstatSync(fd).size / 4096);
    let written = 0;
    while (written < budget) {
      const bytes = Math.min(budget - written, 4096 * rng.between(1, 64));
      writeFully(fd, rng.bytes(bytes), 4096 * rng.below(blocks));
      written += bytes;
    }
    counters.overwrittenBytes += written;
  } finally {
    closeSync(fd);
  }
}
