import { readFileSync } from 'node:fs';

/** Resolves uid/gid to names from /etc/passwd and /etc/group (empty when unknown). */
export class UserNames {
  readonly #users = new Map<number, string>();
  readonly #groups = new Map<number, string>();

  constructor() {
    for (const [file, map] of [
      ['/etc/passwd', this.#users],
      ['/etc/group', this.#groups],
    ] as const) {
      try {
        for (const line of readFileSync(file, 'utf8').split('\n')) {
          const fields = line.split(':');
          const id = Number(fields[2]);
          if (fields[0] && Number.isInteger(id) && !map.has(id)) map.set(id, fields[0]);
        }
      } catch {
        // No such database (containers, other systems): names stay empty.
      }
    }
  }

  user(uid: number): string {
    return this.#users.get(uid) ?? '';
  }

  group(gid: number): string {
    return this.#groups.get(gid) ?? '';
  }
}
