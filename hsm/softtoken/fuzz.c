/*
 * Sanitizer harness for the software token: fuzz.mjs compiles the module's sources together with
 * this file under -fsanitize=address,undefined (LeakSanitizer included), so an out-of-bounds access,
 * a NULL dereference, undefined behaviour or a leak ends the run with a report. Deterministic: every
 * choice comes from the seed.
 *
 *   fuzz <token-dir> <template-rounds> <store-mutations> <seed>
 *
 * 1. A real token in <token-dir>: initialised, user PIN set, two key pairs on the token.
 * 2. Templates: C_FindObjectsInit, C_GetAttributeValue, C_SetAttributeValue, C_GenerateKeyPair and
 *    C_SignInit get random attribute lists and mechanism parameters: NULL values with non-zero
 *    lengths, zero lengths, odd sizes, CK_UNAVAILABLE_INFORMATION. A non-NULL value always points at
 *    a buffer of exactly the stated length (anything else is the caller's bug, not the module's).
 * 3. Store: seeded mutations of the real store image (bit flips, bytes, u32 fields overwritten,
 *    truncation, insertion, deletion), each decoded by store_load; every 8th is also installed as
 *    the slot's file and used through Cryptoki (token info, find, every attribute, sign) while
 *    logged in, then the real image is put back.
 * Prints "FAIL ..." and exits 1 when the module answers a bad template with anything but its
 * documented code; otherwise one summary line. The sanitizers' reports are the rest of the verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "softtoken.h"

static const CK_MECHANISM_TYPE KEYGEN = 0x80545110UL, SIGN_DIGEST = 0x80545111UL, SIGN_MESSAGE = 0x80545112UL;
static CK_UTF8CHAR SO_PIN[] = "87654321", USER_PIN[] = "24681012";

static uint64_t prng;

static uint64_t next(void) { /* splitmix64 */
  uint64_t z = (prng += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static size_t below(size_t n) { return n ? (size_t)(next() % n) : 0; }

static void fail(const char *what, CK_RV rv) {
  printf("FAIL %s: 0x%lx\n", what, (unsigned long)rv);
  exit(1);
}

static void must(const char *what, CK_RV rv) {
  if (rv != CKR_OK) fail(what, rv);
}

/* ---- templates --------------------------------------------------------------------------- */

static const CK_ATTRIBUTE_TYPE TYPES[] = {
    CKA_CLASS,     CKA_KEY_TYPE,  CKA_TOKEN,       CKA_PRIVATE,     CKA_LABEL,     CKA_ID,
    CKA_EC_PARAMS, CKA_EC_POINT,  CKA_SIGN,        CKA_VERIFY,      CKA_SENSITIVE, CKA_EXTRACTABLE,
    CKA_VALUE,     CKA_MODIFIABLE, CKA_KEY_GEN_MECHANISM, CKA_LOCAL, CKA_DERIVE,  CKA_SUBJECT,
    CKA_DECRYPT,   CKA_ALWAYS_AUTHENTICATE, CKA_COPYABLE, CKA_DESTROYABLE, 0x7fffffffUL, 0xffffffffUL,
};
static const CK_ULONG LENGTHS[] = {0, 1, 2, 4, 8, 10, 16, 65, 67, 1024, 1025};
static const unsigned char SM2_PARAMS[] = {0x06, 0x08, 0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x82, 0x2D};

typedef struct {
  CK_ATTRIBUTE a[8];
  CK_ULONG n;
  int null_with_length; /* some attribute has pValue NULL and ulValueLen != 0 */
} template_t;

/* Plausible contents often, so matching and rule checks get past their first test. */
static void fill(unsigned char *p, CK_ULONG len, CK_ATTRIBUTE_TYPE type) {
  CK_ULONG ulong = below(4);
  switch (below(3)) {
    case 0:
      if (len == sizeof(CK_BBOOL)) p[0] = (unsigned char)below(3);
      else if (len == sizeof(CK_ULONG)) memcpy(p, &ulong, sizeof ulong);
      else if (type == CKA_EC_PARAMS && len == sizeof SM2_PARAMS) memcpy(p, SM2_PARAMS, len);
      else memset(p, 0, len);
      break;
    case 1:
      memset(p, 0, len);
      break;
    default:
      for (CK_ULONG i = 0; i < len; i++) p[i] = (unsigned char)next();
  }
}

static void make_template(template_t *t) {
  memset(t, 0, sizeof *t);
  t->n = below(7);
  for (CK_ULONG i = 0; i < t->n; i++) {
    CK_ATTRIBUTE *a = &t->a[i];
    a->type = below(8) ? TYPES[below(sizeof TYPES / sizeof *TYPES)] : (CK_ATTRIBUTE_TYPE)next();
    int null = below(3) == 0;
    if (null) {
      static const CK_ULONG odd[] = {1, 8, 10, 67, CK_UNAVAILABLE_INFORMATION, 0x7fffffffUL, 0};
      a->ulValueLen = below(2) ? LENGTHS[below(sizeof LENGTHS / sizeof *LENGTHS)] : odd[below(sizeof odd / sizeof *odd)];
      t->null_with_length |= a->ulValueLen != 0;
    } else {
      a->ulValueLen = below(4) ? LENGTHS[below(sizeof LENGTHS / sizeof *LENGTHS)] : below(300);
      a->pValue = malloc(a->ulValueLen ? a->ulValueLen : 1);
      if (a->pValue == NULL) fail("harness out of memory", 0);
      fill(a->pValue, a->ulValueLen, a->type);
    }
  }
}

static void free_template(template_t *t) {
  for (CK_ULONG i = 0; i < t->n; i++) free(t->a[i].pValue);
  t->n = 0;
}

static CK_OBJECT_HANDLE find_all(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE *out, CK_ULONG max) {
  CK_ULONG n = 0;
  if (C_FindObjectsInit(s, NULL, 0) != CKR_OK) return 0;
  C_FindObjects(s, out, max, &n);
  C_FindObjectsFinal(s);
  return n;
}

static void template_round(CK_SESSION_HANDLE s) {
  CK_OBJECT_HANDLE objects[64];
  CK_ULONG n_objects = find_all(s, objects, 64);
  template_t t;
  make_template(&t);
  switch (below(5)) {
    case 0: { /* find */
      CK_RV rv = C_FindObjectsInit(s, t.a, t.n);
      if (t.null_with_length && rv != CKR_ATTRIBUTE_VALUE_INVALID) fail("C_FindObjectsInit with a NULL value and a length", rv);
      if (!t.null_with_length && rv != CKR_OK) fail("C_FindObjectsInit", rv);
      if (rv == CKR_OK) {
        CK_OBJECT_HANDLE found[64];
        CK_ULONG n = 0;
        must("C_FindObjects", C_FindObjects(s, found, 64, &n));
        must("C_FindObjectsFinal", C_FindObjectsFinal(s));
      }
      break;
    }
    case 1: /* read */
      if (n_objects) C_GetAttributeValue(s, objects[below(n_objects)], t.a, t.n);
      break;
    case 2: { /* update a session object; a token object now and then (each change is a store write) */
      if (!n_objects) break;
      CK_OBJECT_HANDLE h = objects[below(n_objects)];
      if (h < SESSION_OBJECT_BASE && below(16)) break;
      CK_RV rv = C_SetAttributeValue(s, h, t.a, t.n);
      if (t.null_with_length && rv == CKR_OK) fail("C_SetAttributeValue took a NULL value with a length", rv);
      break;
    }
    case 3: { /* generate in the session: random templates, then CKA_TOKEN false */
      template_t priv;
      make_template(&priv);
      static CK_BBOOL no = CK_FALSE;
      CK_ULONG pub_n = t.n, priv_n = priv.n;
      t.a[pub_n++] = (CK_ATTRIBUTE){CKA_TOKEN, &no, sizeof no};
      priv.a[priv_n++] = (CK_ATTRIBUTE){CKA_TOKEN, &no, sizeof no};
      CK_MECHANISM mech = {KEYGEN, NULL, 0};
      CK_OBJECT_HANDLE pub_h, priv_h;
      CK_RV rv = C_GenerateKeyPair(s, &mech, t.a, pub_n, priv.a, priv_n, &pub_h, &priv_h);
      if ((t.null_with_length || priv.null_with_length) && rv == CKR_OK) fail("C_GenerateKeyPair took a NULL value with a length", rv);
      if (rv == CKR_OK) {
        C_DestroyObject(s, pub_h);
        C_DestroyObject(s, priv_h);
      }
      free_template(&priv);
      break;
    }
    default: { /* sign with random mechanism parameters */
      if (!n_objects) break;
      static const CK_ULONG param_lengths[] = {0, 1, 16, 1024, 1025, 0x7fffffffUL};
      CK_MECHANISM mech = {below(4) ? (below(2) ? SIGN_MESSAGE : SIGN_DIGEST) : (CK_MECHANISM_TYPE)next(), NULL,
                           param_lengths[below(sizeof param_lengths / sizeof *param_lengths)]};
      int null = below(2) || mech.ulParameterLen > 1025;
      if (!null && (mech.pParameter = malloc(mech.ulParameterLen ? mech.ulParameterLen : 1)) == NULL) fail("harness out of memory", 0);
      if (!null) memset(mech.pParameter, 'A', mech.ulParameterLen);
      CK_RV rv = C_SignInit(s, &mech, objects[below(n_objects)]);
      if (null && mech.ulParameterLen && rv == CKR_OK) fail("C_SignInit took a NULL parameter with a length", rv);
      if (rv == CKR_OK) {
        unsigned char data[40] = {7}, sig[80];
        CK_ULONG sig_len = sizeof sig;
        C_Sign(s, data, mech.mechanism == SIGN_DIGEST ? 32 : sizeof data, sig, &sig_len);
      }
      free(mech.pParameter);
    }
  }
  free_template(&t);
}

/* ---- store ------------------------------------------------------------------------------- */

typedef struct {
  unsigned char *p;
  size_t len;
} bytes_t;

static bytes_t read_file(const char *path) {
  bytes_t b = {0};
  FILE *f = fopen(path, "rb");
  if (f == NULL) fail("reading the store", 0);
  fseek(f, 0, SEEK_END);
  b.len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  if ((b.p = malloc(b.len)) == NULL || fread(b.p, 1, b.len, f) != b.len) fail("reading the store", 0);
  fclose(f);
  return b;
}

/* Written beside and renamed over: a reader sees a new inode, as after another process's change. */
static void write_file(const char *path, const unsigned char *p, size_t len) {
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.fuzz", path);
  FILE *f = fopen(tmp, "wb");
  if (f == NULL || (len && fwrite(p, 1, len, f) != len) || fclose(f) != 0 || rename(tmp, path) != 0) fail("writing a store", 0);
}

static void put_u32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16), p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static bytes_t mutate(const bytes_t *real) {
  bytes_t m = {malloc(real->len * 2 + 64), real->len};
  if (m.p == NULL) fail("harness out of memory", 0);
  memcpy(m.p, real->p, real->len);
  for (size_t k = 1 + below(3); k-- > 0;) {
    size_t at = below(m.len + 1);
    switch (below(6)) {
      case 0:
        if (at < m.len) m.p[at] ^= (unsigned char)(1u << below(8));
        break;
      case 1: {
        static const unsigned char interesting[] = {0, 1, 0x7f, 0x80, 0xff};
        if (at < m.len) m.p[at] = interesting[below(sizeof interesting)];
        break;
      }
      case 2: { /* a length or count field */
        uint32_t values[] = {0, 1, 12, 0x7fffffffU, 0xffffffffU, 0x10000U, 0x10001U, (uint32_t)(m.len - at)};
        if (at + 4 <= m.len) put_u32(m.p + at, values[below(sizeof values / sizeof *values)]);
        break;
      }
      case 3:
        m.len = at;
        break;
      case 4: { /* insert up to 16 random bytes */
        size_t n = 1 + below(16);
        if (m.len + n > real->len * 2 + 64) break;
        memmove(m.p + at + n, m.p + at, m.len - at);
        for (size_t i = 0; i < n; i++) m.p[at + i] = (unsigned char)next();
        m.len += n;
        break;
      }
      default: { /* delete up to 64 bytes */
        size_t n = below(65);
        if (n > m.len - at) n = m.len - at;
        memmove(m.p + at, m.p + at + n, m.len - at - n);
        m.len -= n;
      }
    }
  }
  return m;
}

static void login_if_needed(CK_SESSION_HANDLE s) {
  CK_SESSION_INFO info;
  if (C_GetSessionInfo(s, &info) == CKR_OK && (info.state == CKS_RO_USER_FUNCTIONS || info.state == CKS_RW_USER_FUNCTIONS)) return;
  must("C_Login (user)", C_Login(s, CKU_USER, USER_PIN, sizeof USER_PIN - 1));
}

/* The damaged image as the slot's store: whatever decodes is read and used. */
static void use_damaged(CK_SESSION_HANDLE s) {
  CK_TOKEN_INFO info;
  CK_OBJECT_HANDLE objects[64];
  C_GetTokenInfo(0, &info);
  CK_ULONG n = find_all(s, objects, 64);
  for (CK_ULONG i = 0; i < n; i++) {
    CK_ATTRIBUTE read[sizeof TYPES / sizeof *TYPES];
    for (size_t a = 0; a < sizeof TYPES / sizeof *TYPES; a++) read[a] = (CK_ATTRIBUTE){TYPES[a], NULL, 0};
    C_GetAttributeValue(s, objects[i], read, sizeof TYPES / sizeof *TYPES); /* sizes */
    for (size_t a = 0; a < sizeof TYPES / sizeof *TYPES; a++)
      if (read[a].ulValueLen != CK_UNAVAILABLE_INFORMATION && (read[a].pValue = malloc(read[a].ulValueLen + 1)) == NULL)
        fail("harness out of memory", 0);
    C_GetAttributeValue(s, objects[i], read, sizeof TYPES / sizeof *TYPES);
    for (size_t a = 0; a < sizeof TYPES / sizeof *TYPES; a++) free(read[a].pValue);
    CK_MECHANISM mech = {SIGN_DIGEST, NULL, 0};
    if (C_SignInit(s, &mech, objects[i]) == CKR_OK) {
      unsigned char e[32] = {1}, sig[64];
      CK_ULONG len = sizeof sig;
      C_Sign(s, e, sizeof e, sig, &len);
    }
  }
}

static void store_round(const char *dir, const char *store, const bytes_t *real, CK_SESSION_HANDLE s, int through_module) {
  char mutant[4200];
  snprintf(mutant, sizeof mutant, "%s/mutant.token", dir);
  bytes_t m = mutate(real);
  write_file(mutant, m.p, m.len);
  token_image_t img;
  file_version_t ver;
  memset(&img, 0, sizeof img);
  store_load(mutant, &img, &ver);
  image_free(&img);
  if (through_module) {
    write_file(store, m.p, m.len);
    use_damaged(s);
    write_file(store, real->p, real->len);
    CK_TOKEN_INFO info;
    must("C_GetTokenInfo after restoring the store", C_GetTokenInfo(0, &info));
    login_if_needed(s); /* a damaged token id logged us out */
  }
  free(m.p);
}

/* ---- main -------------------------------------------------------------------------------- */

static void generate_on_token(CK_SESSION_HANDLE s, const char *label) {
  static CK_BBOOL yes = CK_TRUE;
  CK_ATTRIBUTE pub[] = {{CKA_TOKEN, &yes, sizeof yes}, {CKA_LABEL, (void *)label, strlen(label)}, {CKA_ID, (void *)label, strlen(label)}};
  CK_ATTRIBUTE priv[] = {{CKA_TOKEN, &yes, sizeof yes}, {CKA_LABEL, (void *)label, strlen(label)}, {CKA_ID, (void *)label, strlen(label)}};
  CK_MECHANISM mech = {KEYGEN, NULL, 0};
  CK_OBJECT_HANDLE pub_h, priv_h;
  must("C_GenerateKeyPair", C_GenerateKeyPair(s, &mech, pub, 3, priv, 3, &pub_h, &priv_h));
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: fuzz <token-dir> <template-rounds> <store-mutations> <seed>\n");
    return 2;
  }
  const char *dir = argv[1];
  long rounds = atol(argv[2]), mutations = atol(argv[3]);
  prng = strtoull(argv[4], NULL, 10);
  setenv("TQCA_TOKEN_DIR", dir, 1);
  setenv("TQCA_SOFTTOKEN_FAMILY", "softtoken", 1);
  setenv("TQCA_SOFTTOKEN_SLOTS", "1", 1);

  CK_C_INITIALIZE_ARGS init = {.flags = CKF_OS_LOCKING_OK};
  must("C_Initialize", C_Initialize(&init));
  CK_UTF8CHAR label[32];
  memset(label, ' ', sizeof label);
  memcpy(label, "fuzz", 4);
  must("C_InitToken", C_InitToken(0, SO_PIN, sizeof SO_PIN - 1, label));
  CK_SESSION_HANDLE s;
  must("C_OpenSession", C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
  must("C_Login (SO)", C_Login(s, CKU_SO, SO_PIN, sizeof SO_PIN - 1));
  must("C_InitPIN", C_InitPIN(s, USER_PIN, sizeof USER_PIN - 1));
  must("C_Logout", C_Logout(s));
  must("C_Login (user)", C_Login(s, CKU_USER, USER_PIN, sizeof USER_PIN - 1));
  generate_on_token(s, "fuzz-a");
  generate_on_token(s, "fuzz-b");

  for (long i = 0; i < rounds; i++) template_round(s);

  char store[4200];
  snprintf(store, sizeof store, "%s/slot-0.token", dir);
  bytes_t real = read_file(store);
  for (long i = 0; i < mutations; i++) store_round(dir, store, &real, s, i % 8 == 0);
  free(real.p);

  must("C_CloseSession", C_CloseSession(s));
  must("C_Finalize", C_Finalize(NULL));
  printf("ok %ld template rounds, %ld store mutations\n", rounds, mutations);
  return 0;
}
