export { appendAuditEvent, type AuditActor, type AuditEventInput, type AppendedEvent } from './append';
export { CHAIN_VERSION, GENESIS_HASH, SYSTEM_ACTOR, encodeEvent, eventHash, type ChainedFields } from './chain';
export { canonicalJson, normalizeJson, type CanonicalJson } from './canonicalJson';
export { verifyChain, verifyStoredChain, type StoredEvent, type VerifiedChain, type ChainAnchor } from './verify';
