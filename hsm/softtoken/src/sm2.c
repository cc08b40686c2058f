/*
 * OpenSSL 3 primitives: SM2 keys and signatures, and the token's key wrapping.
 * OpenSSL refuses EC-typed keys on the SM2 group, so every key is built as an "SM2" key.
 */
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include "softtoken.h"

const unsigned char SM2_EC_PARAMS[10] = {0x06, 0x08, 0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x82, 0x2D};

static const unsigned char DEFAULT_ID[] = "1234567812345678";
#define DEFAULT_ID_LEN 16
#define SCRYPT_MAXMEM (256UL * 1024 * 1024)

void wipe(void *p, size_t n) { OPENSSL_cleanse(p, n); }

int sm2_generate(unsigned char d[SM2_PRIV_LEN], unsigned char point[SM2_POINT_LEN]) {
  EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
  BIGNUM *bn = NULL;
  size_t len = 0;
  int ok = key != NULL && EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &bn) &&
           BN_bn2binpad(bn, d, SM2_PRIV_LEN) == SM2_PRIV_LEN &&
           EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, SM2_POINT_LEN, &len) &&
           len == SM2_POINT_LEN && point[0] == 0x04;
  BN_clear_free(bn);
  EVP_PKEY_free(key);
  return ok;
}

static EVP_PKEY *sm2_from_params(const unsigned char *d, const unsigned char point[SM2_POINT_LEN]) {
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM *params = NULL;
  EVP_PKEY_CTX *ctx = NULL;
  EVP_PKEY *key = NULL;
  BIGNUM *bn = d ? BN_secure_new() : NULL;
  if (bld == NULL || (d && (bn == NULL || BN_bin2bn(d, SM2_PRIV_LEN, bn) == NULL))) goto done;
  if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, SM2_POINT_LEN) ||
      (d && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn)))
    goto done;
  params = OSSL_PARAM_BLD_to_param(bld);
  ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
  if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
      EVP_PKEY_fromdata(ctx, &key, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) <= 0)
    key = NULL;
done:
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  EVP_PKEY_CTX_free(ctx);
  BN_clear_free(bn);
  return key;
}

EVP_PKEY *sm2_private_key(const unsigned char d[SM2_PRIV_LEN], const unsigned char point[SM2_POINT_LEN]) {
  return sm2_from_params(d, point);
}

EVP_PKEY *sm2_public_key(const unsigned char point[SM2_POINT_LEN]) { return sm2_from_params(NULL, point); }

/* OpenSSL speaks DER; raw-output mechanisms want r || s, 32 bytes each. */
static int der_to_raw(const unsigned char *der, size_t der_len, unsigned char raw[SM2_RAW_SIG_LEN]) {
  const unsigned char *p = der;
  ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
  int ok = s != NULL && p == der + der_len && BN_bn2binpad(ECDSA_SIG_get0_r(s), raw, 32) == 32 &&
           BN_bn2binpad(ECDSA_SIG_get0_s(s), raw + 32, 32) == 32;
  ECDSA_SIG_free(s);
  return ok;
}

static int raw_to_der(const unsigned char raw[SM2_RAW_SIG_LEN], unsigned char **der, int *der_len) {
  ECDSA_SIG *s = ECDSA_SIG_new();
  BIGNUM *r = BN_bin2bn(raw, 32, NULL), *sv = BN_bin2bn(raw + 32, 32, NULL);
  if (s == NULL || r == NULL || sv == NULL || !ECDSA_SIG_set0(s, r, sv)) {
    BN_free(r);
    BN_free(sv);
    ECDSA_SIG_free(s);
    return 0;
  }
  *der = NULL;
  *der_len = i2d_ECDSA_SIG(s, der);
  ECDSA_SIG_free(s);
  return *der_len > 0;
}

/* A digest-sign/verify context whose Z uses the given signer ID. EVP_MD_CTX_set_pkey_ctx does not
 * take ownership of pctx: the caller frees both (sm3_context_free). */
typedef struct {
  EVP_MD_CTX *md;
  EVP_PKEY_CTX *pctx;
} sm3_context_t;

static int sm3_context(sm3_context_t *c, EVP_PKEY *key, const unsigned char *id, size_t id_len, int for_sign) {
  c->md = EVP_MD_CTX_new();
  c->pctx = EVP_PKEY_CTX_new(key, NULL);
  if (c->md == NULL || c->pctx == NULL || EVP_PKEY_CTX_set1_id(c->pctx, id, id_len) <= 0) return 0;
  EVP_MD_CTX_set_pkey_ctx(c->md, c->pctx);
  return (for_sign ? EVP_DigestSignInit(c->md, NULL, EVP_sm3(), NULL, key)
                   : EVP_DigestVerifyInit(c->md, NULL, EVP_sm3(), NULL, key)) > 0;
}

static void sm3_context_free(sm3_context_t *c) {
  EVP_MD_CTX_free(c->md);
  EVP_PKEY_CTX_free(c->pctx);
}

static void resolve_id(const sign_mechanism_t *m, const unsigned char **id, size_t *id_len) {
  if (m->fixed_default_id || *id_len == 0) {
    *id = DEFAULT_ID;
    *id_len = DEFAULT_ID_LEN;
  }
}

CK_RV sm2_sign(EVP_PKEY *key, const sign_mechanism_t *m, const unsigned char *id, size_t id_len,
               const unsigned char *data, size_t data_len, unsigned char *sig, size_t *sig_len) {
  unsigned char der[SM2_MAX_DER_SIG_LEN];
  size_t der_len = sizeof der;
  int ok;
  if (m->input == INPUT_DIGEST) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    ok = ctx != NULL && EVP_PKEY_sign_init(ctx) > 0 && EVP_PKEY_sign(ctx, der, &der_len, data, data_len) > 0;
    EVP_PKEY_CTX_free(ctx);
  } else {
    resolve_id(m, &id, &id_len);
    sm3_context_t c;
    ok = sm3_context(&c, key, id, id_len, 1) && EVP_DigestSign(c.md, der, &der_len, data, data_len) > 0;
    sm3_context_free(&c);
  }
  if (!ok) return CKR_FUNCTION_FAILED;
  if (m->encoding == SIG_DER) {
    memcpy(sig, der, der_len);
    *sig_len = der_len;
    return CKR_OK;
  }
  *sig_len = SM2_RAW_SIG_LEN;
  return der_to_raw(der, der_len, sig) ? CKR_OK : CKR_FUNCTION_FAILED;
}

CK_RV sm2_verify(EVP_PKEY *key, const sign_mechanism_t *m, const unsigned char *id, size_t id_len,
                 const unsigned char *data, size_t data_len, const unsigned char *sig, size_t sig_len) {
  unsigned char *der = NULL;
  int der_len = 0, verdict;
  if (m->encoding == SIG_RAW) {
    if (sig_len != SM2_RAW_SIG_LEN) return CKR_SIGNATURE_LEN_RANGE;
    if (!raw_to_der(sig, &der, &der_len)) return CKR_FUNCTION_FAILED;
  } else if (sig_len > SM2_MAX_DER_SIG_LEN) {
    return CKR_SIGNATURE_LEN_RANGE;
  }
  const unsigned char *s = der ? der : sig;
  size_t s_len = der ? (size_t)der_len : sig_len;
  if (m->input == INPUT_DIGEST) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    verdict = ctx != NULL && EVP_PKEY_verify_init(ctx) > 0 ? EVP_PKEY_verify(ctx, s, s_len, data, data_len) : -1;
    EVP_PKEY_CTX_free(ctx);
  } else {
    resolve_id(m, &id, &id_len);
    sm3_context_t c;
    verdict = sm3_context(&c, key, id, id_len, 0) ? EVP_DigestVerify(c.md, s, s_len, data, data_len) : -1;
    sm3_context_free(&c);
  }
  OPENSSL_free(der);
  /* OpenSSL answers 0 for a wrong signature and <0 for one that does not parse: both are invalid. */
  return verdict == 1 ? CKR_OK : CKR_SIGNATURE_INVALID;
}

static int gcm(int enc, const unsigned char key[32], const unsigned char nonce[GCM_NONCE_LEN],
               const unsigned char *aad, size_t aad_len, const unsigned char *in, size_t len,
               unsigned char *out, unsigned char tag[GCM_TAG_LEN]) {
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  int n = 0, ok = c != NULL && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, enc) > 0 &&
                  (aad_len == 0 || EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len) > 0) &&
                  EVP_CipherUpdate(c, out, &n, in, (int)len) > 0 &&
                  (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN, tag) > 0) &&
                  EVP_CipherFinal_ex(c, out + n, &n) > 0 &&
                  (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN, tag) > 0);
  EVP_CIPHER_CTX_free(c);
  return ok;
}

int seal(const unsigned char key[MASTER_KEY_LEN], const unsigned char *aad, size_t aad_len,
         const unsigned char *pt, size_t pt_len, unsigned char *out) {
  return RAND_bytes(out, GCM_NONCE_LEN) > 0 &&
         gcm(1, key, out, aad, aad_len, pt, pt_len, out + GCM_NONCE_LEN, out + GCM_NONCE_LEN + pt_len);
}

int unseal(const unsigned char key[MASTER_KEY_LEN], const unsigned char *aad, size_t aad_len,
           const unsigned char *in, size_t in_len, unsigned char *pt) {
  if (in_len < SEALED_LEN(0)) return 0;
  size_t n = in_len - SEALED_LEN(0);
  unsigned char tag[GCM_TAG_LEN];
  memcpy(tag, in + GCM_NONCE_LEN + n, GCM_TAG_LEN);
  return gcm(0, key, in, aad, aad_len, in + GCM_NONCE_LEN, n, pt, tag);
}

static int pin_key(const pin_wrap_t *w, const unsigned char *pin, size_t pin_len, unsigned char kek[32]) {
  return EVP_PBE_scrypt((const char *)pin, pin_len, w->salt, SALT_LEN, (uint64_t)1 << w->log2_n, w->r, w->p,
                        SCRYPT_MAXMEM, kek, 32) > 0;
}

int pin_wrap(pin_wrap_t *w, const unsigned char *pin, size_t pin_len, const unsigned char master[MASTER_KEY_LEN],
             const unsigned char *aad, size_t aad_len) {
  unsigned char kek[32];
  /* scrypt N = 2^15, r = 8: 32 MiB and about 0.1 s per PIN check. */
  w->log2_n = 15;
  w->r = 8;
  w->p = 1;
  int ok = RAND_bytes(w->salt, SALT_LEN) > 0 && RAND_bytes(w->nonce, GCM_NONCE_LEN) > 0 &&
           pin_key(w, pin, pin_len, kek) && gcm(1, kek, w->nonce, aad, aad_len, master, MASTER_KEY_LEN, w->ct, w->tag);
  wipe(kek, sizeof kek);
  return ok;
}

int pin_unwrap(const pin_wrap_t *w, const unsigned char *pin, size_t pin_len, unsigned char master[MASTER_KEY_LEN],
               const unsigned char *aad, size_t aad_len) {
  unsigned char kek[32], tag[GCM_TAG_LEN];
  if (w->log2_n < 10 || w->log2_n > 22 || w->r == 0 || w->r > 32 || w->p == 0 || w->p > 16) return -1;
  if (!pin_key(w, pin, pin_len, kek)) return -1;
  memcpy(tag, w->tag, GCM_TAG_LEN);
  int ok = gcm(0, kek, w->nonce, aad, aad_len, w->ct, MASTER_KEY_LEN, master, tag);
  wipe(kek, sizeof kek);
  if (!ok) wipe(master, MASTER_KEY_LEN);
  return ok ? 1 : 0;
}
