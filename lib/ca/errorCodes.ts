/**
 * Every error code the CA services report themselves, with a one-line meaning (codes from
 * lib/codec, hsm/ and lib/audit pass through unchanged). Stable: the CLI, the console and audit
 * details key on them.
 */
export const CA_ERROR_CODES = {
  // Authorisation
  DUAL_CONTROL_SAME_OFFICER: 'the approver is the officer who requested, reviewed or (for activation) created',
  OPERATOR_NOT_OFFICER: 'a ceremony participant is not an active officer',
  OPERATOR_FORBIDDEN: 'the operator holds none of the roles the action needs',
  OPERATOR_DISABLED: 'the acting operator was disabled after signing in',
  AUTHENTICATION_FAILED: 'unknown operator, wrong password or disabled operator (one answer for all three)',
  // Operators
  OPERATOR_INVALID: 'a new operator’s username, display name, password length or roles are malformed',
  PASSWORD_TOO_SHORT: 'the password has fewer than 12 characters',
  OPERATOR_EXISTS: 'an operator with this username exists',
  OPERATOR_NOT_FOUND: 'no operator has this username',
  OPERATOR_BOOTSTRAP_DONE: 'operators exist already: the first administrator is created once',
  OPERATOR_LAST_ADMIN: 'the last active administrator cannot be disabled',
  // Institutions
  INSTITUTION_INVALID: 'unknown kind, empty Chinese name, no reason for a status change, or nothing to change',
  CONTACTS_INVALID: 'contacts are not an array of { name, role?, email?, phone? } with valid values',
  INSTITUTION_CODE_INVALID: 'an institution code is not 4 bytes, or is 00000000 or FFFFFFFF',
  INSTITUTION_CODE_TAKEN: 'an institution of this kind already has this code',
  INSTITUTION_CODES_EXHAUSTED: 'no code of this kind is left to allocate',
  INSTITUTION_NOT_FOUND: 'no institution has this id, or this kind and code',
  INSTITUTION_STATUS_TRANSITION: 'the status change is not ACTIVE ⇄ SUSPENDED or either → WITHDRAWN',
  INSTITUTION_WITHDRAWN: 'a withdrawn institution is not changed',
  // Root keys and ceremonies
  ROOT_KEY_INDEX_RANGE: 'root-key index is not 01–7F (production) or 80–FE (test)',
  ROOT_KEY_INDEX_ENVIRONMENT: 'the index lies in the other environment’s range',
  ROOT_KEY_INDEX_IN_USE: 'a root key or an open ceremony already claims the index (never reused)',
  ROOT_KEY_EXPIRY_INVALID: 'root-key expiry is not a calendar day written YYMMDD',
  ROOT_KEY_EXPIRY_YEAR: 'root-key expiry year is not 2000–2049',
  ROOT_KEY_EXPIRY_TOO_SOON: 'the root key would be valid for less than the minimum lifetime',
  ROOT_KEY_EXPIRY_TOO_FAR: 'the root key would be valid for more than the maximum lifetime',
  ROOT_KEY_STATE: 'the life cycle does not allow this transition (PENDING → ACTIVE → RETIRED | EXPIRED)',
  ROOT_KEY_EXPIRED: 'the root key is past its expiry day',
  ROOT_KEY_UNKNOWN: 'no root key has this index',
  ROOT_KEY_NOT_USABLE: 'the chosen root key is not active or is past its expiry day',
  ROOT_KEY_NONE_ACTIVE: 'no active root key could sign the requested certificate',
  CEREMONY_UNKNOWN: 'no ceremony has this id',
  CEREMONY_STATE: 'the ceremony is not in the state this step needs',
  CEREMONY_OPEN: 'another ceremony for this root key awaits approval',
  CEREMONY_INTERRUPTED: 'the process stopped between a creation’s approval and the key’s generation',
  HSM_LABEL_IN_USE: 'the HSM already holds a key with the new key’s label',
  HSM_KEY_MISSING: 'the HSM no longer holds the recorded root key',
  HSM_KEY_MISMATCH: 'the HSM key under the label differs from the recorded root key',
  // Requests (§8)
  ISSUER_UNKNOWN: 'no issuer is registered with this id',
  ISSUER_NOT_ACTIVE: 'the issuer is suspended or withdrawn',
  CHALLENGE_UNKNOWN: 'the console never issued this challenge',
  CHALLENGE_ISSUER_MISMATCH: 'the challenge was issued to another issuer',
  CHALLENGE_USED: 'the challenge was already used by a request',
  CHALLENGE_EXPIRED: 'the challenge is older than 24 hours',
  REQUEST_TIME_INVALID: 'the request time lies outside the challenge window (with clock skew)',
  KEY_IS_ROOT_KEY: 'the requested key is a clearing-center root key',
  KEY_REVOKED: 'a certificate for the requested key was revoked',
  KEY_HELD_BY_OTHER_ISSUER: 'another issuer holds or requested the key',
  KEY_ALREADY_CERTIFIED: 'the key is certified already; a renewal needs a fresh key',
  KEY_ALREADY_REQUESTED: 'an open request already asks to certify the key',
  POP_INVALID: 'the proof of possession does not verify with the requested key',
  SERIAL_USED: 'the issuer used the serial before (serials are unique per issuer for life)',
  EXPIRY_TOO_SOON: 'the requested expiry is not next month or later (CST)',
  EXPIRY_TOO_FAR: 'the requested expiry is more than 36 months ahead',
  EXPIRY_BEYOND_ROOT_KEY: 'the certificate would outlive the root key',
  ACTIVE_CERTIFICATE_CAP: 'the issuer holds the maximum number of active certificates (default 4)',
  REQUEST_UNKNOWN: 'no request has this id',
  REQUEST_STATE: 'the request is not in the state this step needs',
  REQUEST_ALREADY_REVIEWED: 'the request was reviewed already',
  REQUEST_NOT_REVIEWED: 'approval needs a review with fingerprint confirmation first',
  FINGERPRINT_MISMATCH: 'the fingerprint confirmed out of band is not SM3(X‖Y)[0..7] of the requested key',
  REJECTED_BY_OFFICER: 'rejection code recorded when an officer rejects a request',
  STORED_REQUEST_CORRUPT: 'a stored A1 record no longer decodes',
  // Issuance
  ISSUANCE_IN_PROGRESS: 'a certificate number is reserved for the request and not yet settled',
  ISSUANCE_INTERRUPTED: 'failure code of a number whose issuing process stopped before storing',
  CERTIFICATE_NUMBERS_EXHAUSTED: 'every certificate number up to FFFFFFFE is used',
  ALLOCATION_STATE: 'the reserved number was settled by someone else (recovery) before storing',
  STORE_FAILED: 'storing the signed certificate failed; the number is recorded FAILED',
  // Certificates
  CERTIFICATE_UNKNOWN: 'no certificate has this number',
  CERTIFICATE_ALREADY_REVOKED: 'the certificate is revoked already',
  REVOCATION_REASON: 'the reason is not keyCompromise, superseded or issuerWithdrawn',
  // Configuration
  CENTER_ID_INVALID: 'TQCA_CENTER_ID is not 8 hex digits other than 00000000',
} as const;

export type CaErrorCode = keyof typeof CA_ERROR_CODES;
