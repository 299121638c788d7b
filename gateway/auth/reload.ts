/**
 * Keeps the user book in step with the site config file: the file is polled (`fs.watchFile`, every
 * 30 s by default) and, when it changed and is valid, its `users:` replace the running ones, so a
 * removed user or a changed role loses its sessions within a minute (gateway/api/README.md). A
 * file that does not load leaves the users as they were and is logged with its coded error.
 */
import { unwatchFile, watchFile } from 'node:fs';
import { loadConfig } from '../config/load.js';
import type { Logger } from '../core/log.js';
import type { UserBook } from './users.js';

export function watchUsers(file: string, users: UserBook, log: Logger, intervalMs = 30_000, env: NodeJS.ProcessEnv = process.env): () => void {
  const onChange = (cur: { mtimeMs: number }, prev: { mtimeMs: number }) => {
    if (cur.mtimeMs === prev.mtimeMs) return;
    try {
      const { config } = loadConfig(file, env);
      users.update(config.users);
      log.info({ users: config.users.length }, 'users reloaded from the config file');
    } catch (err) {
      log.warn({ code: (err as { code?: string }).code, err: (err as Error).message }, 'config file changed but does not load; users unchanged');
    }
  };
  watchFile(file, { interval: intervalMs, persistent: false }, onChange);
  return () => unwatchFile(file, onChange);
}
