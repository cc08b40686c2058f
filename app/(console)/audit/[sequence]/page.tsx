// One audit log entry: its fields, its canonical JSON (the export line), and its inclusion proof
// against the latest checkpoint, made from the stored leaves and verified on the server.
import { getFormatter, getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { cstTime, hexClass } from '../../../../components/caText';
import { FormErrorStatic } from '../../../../components/FormErrorStatic';
import { cardClass } from '../../../../components/ui';
import { FactList, type Fact } from '../../../../components/FactList';
import { auditEntry } from '../../../../lib/ca';
import { Code } from '../../../../lib/errors';
import { consoleServices } from '../../../../lib/server/ca';
import { pageOperatorFor } from '../../../../lib/server/session';
import { parseSequence } from '../query';

const preClass = 'mt-2 overflow-x-auto whitespace-pre-wrap break-all rounded bg-slate-100 p-3 font-mono text-xs text-slate-900';

export default async function AuditEntryPage({ params }: { params: Promise<{ sequence: string }> }) {
  const allowed = await pageOperatorFor('/audit/[sequence]');
  if (!allowed.ok) return <FormErrorStatic error={allowed.error} />;
  const t = await getTranslations('auditLog');
  const format = await getFormatter();
  const { sequence } = await params;
  const seq = parseSequence(sequence);
  if (seq === null) return <FormErrorStatic error={{ code: Code.AUDIT_ENTRY_UNKNOWN, message: `no audit log entry ${sequence}`, field: 'sequence' }} />;
  const found = await auditEntry((await consoleServices()).ca, allowed.value.operator, seq);
  if (!found.ok) return <FormErrorStatic error={found.error} />;
  const e = found.value;
  const facts: Fact[] = [
    [t('sequence'), e.seq, 'font-mono'],
    [t('time'), cstTime(format, e.time)],
    [t('actor'), e.actorId === null ? e.actor : `${e.actor} (#${e.actorId})`],
    [t('action'), e.action, 'font-mono'],
    [t('object'), `${e.objectType}:${e.objectId}`, 'font-mono break-all'],
    [t('detail.prevHash'), e.prevHash, hexClass],
    [t('detail.hash'), `${e.hash} · ${t(e.hashVerified ? 'detail.hashVerified' : 'detail.hashMismatch')}`, hexClass],
    [t('detail.leafHash'), e.leafHash, hexClass],
  ];
  const p = e.inclusion;
  return (
    <div className="space-y-6">
      <p><Link href="/audit" className="text-sm text-sky-800 underline">{t('back')}</Link></p>
      <h1 className="text-2xl font-semibold">{t('detail.title', { seq: e.seq })}</h1>
      <section className={cardClass} aria-labelledby="entry-facts-title">
        <h2 id="entry-facts-title" className="text-lg font-semibold">{t('detail.facts')}</h2>
        <FactList facts={facts} testId="audit-entry-facts" />
        <h3 className="mt-4 font-semibold">{t('detail.details')}</h3>
        <pre className={preClass} data-testid="audit-entry-details">{e.details}</pre>
        <h3 className="mt-4 font-semibold">{t('detail.line')}</h3>
        <pre className={preClass} data-testid="audit-entry-line">{e.line}</pre>
      </section>
      <section className={cardClass} aria-labelledby="inclusion-title" data-testid="inclusion-proof" data-verified={p?.verified ? 'true' : 'false'}>
        <h2 id="inclusion-title" className="text-lg font-semibold">{t('proof.title')}</h2>
        {p === null ? (
          <p className="mt-2 text-sm">{t('proof.notCovered')}</p>
        ) : (
          <>
            <p className={`mt-2 rounded-md border px-3 py-2 text-sm font-semibold ${p.verified ? 'border-emerald-300 bg-emerald-50 text-emerald-900' : 'border-red-300 bg-red-50 text-red-900'}`}>
              {p.verified ? t('proof.verified', { size: p.checkpointSize }) : t('proof.failed', { size: p.checkpointSize })}
              {p.failure ? <> <code className="font-mono text-xs">{p.failure.code}</code>: {p.failure.message}</> : null}
            </p>
            <h3 className="mt-4 font-semibold">{t('proof.path', { count: p.path.length })}</h3>
            <ol className="mt-2 list-decimal pl-6 font-mono text-xs break-all" data-testid="audit-path">
              {p.path.map((h, i) => <li key={i}>{h}</li>)}
            </ol>
            <h3 className="mt-4 font-semibold">{t('proof.checkpoint', { size: p.checkpointSize })}</h3>
            <pre className={preClass} data-testid="proof-checkpoint">{p.checkpoint}</pre>
            <details className="mt-4">
              <summary className="cursor-pointer text-sm font-medium text-sky-800">{t('proof.text')}</summary>
              <pre className={preClass} data-testid="proof-text">{p.proof}</pre>
            </details>
          </>
        )}
      </section>
    </div>
  );
}
