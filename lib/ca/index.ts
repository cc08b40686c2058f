/**
 * The CA's service surface: what the command line, the console's route handlers, server actions and
 * pages, and the runtime opener may use. Everything else under lib/ca is internal to the CA
 * (test/layering.test.ts enforces that).
 */
export type { CaServices } from './services';
export { transact, refuse, refuseWith } from './transaction';
export { signDistributionRecord, type DistributionRecordInput, type SigningRootKey } from './distributionRecord';
export type { CaKey, CaKeys, KeyName } from './keys';
export { checkRole, systemNow, type Operator, type PublishableChange, type ServiceContext } from './context';
export { recoverAtStartup, type RecoveryReport } from './recovery';
export { enterSigningShare, lockSigning, type SigningActivation, type SigningStatus } from './activation';
export {
  authenticate,
  signInAtCommandLine,
  bootstrapAdministrator,
  changePassword,
  disableOperator,
  listOperators,
  MIN_PASSWORD_LENGTH,
  OperatorRole,
  OperatorStatus,
  USERNAME_PATTERN,
  type NewOperator,
  type OperatorView,
} from './operators';
export {
  approveOperatorChange,
  changeOperator,
  listOperatorChanges,
  rejectOperatorChange,
  type ChangeKind,
  type ChangeOutcome,
  type ChangeRequestView,
  type OperatorChange,
} from './operatorChanges';
export { governanceSeal, sealGovernance, type SealView } from './governance';
export { governanceReport, replayGovernance, type GovernanceReport } from './governanceReport';
export {
  approveWithdrawal,
  createInstitution,
  findInstitution,
  institutionHistory,
  InstitutionKind,
  InstitutionStatus,
  listInstitutions,
  parseContacts,
  rejectWithdrawal,
  setInstitutionStatus,
  updateInstitution,
  type Contact,
  type InstitutionChanges,
  type InstitutionEvent,
  type InstitutionRef,
  type InstitutionView,
  type NewInstitution,
} from './institutions';
export {
  approveCeremony,
  cancelCeremony,
  listCeremonies,
  listRootKeys,
  requestRootKeyChange,
  requestRootKeyCreation,
  type CeremonyView,
  type RootKeyChange,
  type RootKeyProposal,
  type RootKeyView,
} from './rootKeys';
export { announceLeadDaysFrom, formatIndex, MINIMUM_ANNOUNCE_LEAD_DAYS, formatRootKeyExpiry, parseRootKeyExpiry, type RootKeyEnvironment, type RootKeyState } from './rootKeyRules';
export {
  approveRequest,
  issueChallenge,
  listRequests,
  rejectRequest,
  reviewRequest,
  showRequest,
  submitRequest,
  type ChallengeView,
  type RequestFilter,
  type RequestState,
  type RequestView,
} from './requests';
export { issueCertificate } from './issuance';
export {
  fetchClientCertificate,
  ISSUER_CERTIFICATE_STATES,
  ISSUER_REQUEST_STATES,
  issueClientChallenge,
  listClientCertificates,
  listClientRequests,
  showClientRequest,
  submitClientRequest,
  type IssuerCertificateState,
  type IssuerCertificateSummary,
  type IssuerCertificateView,
  type IssuerRequestState,
  type IssuerRequestView,
} from './issuerApi';
export { approveRetarget, requestRetarget, type RetargetView } from './retargets';
export { checkHsmAtStartup, mayInitialiseToken, recordTokenInitialisation, type CheckedHsm } from './hsmCheck';
export {
  listAllocations,
  listCertificates,
  reasonOf,
  revokeCertificate,
  showCertificate,
  type AllocationState,
  type CertificateFilter,
  type CertificateStatus,
  type CertificateView,
} from './certificates';
export { CERTIFICATE_SORTS, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, searchCertificates, type CertificatePage, type CertificateSearch, type CertificateSort } from './certificateSearch';
export { requestDetail, type DecodedRequestRecord, type RequestDetail, type SubmissionCheck } from './requestDetail';
export { operatorNames, type OperatorName } from './operatorNames';
export { EXPIRY_WARNING_DAYS, applyTimeDrivenChanges, expiringCertificates, type ExpiryWarning, type ExpiryWarningTier, type TimeDrivenChanges } from './expiry';
export {
  ApiTokenScope,
  checkToken,
  createApiToken,
  LAST_USED_RESOLUTION_MS,
  listApiTokens,
  loadTokenRecord,
  parseApiToken,
  revokeApiToken,
  tokenStateMarker,
  touchApiToken,
  type ApiClient,
  type ApiTokenView,
  type NewApiToken,
  type PresentedToken,
  type TokenRecord,
} from './apiTokens';
export {
  distributionStatus,
  distributionThresholds,
  propagationSeconds,
  recordAcknowledgement,
  recordPolls,
  revocationPropagation,
  type Acknowledgement,
  type AcknowledgementView,
  type AcquirerDistribution,
  type AcquirerStatus,
  type DistributionQuery,
  type DistributionStatus,
  type DistributionThresholds,
  type PollCount,
  type RevocationPropagation,
  type UnacknowledgedAcquirer,
} from './distribution';
export {
  confirmSecondFactor,
  DEFAULT_SESSION_POLICY,
  STEP_UP_MAX_AGE_MS,
  endSession,
  requireFreshSecondFactor,
  resumeSession,
  sessionComplete,
  signIn,
  type ConsoleSession,
  type SessionPolicy,
  type SignInAttempt,
  type SignInContext,
} from './signIn';
export { beginEnrolment, confirmEnrolment, pendingEnrolment, type Enrolment, type SecondFactorContext } from './secondFactor';
export { readDashboard, type Dashboard, type ExpiringItem } from './dashboard';
export {
  approveAuditKey,
  checkpointDue,
  EXPORT_ROLES,
  exportLog,
  getAuditKey,
  requestAuditKey,
  runCheckpointSchedule,
  signLogCheckpoint,
  type AuditKeyView,
  type CheckpointSchedule,
  type LogExport,
  type StoredCheckpoint,
} from './auditLog';
export {
  AUDIT_PAGE_SIZE,
  auditEntry,
  EXPORT_FORMATS,
  listCheckpoints,
  searchAuditEntries,
  sizedExport,
  type AuditEntryDetail,
  type AuditEntrySummary,
  type AuditFilter,
  type CheckpointView,
  type CosignatureView,
  type Cursor,
  type ExportFormat,
  type InclusionView,
  type KeysetPage,
  type SizedExport,
} from './auditEntries';
export { LogWatch, verifyLiveLog, type LiveLogCheck, type LiveLogReport, type VerifiedLogState } from './logIntegrity';
export { addCosignatures, latestCheckpoint, listWitnessKeys, logConsistencyProof, registerWitnessKey, type LatestCheckpoint, type StoredCosignatures, type WitnessKeyView } from './witnesses';
export { reconcileWithLog, type Mismatch } from './reconcile';
