import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startPostgres } from './postgres';

describe('the throwaway PostgreSQL cluster', () => {
  it('fails loudly, naming what is missing, when the server binaries are not there', async () => {
    await expect(startPostgres({ binDirs: ['/nonexistent/pg/bin'] })).rejects.toThrow(
      "PostgreSQL 15 server binary 'initdb' not found in /nonexistent/pg/bin: install postgresql-15 (apt) or set PG_BIN.",
    );
  });

  it('runs PostgreSQL 15 on 127.0.0.1 and is gone after stop', async () => {
    const cluster = await startPostgres();
    const url = await cluster.createDatabase('probe');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query(`SELECT current_setting('server_version_num')::int AS version, inet_server_addr()::text AS addr`);
    await client.end();
    expect(Math.floor(rows[0].version / 10000)).toBe(15);
    expect(rows[0].addr).toBe('127.0.0.1/32');
    await cluster.stop();
    const after = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    await expect(after.connect()).rejects.toThrow();
  });
});
