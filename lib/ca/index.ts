/**
 * The CA's service surface: what the command line, the console's route handlers, server actions and
 * pages, and the runtime opener may use. Everything else under lib/ca is internal to the CA
 * (test/layering.test.ts enforces that).
 */
export type { CaServices } from './services';
export type { CaKey, CaKeys, KeyName } from './keys';
export { systemNow, type Operator, type ServiceContext } from './context';
export { recoverAtStartup, type RecoveryReport } from './recovery';
export { enterSigningShare, lockSigning, type SigningActivation, type SigningStatus } from './activation';
export {
  authenticate,
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
  InstitutionKind,
  InstitutionStatus,
  listInstitutions,
  parseContacts,
  rejectWithdrawal,
  setInstitutionStatus,
  updateInstitution,
  type Contact,
  type InstitutionChanges,
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
  type RootKeyProposal,
  type RootKeyView,
} from './rootKeys';
export { formatIndex, formatRootKeyExpiry, parseRootKeyExpiry, type RootKeyEnvironment, type RootKeyState } from './rootKeyRules';
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
export { approveRetarget, requestRetarget, type RetargetView } from './retargets';
export { checkHsmAtStartup, mayInitialiseToken, recordTokenInitialisation, type CheckedHsm } from './hsmCheck';
export {
  listAllocations,
  listCertificates,
  revokeCertificate,
  showCertificate,
  type AllocationState,
  type CertificateFilter,
  type CertificateStatus,
  type CertificateView,
} from './certificates';
export { EXPIRY_WARNING_DAYS, expiringCertificates, type ExpiryWarning, type ExpiryWarningTier } from './expiry';
export {
  approveAuditKey,
  checkpointDue,
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
export { LogWatch, verifyLiveLog, type LiveLogReport } from './logIntegrity';
export { reconcileWithLog, type Mismatch } from './reconcile';
