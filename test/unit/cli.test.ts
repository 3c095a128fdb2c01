import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

describe('the program', () => {
  it('prints help with the exit codes and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: kitsu-tail');
    expect(result.stdout).toContain('124');
    expect(result.stderr).toBe('');
  });

  it('prints the version of package.json', async () => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('answers an unknown flag with exit 2 and one line on stderr', async () => {
    const result = await runCli(['logs', '--no-such-flag']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("unknown option '--no-such-flag'");
  });

  it('answers a bad number with exit 2', async () => {
    const result = await runCli(['listen', '--count', 'many']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--count takes a whole number');
  });
});
