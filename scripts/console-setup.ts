/**
 * First-run preparation of the embedded defaults, run by `npm start` before the web server:
 * opens the CA (software token initialised, database migrated, start-up recovery run) and, when
 * no operator exists yet, creates the first administrator and prints its one-time password.
 * The password is also left in `.data/secrets/first-run-admin` (mode 0600) so a missed terminal
 * line does not lock the operator out. It is one-time: the first sign-in must replace it and
 * enrol a second factor before anything else.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DATA_DIR } from '../hsm/config';
import { openCa } from '../lib/ca/open';
import { bootstrapAdministrator } from '../lib/ca/operators';
import { requirePasswordChange } from '../lib/ca/signIn';

const FIRST_ADMIN = 'admin';

async function main(): Promise<number> {
  const opened = await openCa();
  if (!opened.ok) {
    console.error(JSON.stringify({ error: opened.error }, null, 2));
    return 1;
  }
  const { ca, close } = opened.value;
  try {
    if ((await ca.prisma.operator.count()) > 0) return 0;
    const password = randomBytes(18).toString('base64url');
    const created = await bootstrapAdministrator(ca, { username: FIRST_ADMIN, displayName: '首任管理员 First administrator', password });
    const oneTime = created.ok ? await requirePasswordChange(ca, created.value.id) : created;
    if (!oneTime.ok) {
      console.error(JSON.stringify({ error: oneTime.error }, null, 2));
      return 1;
    }
    const secrets = join(process.env.TQCA_DATA_DIR || DEFAULT_DATA_DIR, 'secrets');
    mkdirSync(secrets, { recursive: true, mode: 0o700 });
    const file = join(secrets, 'first-run-admin');
    writeFileSync(file, `${FIRST_ADMIN}\n${password}\n`, { mode: 0o600 });
    console.log(
      [
        '',
        '  首次运行：已创建管理员 / First run: administrator created',
        `    username  ${FIRST_ADMIN}`,
        `    password  ${password}`,
        `  (also in ${file}, mode 0600) — 首次登录须修改密码并绑定身份验证器 / the first sign-in changes it and enrols TOTP`,
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    await close();
  }
}

process.exitCode = await main();
