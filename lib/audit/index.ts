export { appendAuditEvent, type AuditActor, type AuditEventInput, type AppendOptions, type AppendedEvent } from './append';
export { CHAIN_VERSION, GENESIS_HASH, SYSTEM_ACTOR, chainAndLeafHash, encodeEvent, eventHash, writeEventHead, type ChainedFields } from './chain';
export { canonicalJson, isSurelyCanonicalAsciiJson, isSurelyCanonicalJson, normalizeJson, type CanonicalJson } from './canonicalJson';
export { verifyChain, verifyStoredChain, type StoredEvent, type VerifiedChain, type ChainAnchor } from './verify';
export { CompactRange, emptyRoot, leafHash, nodeHash, SM3_TREE, type CompactRangeState, type TreeHash } from './tree';
export { anticipatedHead, firstWrongNode, storedTree, StoredNodes, unpackTree, type ChainHead } from './treeStore';
