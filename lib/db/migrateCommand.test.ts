import { afterEach, describe, expect, it, vi } from 'vitest';
import { runMigrateCommand } from './migrateCommand';

describe('npm run db:migrate arguments', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([[['bogus']], [['--create']], [['--draft']], [['--create', 'x', 'extra']], [['--drat', '--create', 'x']]])('%j is a usage error (exit 2), nothing run', async (args) => {
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await runMigrateCommand(args)).toBe(2);
    expect(stderr).toHaveBeenCalledWith(expect.stringContaining('usage: npm run db:migrate'));
  });
});
