/**
 * The publication pipeline (TQ-CERT-1 §12): bundle versions built from the CA's state, verified
 * with the client algorithm against their predecessor, stored immutably; and what the
 * distribution API serves from them. Everything here reads stored bundles — nothing is built
 * per request.
 */
export { DEFAULT_PUBLICATION_POLICY, type PublicationPolicy, type PublicationReason } from './policy';
export { publish, publishAsOperator, type PublishOptions, type PublishOutcome } from './publish';
export {
  bodySm3OfVersion,
  bundleByVersion,
  currentRevocationList,
  deltaBetween,
  latestManifest,
  listBundles,
  rootRecords,
  type BundleSummary,
  type LatestManifest,
  type PublishedRoots,
  type RootRecord,
} from './reads';
export { startPublicationScheduler, type PublicationScheduler, type SchedulerOptions } from './scheduler';
export { BUNDLE_CHANGE_KINDS, countChanges, diffBundles, rootRole, type BundleChange, type BundleChangeKind, type RootRole } from './bundleDiff';
export {
  BUNDLES_PER_PAGE,
  bundleChanges,
  bundleDetail,
  bundlePage,
  publicationOutlook,
  rootKeyFirstDistribution,
  type BundlePage,
  type BundleRow,
  type ExpiryTier,
  type PublicationOutlook,
  type RootDistribution,
} from './history';
export { rolloverTimeline, type RolloverFacts, type RolloverKey, type RolloverPhase, type RolloverSpan } from './rollover';
