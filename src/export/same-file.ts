/**
 * Whether two paths the user gave name one file: `--checkpoint F --output F` would append the
 * events to the checkpoint and then replace them with it, keeping none (issue 8). Through
 * links, hard links and relative paths: files that exist compare by device and inode, paths
 * that do not yet by where they would be created (folders and links resolved).
 */
import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** Links followed before giving up on a path (Linux gives up at 40 too). */
const MAX_LINKS = 40;

/** What a path names: `inode:DEV:INO` when it exists, else `path:` the file it would create. */
export async function fileIdentity(path: string): Promise<string> {
  try {
    const found = await stat(path);
    return `inode:${found.dev}:${found.ino}`;
  } catch (error) {
    if (!['ENOENT', 'ENOTDIR', 'ELOOP'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
  return `path:${await wouldCreate(resolve(path), 0)}`;
}

/** The absolute path that creating `path` would create: its folder resolved, a dangling link followed. */
async function wouldCreate(path: string, links: number): Promise<string> {
  if (links < MAX_LINKS) {
    const found = await lstat(path).catch(() => null);
    if (found?.isSymbolicLink()) return wouldCreate(resolve(dirname(path), await readlink(path)), links + 1);
  }
  const folder = dirname(path);
  if (folder === path) return path;
  const realFolder = await realpath(folder).catch(() => wouldCreate(folder, links + 1));
  return join(realFolder, basename(path));
}

export async function sameFile(a: string, b: string): Promise<boolean> {
  return (await fileIdentity(a)) === (await fileIdentity(b));
}
