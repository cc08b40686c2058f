/*
 * Cryptoki entry points: library, slots, sessions, objects and the sign/verify operations.
 *
 * One module lock guards all state. Signing and verifying run outside it (the session is marked
 * busy and holds its own reference to the key), so signatures proceed in parallel on libuv's
 * threads; a second call racing on the same busy session gets CKR_OPERATION_ACTIVE.
 *
 * Environment (read by C_Initialize):
 *   TQCA_TOKEN_DIR               store directory (required; created if missing)
 *   TQCA_SOFTTOKEN_FAMILY        softtoken (default) | luna | sansec | tass
 *   TQCA_SOFTTOKEN_SLOTS         number of slots, 1..64 (default 4)
 *   TQCA_SOFTTOKEN_FAIL_SIGN_AT  N: the Nth signature computed by this process fails, once
 *   TQCA_SOFTTOKEN_REMOVED=1, or a file $TQCA_TOKEN_DIR/.removed: the token is out of its slot
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/rand.h>
#include "softtoken.h"

#define MAX_MULTIPART (1UL << 20)

typedef enum { OP_NONE, OP_SIGN, OP_VERIFY } op_kind_t;

typedef struct {
  CK_SESSION_HANDLE handle;
  slot_t *slot;
  CK_FLAGS flags;
  int busy, closed; /* busy: a sign/verify runs outside the lock; closed: free when it returns */
  CK_OBJECT_HANDLE *found;
  size_t n_found, next_found;
  int finding;
  op_kind_t op;
  const sign_mechanism_t *mech;
  EVP_PKEY *key;
  unsigned char *id;
  size_t id_len;
  unsigned char *data; /* multi-part input */
  size_t data_len;
  unsigned char sig[SM2_MAX_DER_SIG_LEN]; /* computed signature kept for a CKR_BUFFER_TOO_SMALL retry */
  size_t sig_len;
} session_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int initialized;
static const family_t *family;
static char token_dir[2048];
static int env_removed;
static slot_t *slots;
static CK_ULONG slot_count;
static session_t **sessions;
static size_t n_sessions;
static CK_SESSION_HANDLE next_session = 1;
static unsigned long fail_sign_at, corrupt_sign_at;
static unsigned long signatures; /* computed by this process, for fault injection */

static int removed(void) {
  char flag[2100];
  snprintf(flag, sizeof flag, "%s/.removed", token_dir);
  return env_removed || access(flag, F_OK) == 0;
}

static void pad(CK_UTF8CHAR *dst, size_t n, const char *src) {
  size_t len = strlen(src);
  memset(dst, ' ', n);
  memcpy(dst, src, len < n ? len : n);
}

static void op_end(session_t *s) {
  EVP_PKEY_free(s->key);
  free(s->id);
  free(s->data);
  s->key = NULL;
  s->id = s->data = NULL;
  s->id_len = s->data_len = s->sig_len = 0;
  s->mech = NULL;
  s->op = OP_NONE;
}

static void find_end(session_t *s) {
  free(s->found);
  s->found = NULL;
  s->n_found = s->next_found = 0;
  s->finding = 0;
}

static void session_free(session_t *s) {
  op_end(s);
  find_end(s);
  free(s);
}

static size_t slot_sessions(const slot_t *slot, int rw_only) {
  size_t n = 0;
  for (size_t i = 0; i < n_sessions; i++)
    if (sessions[i]->slot == slot && (!rw_only || (sessions[i]->flags & CKF_RW_SESSION))) n++;
  return n;
}

static void session_close_at(size_t i) {
  session_t *s = sessions[i];
  slot_t *slot = s->slot;
  memmove(&sessions[i], &sessions[i + 1], (n_sessions - i - 1) * sizeof *sessions);
  n_sessions--;
  token_drop_session_objects(slot, s->handle, 0);
  if (slot_sessions(slot, 0) == 0) slot_logout(slot); /* the last session closing logs out */
  if (s->busy) s->closed = 1;
  else session_free(s);
}

/* Token pulled: every session is gone, as with a real reader. */
static void close_all_sessions(void) {
  while (n_sessions) session_close_at(n_sessions - 1);
}

/* Looks up a session with the lock held. */
static CK_RV session_get(CK_SESSION_HANDLE h, session_t **out) {
  if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (removed()) {
    close_all_sessions();
    return CKR_DEVICE_REMOVED;
  }
  for (size_t i = 0; i < n_sessions; i++) {
    if (sessions[i]->handle == h) {
      *out = sessions[i];
      return slot_refresh(sessions[i]->slot);
    }
  }
  return CKR_SESSION_HANDLE_INVALID;
}

static CK_RV slot_get(CK_SLOT_ID id, slot_t **out) {
  if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (id >= slot_count) return CKR_SLOT_ID_INVALID;
  *out = &slots[id];
  return CKR_OK;
}

/* A token slot call: the token must be present; refreshes from the store. */
static CK_RV token_get(CK_SLOT_ID id, slot_t **out) {
  CK_RV rv = slot_get(id, out);
  if (rv != CKR_OK) return rv;
  if (removed()) {
    close_all_sessions();
    return CKR_TOKEN_NOT_PRESENT;
  }
  return slot_refresh(*out);
}

#define LOCKED(expr)                 \
  do {                               \
    pthread_mutex_lock(&lock);       \
    CK_RV rv_ = (expr);              \
    pthread_mutex_unlock(&lock);     \
    return rv_;                      \
  } while (0)

/* ---- library ----------------------------------------------------------------------------- */

static CK_RV parse_count(const char *v, unsigned long max, unsigned long *out) {
  char *end;
  errno = 0;
  unsigned long n = strtoul(v, &end, 10);
  if (errno || *v == '\0' || *end != '\0' || *v == '-' || n == 0 || n > max) return CKR_ARGUMENTS_BAD;
  *out = n;
  return CKR_OK;
}

static CK_RV configure(void) {
  const char *dir = getenv("TQCA_TOKEN_DIR");
  if (dir == NULL || *dir == '\0') return CKR_TQ_TOKEN_DIR_UNSET;
  struct stat st;
  char resolved[PATH_MAX];
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) return CKR_TQ_TOKEN_DIR_UNUSABLE;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, R_OK | W_OK | X_OK) != 0)
    return CKR_TQ_TOKEN_DIR_UNUSABLE;
  /* absolute, so a later chdir of the application cannot move the store */
  if (realpath(dir, resolved) == NULL || strlen(resolved) >= sizeof token_dir - 64) return CKR_TQ_TOKEN_DIR_UNUSABLE;
  strcpy(token_dir, resolved);
  if ((family = family_by_name(getenv("TQCA_SOFTTOKEN_FAMILY"))) == NULL) return CKR_TQ_FAMILY_UNKNOWN;
  unsigned long n = ST_DEFAULT_SLOTS;
  const char *v = getenv("TQCA_SOFTTOKEN_SLOTS");
  if (v && parse_count(v, ST_MAX_SLOTS, &n) != CKR_OK) return CKR_TQ_SLOT_COUNT_INVALID;
  slot_count = n;
  fail_sign_at = 0;
  v = getenv("TQCA_SOFTTOKEN_FAIL_SIGN_AT");
  if (v && *v && parse_count(v, (unsigned long)-1, &fail_sign_at) != CKR_OK) return CKR_TQ_FAULT_CONFIG_INVALID;
  corrupt_sign_at = 0;
  v = getenv("TQCA_SOFTTOKEN_CORRUPT_SIGN_AT");
  if (v && *v && parse_count(v, (unsigned long)-1, &corrupt_sign_at) != CKR_OK) return CKR_TQ_FAULT_CONFIG_INVALID;
  v = getenv("TQCA_SOFTTOKEN_REMOVED");
  env_removed = v != NULL && strcmp(v, "1") == 0;
  return CKR_OK;
}

static void teardown(void) {
  for (size_t i = 0; i < n_sessions; i++) { /* a signer still running frees its own session in end() */
    if (sessions[i]->busy) sessions[i]->closed = 1;
    else session_free(sessions[i]);
  }
  free(sessions);
  sessions = NULL;
  n_sessions = 0;
  for (CK_ULONG i = 0; slots && i < slot_count; i++) slot_close(&slots[i]);
  free(slots);
  slots = NULL;
  slot_count = 0;
  initialized = 0;
}

static CK_RV initialize(CK_C_INITIALIZE_ARGS_PTR args) {
  if (initialized) return CKR_CRYPTOKI_ALREADY_INITIALIZED;
  if (args) {
    if (args->pReserved) return CKR_ARGUMENTS_BAD;
    int some = args->CreateMutex || args->DestroyMutex || args->LockMutex || args->UnlockMutex;
    int all = args->CreateMutex && args->DestroyMutex && args->LockMutex && args->UnlockMutex;
    if (some && !all) return CKR_ARGUMENTS_BAD;
    /* We lock with pthreads; caller-supplied mutexes are acceptable only alongside OS locking. */
    if (all && !(args->flags & CKF_OS_LOCKING_OK)) return CKR_CANT_LOCK;
  }
  CK_RV rv = configure();
  if (rv != CKR_OK) return rv;
  if ((slots = calloc(slot_count, sizeof *slots)) == NULL) return CKR_HOST_MEMORY;
  initialized = 1;
  for (CK_ULONG i = 0; i < slot_count && rv == CKR_OK; i++) rv = slot_open(&slots[i], i, token_dir);
  if (rv != CKR_OK) teardown();
  return rv;
}

ST_EXPORT CK_RV C_Initialize(CK_VOID_PTR pInitArgs) { LOCKED(initialize(pInitArgs)); }

static CK_RV finalize(CK_VOID_PTR reserved) {
  if (reserved) return CKR_ARGUMENTS_BAD;
  if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  teardown();
  return CKR_OK;
}

ST_EXPORT CK_RV C_Finalize(CK_VOID_PTR pReserved) { LOCKED(finalize(pReserved)); }

ST_EXPORT CK_RV C_GetInfo(CK_INFO_PTR pInfo) {
  if (pInfo == NULL) return CKR_ARGUMENTS_BAD;
  pthread_mutex_lock(&lock);
  int ok = initialized;
  pthread_mutex_unlock(&lock);
  if (!ok) return CKR_CRYPTOKI_NOT_INITIALIZED;
  memset(pInfo, 0, sizeof *pInfo);
  pInfo->cryptokiVersion = (CK_VERSION){2, 40};
  pad(pInfo->manufacturerID, sizeof pInfo->manufacturerID, "TQCA");
  pad(pInfo->libraryDescription, sizeof pInfo->libraryDescription, "TQCA SM2 software token");
  pInfo->libraryVersion = (CK_VERSION){1, 0};
  return CKR_OK;
}

/* ---- slots and tokens -------------------------------------------------------------------- */

static CK_RV get_slot_list(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count) {
  if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (count == NULL) return CKR_ARGUMENTS_BAD;
  CK_ULONG n = present && removed() ? 0 : slot_count;
  if (list && *count < n) {
    *count = n;
    return CKR_BUFFER_TOO_SMALL;
  }
  for (CK_ULONG i = 0; list && i < n; i++) list[i] = i;
  *count = n;
  return CKR_OK;
}

ST_EXPORT CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount) {
  LOCKED(get_slot_list(tokenPresent, pSlotList, pulCount));
}

static CK_RV get_slot_info(CK_SLOT_ID id, CK_SLOT_INFO_PTR info) {
  slot_t *s;
  CK_RV rv = slot_get(id, &s);
  if (rv != CKR_OK) return rv;
  if (info == NULL) return CKR_ARGUMENTS_BAD;
  char desc[64];
  snprintf(desc, sizeof desc, "TQCA SM2 software token slot %lu", (unsigned long)id);
  memset(info, 0, sizeof *info);
  pad(info->slotDescription, sizeof info->slotDescription, desc);
  pad(info->manufacturerID, sizeof info->manufacturerID, "TQCA");
  info->flags = CKF_REMOVABLE_DEVICE | (removed() ? 0 : CKF_TOKEN_PRESENT);
  info->hardwareVersion = info->firmwareVersion = (CK_VERSION){1, 0};
  return CKR_OK;
}

ST_EXPORT CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo) { LOCKED(get_slot_info(slotID, pInfo)); }

static CK_RV get_token_info(CK_SLOT_ID id, CK_TOKEN_INFO_PTR info) {
  slot_t *s;
  CK_RV rv = token_get(id, &s);
  if (rv != CKR_OK) return rv;
  if (info == NULL) return CKR_ARGUMENTS_BAD;
  memset(info, 0, sizeof *info);
  if (s->img.initialized) memcpy(info->label, s->img.label, sizeof info->label);
  else pad(info->label, sizeof info->label, "");
  pad(info->manufacturerID, sizeof info->manufacturerID, "TQCA");
  char model[17], serial[17];
  snprintf(model, sizeof model, "SM2 %s", family->name);
  pad(info->model, sizeof info->model, model);
  for (int i = 0; i < 8; i++) snprintf(serial + 2 * i, 3, "%02x", s->img.token_id[i]);
  pad(info->serialNumber, sizeof info->serialNumber, serial);
  info->flags = slot_token_flags(s);
  info->ulMaxSessionCount = info->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
  info->ulSessionCount = slot_sessions(s, 0);
  info->ulRwSessionCount = slot_sessions(s, 1);
  info->ulMaxPinLen = ST_MAX_PIN;
  info->ulMinPinLen = ST_MIN_PIN;
  info->ulTotalPublicMemory = info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
  info->ulTotalPrivateMemory = info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
  info->hardwareVersion = info->firmwareVersion = (CK_VERSION){1, 0};
  pad(info->utcTime, sizeof info->utcTime, "");
  return CKR_OK;
}

ST_EXPORT CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo) { LOCKED(get_token_info(slotID, pInfo)); }

static CK_RV get_mechanism_list(CK_SLOT_ID id, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count) {
  slot_t *s;
  CK_RV rv = token_get(id, &s);
  if (rv != CKR_OK) return rv;
  if (count == NULL) return CKR_ARGUMENTS_BAD;
  CK_ULONG n = family_mechanism_count(family);
  if (list && *count < n) rv = CKR_BUFFER_TOO_SMALL;
  else if (list) {
    list[0] = family->keygen;
    for (CK_ULONG i = 1; i < n; i++) list[i] = family->sign[i - 1].type;
  }
  *count = n;
  return rv;
}

ST_EXPORT CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList, CK_ULONG_PTR pulCount) {
  LOCKED(get_mechanism_list(slotID, pMechanismList, pulCount));
}

static CK_RV get_mechanism_info(CK_SLOT_ID id, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info) {
  slot_t *s;
  CK_RV rv = token_get(id, &s);
  if (rv != CKR_OK) return rv;
  if (info == NULL) return CKR_ARGUMENTS_BAD;
  if (type == family->keygen) info->flags = CKF_GENERATE_KEY_PAIR | CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS;
  else if (family_sign_mechanism(family, type)) info->flags = CKF_SIGN | CKF_VERIFY;
  else return CKR_MECHANISM_INVALID;
  info->ulMinKeySize = info->ulMaxKeySize = 256;
  return CKR_OK;
}

ST_EXPORT CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR pInfo) {
  LOCKED(get_mechanism_info(slotID, type, pInfo));
}

static CK_RV init_token(CK_SLOT_ID id, CK_UTF8CHAR_PTR pin, CK_ULONG len, CK_UTF8CHAR_PTR label) {
  slot_t *s;
  CK_RV rv = token_get(id, &s);
  if (rv != CKR_OK) return rv;
  if (pin == NULL || label == NULL) return CKR_ARGUMENTS_BAD;
  if (slot_sessions(s, 0)) return CKR_SESSION_EXISTS;
  return token_init(s, pin, len, label);
}

ST_EXPORT CK_RV C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pLabel) {
  LOCKED(init_token(slotID, pPin, ulPinLen, pLabel));
}

static CK_RV rw_session(CK_SESSION_HANDLE h, session_t **s) {
  CK_RV rv = session_get(h, s);
  if (rv == CKR_OK && !((*s)->flags & CKF_RW_SESSION)) rv = CKR_SESSION_READ_ONLY;
  return rv;
}

static CK_RV init_pin(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR pin, CK_ULONG len) {
  session_t *s;
  CK_RV rv = rw_session(h, &s);
  if (rv != CKR_OK) return rv;
  if (pin == NULL) return CKR_ARGUMENTS_BAD;
  if (s->slot->login != CKU_SO) return CKR_USER_NOT_LOGGED_IN;
  return token_init_pin(s->slot, pin, len);
}

ST_EXPORT CK_RV C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen) {
  LOCKED(init_pin(hSession, pPin, ulPinLen));
}

static CK_RV set_pin(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR old, CK_ULONG old_len, CK_UTF8CHAR_PTR pin, CK_ULONG len) {
  session_t *s;
  CK_RV rv = rw_session(h, &s);
  if (rv != CKR_OK) return rv;
  if (old == NULL || pin == NULL) return CKR_ARGUMENTS_BAD;
  return token_set_pin(s->slot, old, old_len, pin, len);
}

ST_EXPORT CK_RV C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin, CK_ULONG ulOldLen, CK_UTF8CHAR_PTR pNewPin,
                         CK_ULONG ulNewLen) {
  LOCKED(set_pin(hSession, pOldPin, ulOldLen, pNewPin, ulNewLen));
}

/* ---- sessions ---------------------------------------------------------------------------- */

static CK_RV open_session(CK_SLOT_ID id, CK_FLAGS flags, CK_SESSION_HANDLE_PTR out) {
  slot_t *s;
  CK_RV rv = token_get(id, &s);
  if (rv != CKR_OK) return rv;
  if (out == NULL) return CKR_ARGUMENTS_BAD;
  if (!(flags & CKF_SERIAL_SESSION)) return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
  if (!s->img.initialized) return CKR_TOKEN_NOT_RECOGNIZED;
  if (s->login == CKU_SO && !(flags & CKF_RW_SESSION)) return CKR_SESSION_READ_WRITE_SO_EXISTS;
  session_t **grown = realloc(sessions, (n_sessions + 1) * sizeof *grown);
  if (grown == NULL) return CKR_HOST_MEMORY;
  sessions = grown;
  session_t *ns = calloc(1, sizeof *ns);
  if (ns == NULL) return CKR_HOST_MEMORY;
  ns->handle = next_session++;
  ns->slot = s;
  ns->flags = flags & (CKF_SERIAL_SESSION | CKF_RW_SESSION);
  sessions[n_sessions++] = ns;
  *out = ns->handle;
  return CKR_OK;
}

ST_EXPORT CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication, CK_NOTIFY Notify,
                              CK_SESSION_HANDLE_PTR phSession) {
  (void)pApplication; /* no notifications are ever sent */
  (void)Notify;
  LOCKED(open_session(slotID, flags, phSession));
}

static CK_RV close_session(CK_SESSION_HANDLE h) {
  session_t *s;
  CK_RV rv = session_get(h, &s);
  if (rv != CKR_OK) return rv;
  for (size_t i = 0; i < n_sessions; i++)
    if (sessions[i] == s) session_close_at(i);
  return CKR_OK;
}

ST_EXPORT CK_RV C_CloseSession(CK_SESSION_HANDLE hSession) { LOCKED(close_session(hSession)); }

static CK_RV close_all(CK_SLOT_ID id) {
  slot_t *s;
  CK_RV rv = token_get(id, &s);
  if (rv != CKR_OK) return rv;
  for (size_t i = n_sessions; i-- > 0;)
    if (sessions[i]->slot == s) session_close_at(i);
  return CKR_OK;
}

ST_EXPORT CK_RV C_CloseAllSessions(CK_SLOT_ID slotID) { LOCKED(close_all(slotID)); }

static CK_RV get_session_info(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info) {
  session_t *s;
  CK_RV rv = session_get(h, &s);
  if (rv != CKR_OK) return rv;
  if (info == NULL) return CKR_ARGUMENTS_BAD;
  int rw = (s->flags & CKF_RW_SESSION) != 0;
  info->slotID = s->slot->id;
  info->flags = s->flags;
  info->ulDeviceError = 0;
  switch (s->slot->login) {
    case CKU_SO: info->state = CKS_RW_SO_FUNCTIONS; break;
    case CKU_USER: info->state = rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS; break;
    default: info->state = rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
  }
  return CKR_OK;
}

ST_EXPORT CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo) {
  LOCKED(get_session_info(hSession, pInfo));
}

static CK_RV login(CK_SESSION_HANDLE h, CK_USER_TYPE who, CK_UTF8CHAR_PTR pin, CK_ULONG len) {
  session_t *s;
  CK_RV rv = session_get(h, &s);
  if (rv != CKR_OK) return rv;
  if (who == CKU_CONTEXT_SPECIFIC) return CKR_OPERATION_NOT_INITIALIZED; /* no CKA_ALWAYS_AUTHENTICATE keys */
  if (who != CKU_SO && who != CKU_USER) return CKR_USER_TYPE_INVALID;
  if (pin == NULL) return CKR_ARGUMENTS_BAD; /* no protected authentication path */
  if (s->slot->login == who) return CKR_USER_ALREADY_LOGGED_IN;
  if (s->slot->login != NOT_LOGGED_IN) return CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
  if (who == CKU_SO && slot_sessions(s->slot, 0) != slot_sessions(s->slot, 1)) return CKR_SESSION_READ_ONLY_EXISTS;
  return token_login(s->slot, who, pin, len);
}

ST_EXPORT CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen) {
  LOCKED(login(hSession, userType, pPin, ulPinLen));
}

static CK_RV logout(CK_SESSION_HANDLE h) {
  session_t *s;
  CK_RV rv = session_get(h, &s);
  if (rv != CKR_OK) return rv;
  if (s->slot->login == NOT_LOGGED_IN) return CKR_USER_NOT_LOGGED_IN;
  for (size_t i = 0; i < n_sessions; i++) /* operations on private keys end with the login */
    if (sessions[i]->slot == s->slot && !sessions[i]->busy && sessions[i]->op == OP_SIGN) op_end(sessions[i]);
  slot_logout(s->slot);
  return CKR_OK;
}

ST_EXPORT CK_RV C_Logout(CK_SESSION_HANDLE hSession) { LOCKED(logout(hSession)); }

/* ---- objects ----------------------------------------------------------------------------- */

static int visible(const slot_t *slot, const object_t *o) {
  return !object_bool(o, CKA_PRIVATE) || slot->login == CKU_USER;
}

static CK_RV object_get(session_t *s, CK_OBJECT_HANDLE h, object_t **out) {
  object_t *o = token_object(s->slot, h);
  if (o == NULL || !visible(s->slot, o)) return CKR_OBJECT_HANDLE_INVALID;
  *out = o;
  return CKR_OK;
}

/* Changing or destroying a token object needs a R/W session; a private one needs the user. */
static CK_RV may_modify(const session_t *s, const object_t *o) {
  if (object_bool(o, CKA_TOKEN) && !(s->flags & CKF_RW_SESSION)) return CKR_SESSION_READ_ONLY;
  if (object_bool(o, CKA_PRIVATE) && s->slot->login != CKU_USER) return CKR_USER_NOT_LOGGED_IN;
  return CKR_OK;
}

static CK_RV generate_key_pair(CK_SESSION_HANDLE h, CK_MECHANISM_PTR mech, CK_ATTRIBUTE_PTR pub_t, CK_ULONG pub_n,
                               CK_ATTRIBUTE_PTR priv_t, CK_ULONG priv_n, CK_OBJECT_HANDLE_PTR pub_h,
                               CK_OBJECT_HANDLE_PTR priv_h) {
  session_t *s;
  CK_RV rv = session_get(h, &s);
  if (rv != CKR_OK) return rv;
  if (mech == NULL || pub_h == NULL || priv_h == NULL || (pub_n && pub_t == NULL) || (priv_n && priv_t == NULL))
    return CKR_ARGUMENTS_BAD;
  if (mech->mechanism != family->keygen) return CKR_MECHANISM_INVALID;
  if (mech->pParameter || mech->ulParameterLen) return CKR_MECHANISM_PARAM_INVALID;
  if (s->slot->login != CKU_USER) return CKR_USER_NOT_LOGGED_IN;
  object_t pub = {0}, priv = {0};
  unsigned char d[SM2_PRIV_LEN], point[2 + SM2_POINT_LEN] = {0x04, SM2_POINT_LEN};
  rv = object_keypair_from_templates(&pub, &priv, family, pub_t, pub_n, priv_t, priv_n);
  if (rv == CKR_OK && (object_bool(&pub, CKA_TOKEN) || object_bool(&priv, CKA_TOKEN)) && !(s->flags & CKF_RW_SESSION))
    rv = CKR_SESSION_READ_ONLY;
  if (rv == CKR_OK && !sm2_generate(d, point + 2)) rv = CKR_DEVICE_ERROR;
  if (rv == CKR_OK && (!object_set(&pub, CKA_EC_POINT, point, sizeof point) ||
                       !object_set(&priv, CKA_EC_POINT, point, sizeof point)))
    rv = CKR_HOST_MEMORY;
  if (rv == CKR_OK) rv = token_add_keypair(s->slot, &pub, &priv, d, s->handle, pub_h, priv_h);
  wipe(d, sizeof d);
  object_clear(&pub);
  object_clear(&priv);
  return rv;
}

ST_EXPORT CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                                  CK_ATTRIBUTE_PTR pPublicKeyTemplate, CK_ULONG ulPublicKeyAttributeCount,
                                  CK_ATTRIBUTE_PTR pPrivateKeyTemplate, CK_ULONG ulPrivateKeyAttributeCount,
                                  CK_OBJECT_HANDLE_PTR phPublicKey, CK_OBJECT_HANDLE_PTR phPrivateKey) {
  LOCKED(generate_key_pair(hSession, pMechanism, pPublicKeyTemplate, ulPublicKeyAttributeCount, pPrivateKeyTemplate,
                           ulPrivateKeyAttributeCount, phPublicKey, phPrivateKey));
}

static CK_RV destroy_object(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh) {
  session_t *s;
  object_t *o;
  CK_RV rv = session_get(h, &s);
  if (rv == CKR_OK) rv = object_get(s, oh, &o);
  if (rv == CKR_OK) rv = may_modify(s, o);
  if (rv == CKR_OK && !object_bool(o, CKA_DESTROYABLE)) rv = CKR_ACTION_PROHIBITED;
  return rv == CKR_OK ? token_destroy_object(s->slot, oh) : rv;
}

ST_EXPORT CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject) {
  LOCKED(destroy_object(hSession, hObject));
}

static CK_RV get_attribute_value(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh, CK_ATTRIBUTE_PTR tmpl, CK_ULONG n) {
  session_t *s;
  object_t *o;
  CK_RV rv = session_get(h, &s);
  if (rv == CKR_OK) rv = object_get(s, oh, &o);
  if (rv == CKR_OK && n && tmpl == NULL) rv = CKR_ARGUMENTS_BAD;
  return rv == CKR_OK ? object_read(o, family, tmpl, n) : rv;
}

ST_EXPORT CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
                                    CK_ULONG ulCount) {
  LOCKED(get_attribute_value(hSession, hObject, pTemplate, ulCount));
}

static CK_RV set_attribute_value(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE oh, CK_ATTRIBUTE_PTR tmpl, CK_ULONG n) {
  session_t *s;
  object_t *o;
  CK_RV rv = session_get(h, &s);
  if (rv == CKR_OK) rv = object_get(s, oh, &o);
  if (rv == CKR_OK && n && tmpl == NULL) rv = CKR_ARGUMENTS_BAD;
  if (rv == CKR_OK) rv = may_modify(s, o);
  return rv == CKR_OK ? token_update_object(s->slot, oh, tmpl, n) : rv;
}

ST_EXPORT CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
                                    CK_ULONG ulCount) {
  LOCKED(set_attribute_value(hSession, hObject, pTemplate, ulCount));
}

static CK_RV collect(session_t *s, object_t *objs, size_t n, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count) {
  for (size_t i = 0; i < n; i++) {
    if (!visible(s->slot, &objs[i]) || !object_matches(&objs[i], family, tmpl, count)) continue;
    CK_OBJECT_HANDLE *grown = realloc(s->found, (s->n_found + 1) * sizeof *grown);
    if (grown == NULL) return CKR_HOST_MEMORY;
    s->found = grown;
    s->found[s->n_found++] = objs[i].id;
  }
  return CKR_OK;
}

static CK_RV find_objects_init(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count) {
  session_t *s;
  CK_RV rv = session_get(h, &s);
  if (rv != CKR_OK) return rv;
  if (count && tmpl == NULL) return CKR_ARGUMENTS_BAD;
  if (s->finding) return CKR_OPERATION_ACTIVE;
  if (!template_values_present(tmpl, count)) return CKR_ATTRIBUTE_VALUE_INVALID;
  slot_t *slot = s->slot;
  s->finding = 1;
  rv = collect(s, slot->img.objects, slot->img.n_objects, tmpl, count);
  if (rv == CKR_OK) rv = collect(s, slot->session_objects, slot->n_session_objects, tmpl, count);
  if (rv != CKR_OK) find_end(s);
  return rv;
}

ST_EXPORT CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount) {
  LOCKED(find_objects_init(hSession, pTemplate, ulCount));
}

static CK_RV find_objects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR out, CK_ULONG max, CK_ULONG_PTR count) {
  session_t *s;
  CK_RV rv = session_get(h, &s);
  if (rv != CKR_OK) return rv;
  if (count == NULL || (max && out == NULL)) return CKR_ARGUMENTS_BAD;
  if (!s->finding) return CKR_OPERATION_NOT_INITIALIZED;
  CK_ULONG n = 0;
  while (n < max && s->next_found < s->n_found) out[n++] = s->found[s->next_found++];
  *count = n;
  return CKR_OK;
}

ST_EXPORT CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject, CK_ULONG ulMaxObjectCount,
                              CK_ULONG_PTR pulObjectCount) {
  LOCKED(find_objects(hSession, phObject, ulMaxObjectCount, pulObjectCount));
}

static CK_RV find_objects_final(CK_SESSION_HANDLE h) {
  session_t *s;
  CK_RV rv = session_get(h, &s);
  if (rv != CKR_OK) return rv;
  if (!s->finding) return CKR_OPERATION_NOT_INITIALIZED;
  find_end(s);
  return CKR_OK;
}

ST_EXPORT CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession) { LOCKED(find_objects_final(hSession)); }

/* ---- signing and verifying --------------------------------------------------------------- */

static CK_RV crypto_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE kh, op_kind_t kind) {
  session_t *s;
  object_t *o;
  CK_RV rv = session_get(h, &s);
  if (rv != CKR_OK) return rv;
  if (mech == NULL) return CKR_ARGUMENTS_BAD;
  if (s->op != OP_NONE || s->busy) return CKR_OPERATION_ACTIVE;
  const sign_mechanism_t *m = family_sign_mechanism(family, mech->mechanism);
  if (m == NULL) return CKR_MECHANISM_INVALID;
  int takes_id = m->input == INPUT_MESSAGE_SM3 && !m->fixed_default_id;
  if ((mech->ulParameterLen && (mech->pParameter == NULL || !takes_id)) || mech->ulParameterLen > ST_MAX_ID_LEN)
    return CKR_MECHANISM_PARAM_INVALID;
  if ((rv = object_get(s, kh, &o)) != CKR_OK) return rv == CKR_OBJECT_HANDLE_INVALID ? CKR_KEY_HANDLE_INVALID : rv;
  CK_OBJECT_CLASS want = kind == OP_SIGN ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY;
  if (object_ulong(o, CKA_CLASS) != want) return CKR_KEY_TYPE_INCONSISTENT;
  if (!object_bool(o, kind == OP_SIGN ? CKA_SIGN : CKA_VERIFY)) return CKR_KEY_FUNCTION_NOT_PERMITTED;
  EVP_PKEY *key;
  if ((rv = token_object_key(s->slot, o, &key)) != CKR_OK) return rv;
  if (mech->ulParameterLen) {
    if ((s->id = malloc(mech->ulParameterLen)) == NULL) {
      EVP_PKEY_free(key);
      return CKR_HOST_MEMORY;
    }
    memcpy(s->id, mech->pParameter, mech->ulParameterLen);
    s->id_len = mech->ulParameterLen;
  }
  s->key = key;
  s->mech = m;
  s->op = kind;
  return CKR_OK;
}

ST_EXPORT CK_RV C_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  LOCKED(crypto_init(hSession, pMechanism, hKey, OP_SIGN));
}

ST_EXPORT CK_RV C_VerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  LOCKED(crypto_init(hSession, pMechanism, hKey, OP_VERIFY));
}

/* Takes the session out of the lock's protection for a computation; NULL with *rv set if it cannot. */
static session_t *begin(CK_SESSION_HANDLE h, op_kind_t kind, CK_RV *rv) {
  session_t *s;
  pthread_mutex_lock(&lock);
  *rv = session_get(h, &s);
  if (*rv == CKR_OK && s->busy) *rv = CKR_OPERATION_ACTIVE;
  else if (*rv == CKR_OK && s->op != kind) *rv = CKR_OPERATION_NOT_INITIALIZED;
  if (*rv != CKR_OK) {
    pthread_mutex_unlock(&lock);
    return NULL;
  }
  s->busy = 1;
  pthread_mutex_unlock(&lock);
  return s;
}

/* Returns the session to the lock; ends the operation unless keep is set. */
static CK_RV end(session_t *s, CK_RV rv, int keep) {
  pthread_mutex_lock(&lock);
  s->busy = 0;
  if (s->closed) session_free(s);
  else if (!keep) op_end(s);
  pthread_mutex_unlock(&lock);
  return rv;
}

/* The number of this signature in the process, for the fault switches. */
static unsigned long count_signature(void) { return __atomic_add_fetch(&signatures, 1, __ATOMIC_SEQ_CST); }

/* Single-part and final sign share this: data is the whole input. */
static CK_RV sign_finish(session_t *s, const unsigned char *data, size_t len, CK_BYTE_PTR out, CK_ULONG_PTR out_len) {
  if (out_len == NULL) return end(s, CKR_ARGUMENTS_BAD, 0);
  const sign_mechanism_t *m = s->mech;
  size_t need = s->sig_len ? s->sig_len : m->encoding == SIG_RAW ? SM2_RAW_SIG_LEN : SM2_MAX_DER_SIG_LEN;
  if (out == NULL) {
    *out_len = need;
    return end(s, CKR_OK, 1);
  }
  if (s->sig_len == 0 && (m->encoding == SIG_DER || *out_len >= need)) {
    if (m->input == INPUT_DIGEST && len != 32) return end(s, CKR_DATA_LEN_RANGE, 0);
    unsigned long n = count_signature();
    if (n == fail_sign_at) return end(s, CKR_DEVICE_ERROR, 0);
    CK_RV rv = sm2_sign(s->key, m, s->id, s->id_len, data, len, s->sig, &s->sig_len);
    if (rv != CKR_OK) return end(s, rv, 0);
    if (n == corrupt_sign_at) s->sig[s->sig_len - 1] ^= 0x01; /* the last byte of s: still well-formed DER */
    need = s->sig_len;
  }
  if (*out_len < need) {
    *out_len = need;
    return end(s, CKR_BUFFER_TOO_SMALL, 1);
  }
  memcpy(out, s->sig, need);
  *out_len = need;
  return end(s, CKR_OK, 0);
}

ST_EXPORT CK_RV C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                       CK_ULONG_PTR pulSignatureLen) {
  CK_RV rv;
  session_t *s = begin(hSession, OP_SIGN, &rv);
  if (s == NULL) return rv;
  if (pData == NULL && ulDataLen) return end(s, CKR_ARGUMENTS_BAD, 0);
  if (s->data) return end(s, CKR_OPERATION_ACTIVE, 1); /* a multi-part sign is under way */
  return sign_finish(s, pData, ulDataLen, pSignature, pulSignatureLen);
}

/* Buffers multi-part input; the mechanisms are one-shot in OpenSSL's SM2 signer for e anyway. */
static CK_RV append_part(session_t *s, const unsigned char *part, size_t len) {
  if (part == NULL && len) return end(s, CKR_ARGUMENTS_BAD, 0);
  if (s->data_len + len > MAX_MULTIPART) return end(s, CKR_DATA_LEN_RANGE, 0);
  unsigned char *grown = realloc(s->data, s->data_len + len + 1);
  if (grown == NULL) return end(s, CKR_HOST_MEMORY, 0);
  s->data = grown;
  if (len) memcpy(s->data + s->data_len, part, len);
  s->data_len += len;
  return end(s, CKR_OK, 1);
}

ST_EXPORT CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen) {
  CK_RV rv;
  session_t *s = begin(hSession, OP_SIGN, &rv);
  return s ? append_part(s, pPart, ulPartLen) : rv;
}

ST_EXPORT CK_RV C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen) {
  CK_RV rv;
  session_t *s = begin(hSession, OP_SIGN, &rv);
  return s ? sign_finish(s, s->data, s->data_len, pSignature, pulSignatureLen) : rv;
}

static CK_RV verify_finish(session_t *s, const unsigned char *data, size_t len, const unsigned char *sig,
                           size_t sig_len) {
  if (sig == NULL && sig_len) return end(s, CKR_ARGUMENTS_BAD, 0);
  if (s->mech->input == INPUT_DIGEST && len != 32) return end(s, CKR_DATA_LEN_RANGE, 0);
  return end(s, sm2_verify(s->key, s->mech, s->id, s->id_len, data, len, sig, sig_len), 0);
}

ST_EXPORT CK_RV C_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                         CK_ULONG ulSignatureLen) {
  CK_RV rv;
  session_t *s = begin(hSession, OP_VERIFY, &rv);
  if (s == NULL) return rv;
  if (pData == NULL && ulDataLen) return end(s, CKR_ARGUMENTS_BAD, 0);
  if (s->data) return end(s, CKR_OPERATION_ACTIVE, 1);
  return verify_finish(s, pData, ulDataLen, pSignature, ulSignatureLen);
}

ST_EXPORT CK_RV C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen) {
  CK_RV rv;
  session_t *s = begin(hSession, OP_VERIFY, &rv);
  return s ? append_part(s, pPart, ulPartLen) : rv;
}

ST_EXPORT CK_RV C_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen) {
  CK_RV rv;
  session_t *s = begin(hSession, OP_VERIFY, &rv);
  return s ? verify_finish(s, s->data, s->data_len, pSignature, ulSignatureLen) : rv;
}

/* ---- random and the rest ----------------------------------------------------------------- */

static CK_RV generate_random(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG len) {
  session_t *s;
  CK_RV rv = session_get(h, &s);
  if (rv != CKR_OK) return rv;
  if (out == NULL && len) return CKR_ARGUMENTS_BAD;
  return len == 0 || RAND_bytes(out, (int)len) > 0 ? CKR_OK : CKR_DEVICE_ERROR;
}

ST_EXPORT CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR RandomData, CK_ULONG ulRandomLen) {
  if (ulRandomLen > 0x7fffffffUL) return CKR_ARGUMENTS_BAD;
  LOCKED(generate_random(hSession, RandomData, ulRandomLen));
}

static CK_RV session_only(CK_SESSION_HANDLE h, CK_RV answer) {
  session_t *s;
  CK_RV rv = session_get(h, &s);
  return rv == CKR_OK ? answer : rv;
}

ST_EXPORT CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed, CK_ULONG ulSeedLen) {
  (void)pSeed; /* OpenSSL's DRBG seeds itself from the OS */
  (void)ulSeedLen;
  LOCKED(session_only(hSession, CKR_RANDOM_SEED_NOT_SUPPORTED));
}

ST_EXPORT CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE hSession) {
  LOCKED(session_only(hSession, CKR_FUNCTION_NOT_PARALLEL));
}

ST_EXPORT CK_RV C_CancelFunction(CK_SESSION_HANDLE hSession) {
  LOCKED(session_only(hSession, CKR_FUNCTION_NOT_PARALLEL));
}
