/**
 * First-run preparation of the embedded defaults, run by `npm start` before the web server:
 * opens the CA (software token initialised, database migrated, start-up recovery run), says
 * plainly when the token is the evaluation one with its PIN on disk, and, when
 * no operator exists yet, creates the first administrator and prints its one-time password.
 * The password is also left in `.data/secrets/first-run-admin` (mode 0600) so a missed terminal
 * line does not lock the operator out. It is one-time: the first sign-in may only change it
 * (the console's password page or `tqca user passwd`), which deletes the file; it is never written to the audit log.
 */
import { randomBytes } from 'node:crypto';
import { bootstrapAdministrator } from '../lib/ca';
import { writeFirstRunSecret } from '../lib/runtime/firstRunSecret';
import { openCa } from '../lib/runtime/openCa';

const FIRST_ADMIN = 'admin';

async function main(): Promise<number> {
  const opened = await openCa();
  if (!opened.ok) {
    console.error(JSON.stringify({ error: opened.error }, null, 2));
    return 1;
  }
  const { ca, close, activation, signing } = opened.value;
  // Said on every start, not only the first: the evaluation token must never pass for production.
  if (signing.notice) console.warn(`\n  仅供评估 / ${signing.notice}\n`);
  if (activation) {
    const { threshold, tokenLabel } = activation.status();
    console.log(`\n  token "${tokenLabel}": each process signs only after ${threshold} officers enter their shares (tqca hsm activate)\n`);
  }
  try {
    if ((await ca.prisma.operator.count()) > 0) return 0;
    const password = randomBytes(18).toString('base64url');
    const created = await bootstrapAdministrator(ca, { username: FIRST_ADMIN, displayName: '首任管理员 First administrator', password, oneTimePassword: true });
    if (!created.ok) {
      console.error(JSON.stringify({ error: created.error }, null, 2));
      return 1;
    }
    const file = writeFirstRunSecret(FIRST_ADMIN, password);
    console.log(
      [
        '',
        '  首次运行：已创建管理员 / First run: administrator created',
        `    username  ${FIRST_ADMIN}`,
        `    password  ${password}`,
        `  (one-time: also in ${file}, mode 0600, until you change it at the first sign-in or with \`tqca user passwd\`)`,
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    await close();
  }
}

process.exitCode = await main();
