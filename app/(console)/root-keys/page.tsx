// Root keys and their ceremonies (dual control: one officer requests, another approves; the
// services refuse the requester, and the page does not offer them the approve button).
import { getFormatter, getTranslations } from 'next-intl/server';
import { ActionForm } from '../../../components/ActionForm';
import { cstTime, hexClass, nameOf, tableClass, tdClass, thClass } from '../../../components/caText';
import { FormErrorStatic } from '../../../components/FormErrorStatic';
import { RolloverTimeline } from '../../../components/RolloverTimeline';
import { ROOT_KEY_TRANSITIONS } from '../../../components/rootKeyTransitions';
import { cardClass } from '../../../components/ui';
import { factListClass } from '../../../components/FactList';
import { checkRole, listCeremonies, listRootKeys, MINIMUM_ANNOUNCE_LEAD_DAYS, operatorNames, type CeremonyView, type RootKeyView } from '../../../lib/ca';
import { rolloverTimeline, rootKeyFirstDistribution } from '../../../lib/publication';
import { consoleServices } from '../../../lib/server/ca';
import { pageOperator } from '../../../lib/server/session';
import { approveCeremonyAction, cancelCeremonyAction, requestRootKeyAction, requestRootKeyChangeAction } from '../../officerActions';

const PATH = '/root-keys';

export default async function RootKeysPage() {
  const allowed = await pageOperator(['OFFICER', 'AUDITOR', 'ADMIN'], 'see root keys');
  if (!allowed.ok) return <FormErrorStatic error={allowed.error} />;
  const me = allowed.value;
  const officer = checkRole(me, ['OFFICER'], 'act').ok;
  const t = await getTranslations('caRootKeys');
  const format = await getFormatter();
  const { ca } = await consoleServices();
  const [keys, ceremonies, firstDistribution] = await Promise.all([listRootKeys(ca), listCeremonies(ca), rootKeyFirstDistribution(ca)]);
  const names = await operatorNames(ca, [...keys.flatMap((k) => [k.createdBy, k.activatedBy, k.retiredBy]), ...ceremonies.flatMap((c) => [c.requestedBy, c.approvedBy])]);
  const open = ceremonies.filter((c) => c.status === 'PENDING' || c.status === 'APPROVED');
  const closed = ceremonies.filter((c) => !open.includes(c)).reverse();
  const pendingFor = (index: string) => open.some((c) => c.rootKeyIndex === index);
  const leadDays = ca.rootKeyAnnounceLeadDays ?? MINIMUM_ANNOUNCE_LEAD_DAYS;
  const now = ca.now();
  const activationsOpen = new Set(open.filter((c) => c.action === 'ACTIVATE' && c.rootKeyIndex !== null).map((c) => c.rootKeyIndex!));
  const timeline = rolloverTimeline({ keys, firstDistribution, activationsOpen, leadDays, now });
  const parameters = (c: CeremonyView) => {
    const p = c.parameters as { environment?: string; expiry?: string };
    return c.action === 'CREATE' && p.expiry ? t('createParameters', { environment: t(`environment.${p.environment}` as 'environment.TEST'), expiry: p.expiry }) : '';
  };

  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">{t('title')}</h1>

      <section className={cardClass} aria-labelledby="keys-title">
        <h2 id="keys-title" className="text-lg font-semibold">{t('keysTitle')}</h2>
        {keys.length === 0 ? <p className="mt-2 text-sm text-slate-700">{t('noKeys')}</p> : null}
        <ul className="mt-3 space-y-4" data-testid="root-keys">
          {keys.map((k) => (
            <RootKeyItem key={k.index} k={k} officer={officer} pending={pendingFor(k.index)} created={nameOf(names, k.createdBy)} activated={nameOf(names, k.activatedBy)} t={t} />
          ))}
        </ul>
      </section>

      <section className={cardClass}>
        <RolloverTimeline keys={timeline} leadDays={leadDays} now={now} />
      </section>

      <section className={cardClass} aria-labelledby="open-title">
        <h2 id="open-title" className="text-lg font-semibold">{t('openTitle')}</h2>
        <p className="mt-1 text-sm text-slate-700">{t('openIntro')}</p>
        {open.length === 0 ? <p className="mt-2 text-sm text-slate-700">{t('noOpen')}</p> : null}
        <ul className="mt-3 space-y-4" data-testid="open-ceremonies">
          {open.map((c) => (
            <li key={c.id} className="rounded-md border border-slate-200 p-4" data-ceremony={c.id} data-action={c.action}>
              <h3 className="font-semibold">{t('ceremonyHeading', { id: c.id, action: t(`action.${c.action}`), index: c.rootKeyIndex ?? '—' })}</h3>
              <p className="text-sm text-slate-700">{parameters(c)}</p>
              <p className="text-sm" data-testid="requested-by">{t('requestedBy', { who: nameOf(names, c.requestedBy), when: cstTime(format, c.requestedAt) })}</p>
              <p className="text-sm font-medium">{t(`status.${c.status}` as 'status.PENDING')}</p>
              {officer && c.status === 'PENDING' ? (
                c.requestedBy === me.id ? (
                  <div className="mt-2 space-y-2">
                    <p className="text-sm text-slate-700" data-testid="awaiting-second">{t('awaitingSecond')}</p>
                    <ActionForm action={cancelCeremonyAction} id={`cancel-${c.id}`} hidden={{ ceremonyId: String(c.id) }} submitLabel={t('cancel')} returnPath={PATH} danger />
                  </div>
                ) : (
                  <div className="mt-2">
                    <ActionForm
                      action={approveCeremonyAction}
                      id={`approve-${c.id}`}
                      hidden={{ ceremonyId: String(c.id) }}
                      submitLabel={t('approve')}
                      pendingLabel={c.action === 'CREATE' ? t('generating') : undefined}
                      doneLabel={t('approved')}
                      returnPath={PATH}
                    />
                  </div>
                )
              ) : null}
            </li>
          ))}
        </ul>
      </section>

      {officer ? (
        <section className={cardClass} aria-labelledby="new-title">
          <h2 id="new-title" className="text-lg font-semibold">{t('newTitle')}</h2>
          <ol className="mt-1 mb-3 list-decimal space-y-1 pl-5 text-sm text-slate-700">
            <li>{t('step1')}</li>
            <li>{t('step2')}</li>
            <li>{t('step3')}</li>
          </ol>
          <div className="max-w-md">
            <ActionForm
              action={requestRootKeyAction}
              id="new-root-key"
              fields={[
                { name: 'index', label: t('index'), hint: t('indexHint'), mono: true },
                { name: 'environment', label: t('environmentLabel'), kind: 'select', options: (['TEST', 'PRODUCTION'] as const).map((e) => ({ value: e, label: t(`environment.${e}`) })) },
                { name: 'expiry', label: t('expiry'), kind: 'date', hint: t('expiryHint') },
              ]}
              submitLabel={t('request')}
              doneLabel={t('requested')}
              returnPath={PATH}
            />
          </div>
        </section>
      ) : null}

      <section className={`${cardClass} overflow-x-auto`} aria-labelledby="history-title">
        <h2 id="history-title" className="text-lg font-semibold">{t('historyTitle')}</h2>
        <table className={`${tableClass} mt-3`} data-testid="ceremony-history">
          <caption className="sr-only">{t('historyTitle')}</caption>
          <thead>
            <tr className="border-b border-slate-300">
              <th scope="col" className={thClass}>{t('ceremony')}</th>
              <th scope="col" className={thClass}>{t('actionLabel')}</th>
              <th scope="col" className={thClass}>{t('statusLabel')}</th>
              <th scope="col" className={thClass}>{t('people')}</th>
              <th scope="col" className={thClass}>{t('checks')}</th>
            </tr>
          </thead>
          <tbody>
            {closed.map((c) => (
              <tr key={c.id} className="border-b border-slate-200" data-ceremony={c.id}>
                <td className={tdClass}>{c.id} · {c.rootKeyIndex ?? '—'}</td>
                <td className={tdClass}>{t(`action.${c.action}`)}</td>
                <td className={tdClass}>
                  {t(`status.${c.status}` as 'status.PENDING')}
                  {c.failure ? <span className="block font-mono text-xs text-red-800">{c.failure.code}</span> : null}
                </td>
                <td className={tdClass}>
                  {t('requestedBy', { who: nameOf(names, c.requestedBy), when: cstTime(format, c.requestedAt) })}
                  {c.approvedBy !== null ? <span className="block">{t('approvedBy', { who: nameOf(names, c.approvedBy) })}</span> : null}
                </td>
                <td className={tdClass}>
                  <ul>
                    {(c.checks ?? []).map((r) => (
                      <li key={r.check} className={r.passed ? 'text-emerald-800' : 'text-red-800'}>
                        {r.passed ? '✓' : '✗'} <span className="font-mono text-xs">{r.check}</span>
                        <span className="sr-only">{r.passed ? t('passed') : t('failed')}</span>
                        {r.code ? <span className="font-mono text-xs"> {r.code}</span> : null}
                      </li>
                    ))}
                  </ul>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}

type Translate = Awaited<ReturnType<typeof getTranslations<'caRootKeys'>>>;

function RootKeyItem({ k, officer, pending, created, activated, t }: { k: RootKeyView; officer: boolean; pending: boolean; created: string; activated: string; t: Translate }) {
  const transitions = ROOT_KEY_TRANSITIONS.filter((tr) => tr.from === k.state);
  return (
    <li className="rounded-md border border-slate-200 p-4" data-index={k.index} data-state={k.state}>
      <h3 className="font-semibold">{t('keyHeading', { index: k.index, environment: t(`environment.${k.environment}`), state: t(`state.${k.state}` as 'state.PENDING') })}</h3>
      <dl className={factListClass}>
        <dt className="font-medium">{t('expiry')}</dt>
        <dd>{k.expiry}</dd>
        <dt className="font-medium">{t('checkValue')}</dt>
        <dd className={hexClass} data-testid="check-value">{k.checkValue}</dd>
        <dt className="font-medium">{t('createdBy')}</dt>
        <dd>{created}</dd>
        <dt className="font-medium">{t('activatedBy')}</dt>
        <dd>{activated}</dd>
      </dl>
      <details className="mt-2">
        <summary className="cursor-pointer text-sm font-medium text-sky-800">{t('handover')}</summary>
        <p className="mt-1 text-sm text-slate-700">{t('handoverIntro')}</p>
        <dl className="mt-2 space-y-1 text-sm">
          <dt className="font-medium">{t('a2Record')}</dt>
          <dd className={hexClass} data-testid="a2-record">{k.a2Record}</dd>
          <dt className="font-medium">{t('publicKey')}</dt>
          <dd className={hexClass}>{k.publicKey}</dd>
          <dt className="font-medium">{t('hsmLabel')}</dt>
          <dd className="font-mono text-xs">{k.hsmKeyLabel}</dd>
        </dl>
      </details>
      {officer && !pending
        ? transitions.map((tr) => (
            <div key={tr.change} className="mt-3">
              <ActionForm
                action={requestRootKeyChangeAction}
                id={`${tr.change.toLowerCase()}-${k.index}`}
                hidden={{ index: k.index, change: tr.change }}
                submitLabel={t(`requestChange.${tr.change}`)}
                doneLabel={t('requested')}
                returnPath={PATH}
                danger={tr.change === 'RETIRE'}
              />
            </div>
          ))
        : null}
    </li>
  );
}
