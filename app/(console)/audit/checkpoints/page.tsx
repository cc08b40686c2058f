// The signed checkpoints of the log, largest first, each with its witnesses' cosignatures.
import { getFormatter, getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { cstTime, hexClass, tdClass } from '../../../../components/caText';
import { DataTable, rowClass } from '../../../../components/DataTable';
import { FormErrorStatic } from '../../../../components/FormErrorStatic';
import { LogVerification } from '../../../../components/LogVerification';
import { Pagination } from '../../../../components/Pagination';
import { cardClass } from '../../../../components/ui';
import { listCheckpoints } from '../../../../lib/ca';
import { consoleServices, lastLogCheck } from '../../../../lib/server/ca';
import { pageOperatorFor } from '../../../../lib/server/session';
import { parseCursor, type AuditQuery } from '../query';

export default async function CheckpointsPage({ searchParams }: { searchParams: Promise<AuditQuery> }) {
  const allowed = await pageOperatorFor('/audit/checkpoints');
  if (!allowed.ok) return <FormErrorStatic error={allowed.error} />;
  const t = await getTranslations('auditLog');
  const format = await getFormatter();
  const cursor = parseCursor(await searchParams);
  if (!cursor.ok) return <FormErrorStatic error={cursor.error} />;
  const found = await listCheckpoints((await consoleServices()).ca, allowed.value.operator, cursor.value);
  if (!found.ok) return <FormErrorStatic error={found.error} />;
  const { rows, older, newer } = found.value;
  return (
    <div className="space-y-6">
      <p><Link href="/audit" className="text-sm text-sky-800 underline">{t('back')}</Link></p>
      <h1 className="text-2xl font-semibold">{t('checkpoints.title')}</h1>
      <LogVerification check={await lastLogCheck()} />
      <section className={cardClass} aria-labelledby="checkpoints-title">
        <h2 id="checkpoints-title" className="text-lg font-semibold">{t('checkpoints.listTitle')}</h2>
        {rows.length === 0 ? <p className="mt-2 text-sm">{t('checkpoints.empty')}</p> : (
          <DataTable testId="checkpoints" caption={t('checkpoints.listTitle')} columns={[t('checkpoints.size'), t('checkpoints.signedAt'), t('checkpoints.root'), t('checkpoints.cosignatures')]}>
            {rows.map((c) => (
              <tr key={c.size} className={rowClass} data-testid="checkpoint-row" data-size={c.size}>
                <td className={`${tdClass} font-mono`}>{c.size}</td>
                <td className={tdClass}>{cstTime(format, c.signedAt)}</td>
                <td className={tdClass}>
                  <span className={hexClass}>{c.root}</span>
                  <details className="mt-1">
                    <summary className="cursor-pointer text-xs font-medium text-sky-800">{t('checkpoints.note')}</summary>
                    <pre className="mt-1 whitespace-pre-wrap break-all font-mono text-xs">{c.note}</pre>
                  </details>
                </td>
                <td className={tdClass}>
                  {c.cosignatures.length === 0 ? <span>{t('checkpoints.none')}</span> : (
                    <ul className="space-y-1">
                      {c.cosignatures.map((s) => (
                        <li key={s.witness + s.keyId} data-testid="cosignature" data-witness={s.witness}>
                          <span className="font-medium">{s.witness}</span> <span className={hexClass}>{s.keyId}</span>
                          <br /><span className="text-xs">{t('checkpoints.cosignedAt', { at: cstTime(format, s.timestamp) })}</span>
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
        <Pagination path="/audit/checkpoints" query={{}} page={1} pages={1}
          keyset={{ previous: newer ? { after: newer } : null, next: older ? { before: older } : null }}
          labels={{ nav: t('pages'), previous: t('newer'), next: t('older'), page: '' }} />
      </section>
    </div>
  );
}
