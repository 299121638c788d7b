/**
 * Keeps the user book in step with the site config file: the file is polled (`fs.watchFile`, every
 * 30 s by default) and, when it changed and is valid, its `users:` replace the running ones, so a
 * removed user or a changed role loses its sessions within a minute (gateway/api/README.md). A
 * file that does not load leaves the users as they were and is logged with its coded error.
 */
import { unwatchFile, watchFile } from 'node:fs';
import type { Logger } from '../core/log.js';
import type { UserConfig } from './schema.js';
import type { UserBook } from './users.js';

/** Reads the users of a valid config file; throws a coded error when the file does not load. */
export type ReadUsers = (file: string) => UserConfig[];

export function watchUsers(file: string, readUsers: ReadUsers, users: UserBook, log: Logger, intervalMs = 30_000): () => void {
  const onChange = (cur: { mtimeMs: number }, prev: { mtimeMs: number }) => {
    if (cur.mtimeMs === prev.mtimeMs) return;
    try {
      const list = readUsers(file);
      users.update(list);
      log.info({ users: list.length }, 'users reloaded from the config file');
    } catch (err) {
      log.warn({ code: (err as { code?: string }).code, err: (err as Error).message }, 'config file changed but does not load; users unchanged');
    }
  };
  watchFile(file, { interval: intervalMs, persistent: false }, onChange);
  return () => unwatchFile(file, onChange);
}
