/*
 * Conformance probe for the software token: the buffer and status rules of PKCS#11 v2.40 that
 * pkcs11js hides (size queries, CKR_BUFFER_TOO_SMALL, CK_UNAVAILABLE_INFORMATION per attribute,
 * an operation surviving a too-small buffer). Loads the module with dlopen like any application;
 * conformance.test.ts compiles and runs it against a fresh token directory with the sansec family
 * (which has both a raw and a DER signing mechanism). Prints one "ok <check>" / "FAIL <check>: why"
 * line per check.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "pkcs11.h"

static CK_FUNCTION_LIST_PTR f;
static int failures;

#define CHECK(name, cond, ...)                 \
  do {                                         \
    if (cond) printf("ok %s\n", name);         \
    else {                                     \
      failures++;                              \
      printf("FAIL %s: ", name);               \
      printf(__VA_ARGS__);                     \
      printf("\n");                            \
    }                                          \
  } while (0)

static const CK_MECHANISM_TYPE KEYGEN = 0x80008001UL, SIGN_DER = 0x80008104UL, SIGN_RAW = 0x80008105UL;

static CK_RV sign_init(CK_SESSION_HANDLE s, CK_MECHANISM_TYPE m, CK_OBJECT_HANDLE key) {
  CK_MECHANISM mech = {m, NULL, 0};
  return f->C_SignInit(s, &mech, key);
}

/* Threads signing at once: each on its own session, and all racing on one shared session. */
#define THREADS 8
#define SIGNS_PER_THREAD 50

typedef struct {
  CK_SLOT_ID slot;
  CK_OBJECT_HANDLE key;
  CK_SESSION_HANDLE shared;
  int ok, raced_ok, raced_refused, errors;
} thread_job_t;

static void *sign_worker(void *arg) {
  thread_job_t *job = arg;
  CK_SESSION_HANDLE own;
  CK_BYTE e[32] = {9}, sig[72];
  if (f->C_OpenSession(job->slot, CKF_SERIAL_SESSION, NULL, NULL, &own) != CKR_OK) {
    job->errors++;
    return NULL;
  }
  for (int i = 0; i < SIGNS_PER_THREAD; i++) {
    CK_ULONG len = sizeof sig;
    if (sign_init(own, SIGN_RAW, job->key) == CKR_OK && f->C_Sign(own, e, 32, sig, &len) == CKR_OK) job->ok++;
    else job->errors++;
    len = sizeof sig;
    CK_RV rv = sign_init(job->shared, SIGN_RAW, job->key);
    if (rv == CKR_OK) rv = f->C_Sign(job->shared, e, 32, sig, &len);
    if (rv == CKR_OK) job->raced_ok++;
    else if (rv == CKR_OPERATION_ACTIVE || rv == CKR_OPERATION_NOT_INITIALIZED) job->raced_refused++;
    else job->errors++;
  }
  f->C_CloseSession(own);
  return NULL;
}

static void threads_check(CK_SESSION_HANDLE shared, CK_OBJECT_HANDLE key) {
  pthread_t threads[THREADS];
  thread_job_t jobs[THREADS];
  int ok = 0, raced = 0, errors = 0;
  for (int i = 0; i < THREADS; i++) {
    jobs[i] = (thread_job_t){.slot = 0, .key = key, .shared = shared};
    pthread_create(&threads[i], NULL, sign_worker, &jobs[i]);
  }
  for (int i = 0; i < THREADS; i++) {
    pthread_join(threads[i], NULL);
    ok += jobs[i].ok;
    raced += jobs[i].raced_ok + jobs[i].raced_refused;
    errors += jobs[i].errors;
  }
  CHECK("threads: every own-session signature succeeds, shared-session races are refused cleanly",
        ok == THREADS * SIGNS_PER_THREAD && raced == THREADS * SIGNS_PER_THREAD && errors == 0,
        "ok %d raced %d errors %d", ok, raced, errors);
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  void *lib = dlopen(argv[1], RTLD_NOW);
  CK_C_GetFunctionList get = lib ? (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList") : NULL;
  if (get == NULL || get(&f) != CKR_OK) return 2;

  int all_present = 1;
  CK_VOID_PTR *slots_in_list = (CK_VOID_PTR *)&f->C_Initialize;
  for (size_t i = 0; i < (sizeof *f - sizeof f->version) / sizeof(CK_VOID_PTR); i++) all_present &= slots_in_list[i] != NULL;
  CHECK("function list complete, version 2.40", all_present && f->version.major == 2 && f->version.minor == 40, "missing entries");

  CK_INFO info;
  CHECK("calls before C_Initialize", f->C_GetInfo(&info) == CKR_CRYPTOKI_NOT_INITIALIZED, "expected NOT_INITIALIZED");
  CK_C_INITIALIZE_ARGS custom = {(CK_CREATEMUTEX)1, (CK_DESTROYMUTEX)1, (CK_LOCKMUTEX)1, (CK_UNLOCKMUTEX)1, 0, NULL};
  CHECK("application mutexes without OS locking", f->C_Initialize(&custom) == CKR_CANT_LOCK, "expected CANT_LOCK");
  CK_C_INITIALIZE_ARGS args = {NULL, NULL, NULL, NULL, CKF_OS_LOCKING_OK, NULL};
  CHECK("C_Initialize", f->C_Initialize(&args) == CKR_OK, "failed");
  CHECK("second C_Initialize", f->C_Initialize(&args) == CKR_CRYPTOKI_ALREADY_INITIALIZED, "expected ALREADY_INITIALIZED");

  CK_SLOT_ID slots[8];
  CK_ULONG n = 0;
  CK_RV rv = f->C_GetSlotList(CK_FALSE, NULL, &n);
  CHECK("slot list size query", rv == CKR_OK && n == 4, "rv %lx n %lu", rv, n);
  n = 2;
  rv = f->C_GetSlotList(CK_FALSE, slots, &n);
  CHECK("slot list too small", rv == CKR_BUFFER_TOO_SMALL && n == 4, "rv %lx n %lu", rv, n);

  CK_MECHANISM_TYPE mechs[8];
  n = 1;
  rv = f->C_GetMechanismList(0, mechs, &n);
  CHECK("mechanism list too small", rv == CKR_BUFFER_TOO_SMALL && n == 6, "rv %lx n %lu", rv, n);

  CK_UTF8CHAR label[32];
  memset(label, ' ', sizeof label);
  CK_SESSION_HANDLE s;
  CK_OBJECT_HANDLE pub, priv;
  CK_BBOOL yes = CK_TRUE;
  CK_BYTE id[] = {0x42};
  CK_ATTRIBUTE pub_t[] = {{CKA_TOKEN, &yes, 1}, {CKA_ID, id, 1}};
  CK_ATTRIBUTE priv_t[] = {{CKA_TOKEN, &yes, 1}, {CKA_ID, id, 1}, {CKA_LABEL, "probe", 5}};
  CK_MECHANISM gen = {KEYGEN, NULL, 0};
  rv = f->C_InitToken(0, (CK_UTF8CHAR_PTR) "so-pin-1", 8, label);
  if (rv == CKR_OK) rv = f->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
  if (rv == CKR_OK) rv = f->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR) "so-pin-1", 8);
  if (rv == CKR_OK) rv = f->C_InitPIN(s, (CK_UTF8CHAR_PTR) "user-pin", 8);
  if (rv == CKR_OK) rv = f->C_Logout(s);
  if (rv == CKR_OK) rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "user-pin", 8);
  if (rv == CKR_OK) rv = f->C_GenerateKeyPair(s, &gen, pub_t, 2, priv_t, 3, &pub, &priv);
  CHECK("token set-up and key generation", rv == CKR_OK, "rv %lx", rv);
  if (rv != CKR_OK) return 1;

  CK_BYTE small[1], sign_flag = 0xff;
  CK_ATTRIBUTE attrs[] = {
      {CKA_LABEL, NULL, 0},             /* size query */
      {CKA_VALUE, small, sizeof small}, /* sensitive */
      {CKA_MODULUS, small, sizeof small}, /* not an SM2 key attribute */
      {CKA_EC_PARAMS, small, sizeof small}, /* 10 bytes into 1 */
      {CKA_SIGN, &sign_flag, 1},        /* fits */
  };
  rv = f->C_GetAttributeValue(s, priv, attrs, 5);
  CHECK("attribute errors reported, the rest still filled",
        (rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_BUFFER_TOO_SMALL) &&
            attrs[0].ulValueLen == 5 && attrs[1].ulValueLen == CK_UNAVAILABLE_INFORMATION &&
            attrs[2].ulValueLen == CK_UNAVAILABLE_INFORMATION && attrs[3].ulValueLen == CK_UNAVAILABLE_INFORMATION &&
            attrs[4].ulValueLen == 1 && sign_flag == CK_TRUE,
        "rv %lx lens %lu %lu %lu %lu %lu", rv, attrs[0].ulValueLen, attrs[1].ulValueLen, attrs[2].ulValueLen,
        attrs[3].ulValueLen, attrs[4].ulValueLen);

  CK_BYTE e[32] = {1, 2, 3}, sig[80];
  CK_ULONG len = 0;
  rv = sign_init(s, SIGN_RAW, priv);
  if (rv == CKR_OK) rv = f->C_Sign(s, e, 32, NULL, &len);
  CHECK("raw signature size query", rv == CKR_OK && len == 64, "rv %lx len %lu", rv, len);
  len = 10;
  rv = f->C_Sign(s, e, 32, sig, &len);
  CHECK("raw signature buffer too small", rv == CKR_BUFFER_TOO_SMALL && len == 64, "rv %lx len %lu", rv, len);
  len = sizeof sig;
  rv = f->C_Sign(s, e, 32, sig, &len);
  CHECK("operation survives CKR_BUFFER_TOO_SMALL", rv == CKR_OK && len == 64, "rv %lx len %lu", rv, len);
  len = sizeof sig;
  rv = f->C_Sign(s, e, 32, sig, &len);
  CHECK("a completed C_Sign ends the operation", rv == CKR_OPERATION_NOT_INITIALIZED, "rv %lx", rv);

  rv = sign_init(s, SIGN_DER, priv);
  len = 0;
  if (rv == CKR_OK) rv = f->C_Sign(s, e, 32, NULL, &len);
  CHECK("DER signature size query gives the maximum", rv == CKR_OK && len == 72, "rv %lx len %lu", rv, len);
  len = 8;
  rv = f->C_Sign(s, e, 32, sig, &len);
  CK_ULONG exact = len;
  CHECK("DER buffer too small reports the exact length", rv == CKR_BUFFER_TOO_SMALL && exact >= 8 && exact <= 72,
        "rv %lx len %lu", rv, len);
  memset(sig, 0, sizeof sig);
  rv = f->C_Sign(s, e, 32, sig, &len);
  CHECK("DER signature delivered in the reported length", rv == CKR_OK && len == exact && sig[0] == 0x30 && sig[1] == exact - 2,
        "rv %lx len %lu", rv, len);

  CK_MECHANISM raw = {SIGN_RAW, NULL, 0};
  rv = f->C_VerifyInit(s, &raw, pub);
  if (rv == CKR_OK) rv = f->C_Verify(s, e, 32, sig, 63);
  CHECK("raw signature of the wrong length", rv == CKR_SIGNATURE_LEN_RANGE, "rv %lx", rv);

  CK_OBJECT_HANDLE found[4];
  CK_ULONG total = 0, got = 0;
  rv = f->C_FindObjectsInit(s, NULL, 0);
  do {
    if (rv == CKR_OK) rv = f->C_FindObjects(s, found, 1, &got);
    total += got;
  } while (rv == CKR_OK && got == 1);
  if (rv == CKR_OK) rv = f->C_FindObjectsFinal(s);
  CHECK("find in chunks of one", rv == CKR_OK && total == 2, "rv %lx total %lu", rv, total);

  threads_check(s, priv);

  CK_MECHANISM sha = {CKM_SHA256, NULL, 0};
  CHECK("unsupported functions", f->C_DigestInit(s, &sha) == CKR_FUNCTION_NOT_SUPPORTED, "expected NOT_SUPPORTED");
  CHECK("C_Finalize", f->C_Finalize(NULL) == CKR_OK, "failed");
  CHECK("calls after C_Finalize", f->C_GetSlotList(CK_FALSE, NULL, &n) == CKR_CRYPTOKI_NOT_INITIALIZED, "expected NOT_INITIALIZED");
  dlclose(lib);
  return failures ? 1 : 0;
}
