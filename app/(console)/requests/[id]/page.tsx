// One request: the decoded A1 record, the key fingerprint for the out-of-band read-back, the
// proof of possession verified again, the §8 checks, and the officer's next step. Review and
// approval are two officers: the reviewer is not offered the approve form (the service refuses anyway).
import { getFormatter, getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { ActionForm } from '../../../../components/ActionForm';
import { cstTime, hexClass, nameOf } from '../../../../components/caText';
import { FormErrorStatic } from '../../../../components/FormErrorStatic';
import { cardClass } from '../../../../components/ui';
import { FactList, factListClass, type Fact } from '../../../../components/FactList';
import { checkRole, listRootKeys, operatorNames, requestDetail } from '../../../../lib/ca';
import { Code } from '../../../../lib/errors';
import { consoleServices } from '../../../../lib/server/ca';
import { PAGE_ROLES } from '../../../../lib/server/access';
import { pageOperator } from '../../../../lib/server/session';
import { approveRequestAction, issueRequestAction, rejectRequestAction, reviewRequestAction } from '../../../officerActions';

export default async function RequestPage({ params }: { params: Promise<{ id: string }> }) {
  const allowed = await pageOperator(PAGE_ROLES['/requests/[id]']!, 'see certificate requests');
  if (!allowed.ok) return <FormErrorStatic error={allowed.error} />;
  const me = allowed.value;
  const officer = checkRole(me, ['OFFICER'], 'act').ok;
  const t = await getTranslations('caRequests');
  const format = await getFormatter();
  const { id: idText } = await params;
  if (!/^\d{1,9}$/.test(idText)) return <FormErrorStatic error={{ code: Code.REQUEST_UNKNOWN, message: `no request ${idText}`, field: 'requestId' }} />;
  const { ca } = await consoleServices();
  const found = await requestDetail(ca, Number(idText));
  if (!found.ok) return <FormErrorStatic error={found.error} />;
  const { request: r, record, proofOfPossessionValid, submissionChecks } = found.value;
  const names = await operatorNames(ca, [r.reviewedBy, r.approvedBy]);
  const activeKeys = (await listRootKeys(ca)).filter((k) => k.state === 'ACTIVE');
  const path = `/requests/${r.id}`;
  const hidden = { requestId: String(r.id) };
  const reviewed = r.reviewedBy !== null;
  const rows: Fact[] = [
    [t('issuer'), record.issuerId, 'font-mono'],
    [t('serial'), String(record.serial), 'font-mono'],
    [t('expiry'), record.expiry, 'font-mono'],
    [t('publicKeyX'), record.publicKeyX, hexClass],
    [t('publicKeyY'), record.publicKeyY, hexClass],
    [t('challenge'), record.challenge, hexClass],
    [t('requestTime'), cstTime(format, record.requestTime), 'font-mono'],
    [t('proofOfPossession'), record.proofOfPossession, hexClass],
  ];

  return (
    <div className="space-y-6">
      <p><Link href="/requests" className="text-sm text-sky-800 underline">{t('back')}</Link></p>
      <h1 className="text-2xl font-semibold">{t('detailTitle', { id: r.id })}</h1>
      <section className={cardClass} aria-labelledby="status-title">
        <h2 id="status-title" className="text-lg font-semibold">{t('progress')}</h2>
        <dl className={factListClass} data-testid="request-status">
          <dt className="font-medium">{t('stateLabel')}</dt>
          <dd data-state={r.state}>{t(`state.${r.state}`)}</dd>
          <dt className="font-medium">{t('submitted')}</dt>
          <dd>{cstTime(format, r.submittedAt)}</dd>
          <dt className="font-medium">{t('reviewer')}</dt>
          <dd>{reviewed ? t('reviewedAt', { who: nameOf(names, r.reviewedBy), when: cstTime(format, r.fingerprintConfirmedAt!) }) : t('notYet')}</dd>
          <dt className="font-medium">{t('approver')}</dt>
          <dd>{r.approvedBy !== null ? t('approvedWith', { who: nameOf(names, r.approvedBy), index: r.rootKeyIndex ?? '—' }) : t('notYet')}</dd>
          {r.certificateNumber ? (
            <>
              <dt className="font-medium">{t('certificate')}</dt>
              <dd><Link href={`/certificates/${r.certificateNumber}`} className="font-mono text-sky-800 underline" data-testid="certificate-link">{r.certificateNumber}</Link></dd>
            </>
          ) : null}
          {r.rejection ? (
            <>
              <dt className="font-medium">{t('rejection')}</dt>
              <dd>{r.rejection.code}: {r.rejection.reason}</dd>
            </>
          ) : null}
        </dl>
      </section>

      <section className={cardClass} aria-labelledby="fingerprint-title">
        <h2 id="fingerprint-title" className="text-lg font-semibold">{t('fingerprintTitle')}</h2>
        <p className="mt-1 text-sm text-slate-700">{t('fingerprintIntro')}</p>
        <p className="mt-2 font-mono text-lg tracking-wider" data-testid="fingerprint">{r.fingerprint}</p>
        {officer && r.state === 'SUBMITTED' && !reviewed ? (
          <div className="mt-3 max-w-md">
            <ActionForm
              action={reviewRequestAction}
              id="review"
              hidden={hidden}
              fields={[{ name: 'fingerprint', label: t('heardFingerprint'), hint: t('heardHint'), mono: true }]}
              submitLabel={t('review')}
              doneLabel={t('reviewDone')}
              returnPath={path}
            />
          </div>
        ) : null}
      </section>

      {officer && r.state === 'SUBMITTED' && reviewed ? (
        <section className={cardClass} aria-labelledby="approve-title">
          <h2 id="approve-title" className="text-lg font-semibold">{t('approveTitle')}</h2>
          {r.reviewedBy === me.id ? (
            <p className="mt-1 text-sm text-slate-700" data-testid="awaiting-second">{t('awaitingSecond')}</p>
          ) : activeKeys.length === 0 ? (
            <p className="mt-1 text-sm text-slate-700">{t('noActiveKey')}</p>
          ) : (
            <div className="mt-2 max-w-md">
              <ActionForm
                action={approveRequestAction}
                id="approve"
                hidden={hidden}
                fields={[{ name: 'rootKeyIndex', label: t('rootKey'), kind: 'select', options: activeKeys.map((k) => ({ value: k.index, label: `${k.index} (${k.expiry})` })) }]}
                submitLabel={t('approveIssue')}
                pendingLabel={t('signing')}
                doneLabel={t('issued')}
                returnPath={path}
              />
            </div>
          )}
        </section>
      ) : null}

      {officer && r.state === 'APPROVED' ? (
        <section className={cardClass} aria-labelledby="issue-title">
          <h2 id="issue-title" className="text-lg font-semibold">{t('issueTitle')}</h2>
          <p className="mt-1 text-sm text-slate-700">{t('issueIntro')}</p>
          <div className="mt-2">
            <ActionForm action={issueRequestAction} id="issue" hidden={hidden} submitLabel={t('issue')} pendingLabel={t('signing')} doneLabel={t('issued')} returnPath={path} />
          </div>
        </section>
      ) : null}

      <section className={cardClass} aria-labelledby="checks-title">
        <h2 id="checks-title" className="text-lg font-semibold">{t('checksTitle')}</h2>
        <p className={`mt-2 text-sm font-medium ${proofOfPossessionValid ? 'text-emerald-800' : 'text-red-800'}`} data-testid="pop">
          {proofOfPossessionValid ? t('popValid') : t('popInvalid')}
        </p>
        <p className="mt-2 text-sm text-slate-700">{t('checksIntro')}</p>
        <ul className="mt-1 text-sm" data-testid="checks">
          {submissionChecks.map((c) => (
            <li key={c} className="text-emerald-800">✓ {t(`check.${c}`)} <span className="font-mono text-xs">({c})</span><span className="sr-only"> {t('passed')}</span></li>
          ))}
        </ul>
      </section>

      <section className={cardClass} aria-labelledby="record-title">
        <h2 id="record-title" className="text-lg font-semibold">{t('recordTitle')}</h2>
        <FactList facts={rows} testId="a1-fields" />
      </section>

      {officer && (r.state === 'SUBMITTED' || r.state === 'APPROVED') ? (
        <section className={cardClass} aria-labelledby="reject-title">
          <h2 id="reject-title" className="text-lg font-semibold">{t('rejectTitle')}</h2>
          <div className="mt-2 max-w-md">
            <ActionForm action={rejectRequestAction} id="reject" hidden={hidden} fields={[{ name: 'reason', label: t('reason') }]} submitLabel={t('reject')} doneLabel={t('rejected')} returnPath={path} danger />
          </div>
        </section>
      ) : null}
    </div>
  );
}
