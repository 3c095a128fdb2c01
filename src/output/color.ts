import type { ColorMode, OutStream } from '../context.js';

/**
 * Whether to colour a stream: the flag wins, then FORCE_COLOR, then NO_COLOR
 * (https://no-color.org: any non-empty value), then whether the stream is a terminal.
 */
export function shouldColor(mode: ColorMode, stream: OutStream, env: Record<string, string | undefined>): boolean {
  if (mode === 'never') return false;
  if (mode === 'always') return true;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  if (env.NO_COLOR) return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}
