/**
 * Who may use each console entry point: the one table the handlers enforce (guardAction,
 * pageOperator) and the refusal-matrix test (test/browser/refusalMatrix.ts) reads. Pages and
 * actions missing here are still refused without a session, with an expired one and from another
 * site by the shared helpers; the table adds their roles and step-up.
 */
import type { OperatorRole } from '../ca';

export interface ActionAccess {
  /** Open without a session (only the same-origin check applies). */
  readonly public?: boolean;
  /** Open while the one-time password or the enrolment is still owed. */
  readonly pending?: boolean;
  /** One of these roles; absent: any operator with a complete session. */
  readonly roles?: readonly OperatorRole[];
  /** A second factor confirmed within the step-up window (requireFreshSecondFactor; 5 minutes or TQCA_STEP_UP_MAX_AGE_SECONDS). */
  readonly stepUp?: boolean;
}

const ADMIN: readonly OperatorRole[] = ['ADMIN'];
const INSTITUTION_STAFF: readonly OperatorRole[] = ['OFFICER', 'ADMIN'];
const OFFICER: readonly OperatorRole[] = ['OFFICER'];

/** Server actions by their exported name. */
export const ACTION_ACCESS = {
  setLocale: { public: true },
  changePassword: { pending: true },
  enrolSecondFactor: { pending: true },
  stepUp: {},
  requestOperatorChange: { roles: ADMIN },
  approveOperatorChange: { roles: ADMIN, stepUp: true },
  rejectOperatorChange: { roles: ADMIN },
  disableOperatorNow: { roles: ADMIN, stepUp: true },
  sealOperatorSet: { roles: ADMIN, stepUp: true },
  registerInstitution: { roles: INSTITUTION_STAFF },
  changeInstitutionStatus: { roles: INSTITUTION_STAFF },
  approveInstitutionWithdrawal: { roles: ['OFFICER'], stepUp: true },
  rejectInstitutionWithdrawal: { roles: INSTITUTION_STAFF },
  createInstitutionToken: { roles: ADMIN, stepUp: true },
  revokeInstitutionToken: { roles: ADMIN, stepUp: true },
  // The officers' dual-controlled steps (app/officerActions.ts): approvals, ceremony steps, issuance, revocation, share entry.
  approveCeremonyAction: { roles: OFFICER, stepUp: true },
  approveRequestAction: { roles: OFFICER, stepUp: true },
  cancelCeremonyAction: { roles: OFFICER, stepUp: true },
  enterShareAction: { roles: OFFICER, stepUp: true },
  issueRequestAction: { roles: OFFICER, stepUp: true },
  rejectRequestAction: { roles: OFFICER, stepUp: true },
  requestRootKeyAction: { roles: OFFICER, stepUp: true },
  requestRootKeyChangeAction: { roles: OFFICER, stepUp: true },
  reviewRequestAction: { roles: OFFICER, stepUp: true },
  revokeCertificateAction: { roles: OFFICER, stepUp: true },
  // Locking only reduces what the CA can do: no step-up.
  lockSigningAction: { roles: INSTITUTION_STAFF },
} as const satisfies Record<string, ActionAccess>;

export type ActionName = keyof typeof ACTION_ACCESS;

/** Pages and cookie-authenticated route handlers (app/(console) routes) that only some roles open; every other one opens for any complete session. */
export const PAGE_ROLES: Readonly<Record<string, readonly OperatorRole[]>> = {
  '/operators': ['ADMIN', 'AUDITOR'],
  '/institutions': ['ADMIN', 'OFFICER', 'AUDITOR'],
  '/institutions/[id]': ['ADMIN', 'OFFICER', 'AUDITOR'],
  '/api-tokens': ['ADMIN', 'AUDITOR'],
  '/requests': ['OFFICER', 'AUDITOR'],
  '/requests/[id]': ['OFFICER', 'AUDITOR'],
  '/certificates': ['OFFICER', 'AUDITOR'],
  '/certificates/[number]': ['OFFICER', 'AUDITOR'],
  '/certificates/[number]/download': ['OFFICER', 'AUDITOR'],
  '/distribution': ['ADMIN', 'OFFICER', 'AUDITOR'],
  // The audit log: read by everyone, exported by auditors and officers (exportLog's EXPORT_ROLES).
  '/audit': ['ADMIN', 'OFFICER', 'AUDITOR'],
  '/audit/[sequence]': ['ADMIN', 'OFFICER', 'AUDITOR'],
  '/audit/checkpoints': ['ADMIN', 'OFFICER', 'AUDITOR'],
  '/audit/export': ['AUDITOR', 'OFFICER'],
  '/bundles': ['ADMIN', 'OFFICER', 'AUDITOR'],
  '/bundles/[version]': ['ADMIN', 'OFFICER', 'AUDITOR'],
  '/bundles/[version]/download': ['ADMIN', 'OFFICER', 'AUDITOR'],
};
