/*
 * TQCA SM2 software token: internal interfaces shared by the module's translation units.
 *
 *   family.c   vendor code families (CKK/CKM values, signature encoding)
 *   sm2.c      OpenSSL: SM2 keys, signatures, PIN-derived key wrapping (scrypt + AES-256-GCM)
 *   store.c    the persistent token image: binary format, file locking, atomic replace
 *   token.c    slots and tokens: initialisation, PINs, login, lockout, cross-process refresh
 *   object.c   objects and their attributes: templates, reads, matching
 *   pkcs11.c   the Cryptoki entry points, sessions and operations
 *   unsupported.c  the remaining entry points (CKR_FUNCTION_NOT_SUPPORTED)
 */
#ifndef TQCA_SOFTTOKEN_H
#define TQCA_SOFTTOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <openssl/evp.h>
#include "pkcs11.h"

#define ST_EXPORT __attribute__((visibility("default")))

/* Vendor-defined return codes of this module (documented in README.md). */
#define CKR_TQ_TOKEN_DIR_UNSET (CKR_VENDOR_DEFINED | 0x545101UL)
#define CKR_TQ_TOKEN_DIR_UNUSABLE (CKR_VENDOR_DEFINED | 0x545102UL)
#define CKR_TQ_FAMILY_UNKNOWN (CKR_VENDOR_DEFINED | 0x545103UL)
#define CKR_TQ_SLOT_COUNT_INVALID (CKR_VENDOR_DEFINED | 0x545104UL)
#define CKR_TQ_FAULT_CONFIG_INVALID (CKR_VENDOR_DEFINED | 0x545105UL)

#define ST_DEFAULT_SLOTS 4
#define ST_MAX_SLOTS 64
#define ST_MIN_PIN 4
#define ST_MAX_PIN 64
#define ST_MAX_PIN_TRIES 10
#define ST_MAX_ID_LEN 1024 /* signer ID bytes accepted as mechanism parameter */

/* ---- family.c ------------------------------------------------------------------------- */

typedef enum { SIG_RAW, SIG_DER } sig_encoding_t;
typedef enum { INPUT_DIGEST, INPUT_MESSAGE_SM3 } sig_input_t;

typedef struct {
  CK_MECHANISM_TYPE type;
  sig_input_t input;
  sig_encoding_t encoding;
  int fixed_default_id; /* SM3 variant whose signer ID is always 1234567812345678 */
} sign_mechanism_t;

typedef struct {
  const char *name;
  CK_KEY_TYPE key_type;
  CK_MECHANISM_TYPE keygen;
  const sign_mechanism_t *sign; /* terminated by type 0 */
  int private_key_has_ec_point; /* TASS-style: CKA_EC_POINT also on the private key */
} family_t;

/* NULL when the name is unknown; NULL name selects the default family. */
const family_t *family_by_name(const char *name);
const sign_mechanism_t *family_sign_mechanism(const family_t *f, CK_MECHANISM_TYPE type);
CK_ULONG family_mechanism_count(const family_t *f);

/* ---- sm2.c ---------------------------------------------------------------------------- */

#define SM2_POINT_LEN 65 /* 04 || X || Y */
#define SM2_PRIV_LEN 32
#define SM2_RAW_SIG_LEN 64
#define SM2_MAX_DER_SIG_LEN 72
#define MASTER_KEY_LEN 32
#define GCM_NONCE_LEN 12
#define GCM_TAG_LEN 16
#define SALT_LEN 16

extern const unsigned char SM2_EC_PARAMS[10]; /* DER OID 1.2.156.10197.1.301 */

typedef struct {
  unsigned char salt[SALT_LEN];
  uint8_t log2_n;
  uint32_t r, p;
  unsigned char nonce[GCM_NONCE_LEN];
  unsigned char ct[MASTER_KEY_LEN];
  unsigned char tag[GCM_TAG_LEN];
} pin_wrap_t;

int sm2_generate(unsigned char d[SM2_PRIV_LEN], unsigned char point[SM2_POINT_LEN]);
EVP_PKEY *sm2_private_key(const unsigned char d[SM2_PRIV_LEN], const unsigned char point[SM2_POINT_LEN]);
EVP_PKEY *sm2_public_key(const unsigned char point[SM2_POINT_LEN]);
/* Sign a 32-byte e, or a message with SM3 over Z(id) || M. sig holds SM2_MAX_DER_SIG_LEN. */
CK_RV sm2_sign(EVP_PKEY *key, const sign_mechanism_t *m, const unsigned char *id, size_t id_len,
               const unsigned char *data, size_t data_len, unsigned char *sig, size_t *sig_len);
CK_RV sm2_verify(EVP_PKEY *key, const sign_mechanism_t *m, const unsigned char *id, size_t id_len,
                 const unsigned char *data, size_t data_len, const unsigned char *sig, size_t sig_len);

/* Master key wrapping under a PIN: scrypt(PIN) -> AES-256-GCM key. */
int pin_wrap(pin_wrap_t *w, const unsigned char *pin, size_t pin_len, const unsigned char master[MASTER_KEY_LEN],
             const unsigned char *aad, size_t aad_len);
/* 1 = unwrapped, 0 = wrong PIN (authentication failed), -1 = internal error. */
int pin_unwrap(const pin_wrap_t *w, const unsigned char *pin, size_t pin_len, unsigned char master[MASTER_KEY_LEN],
               const unsigned char *aad, size_t aad_len);
/* AEAD under the master key: out = nonce || ciphertext || tag. */
int seal(const unsigned char key[MASTER_KEY_LEN], const unsigned char *aad, size_t aad_len,
         const unsigned char *pt, size_t pt_len, unsigned char *out);
int unseal(const unsigned char key[MASTER_KEY_LEN], const unsigned char *aad, size_t aad_len,
           const unsigned char *in, size_t in_len, unsigned char *pt);
#define SEALED_LEN(n) (GCM_NONCE_LEN + (n) + GCM_TAG_LEN)
void wipe(void *p, size_t n);

/* ---- object.c ------------------------------------------------------------------------- */

typedef struct {
  CK_ATTRIBUTE_TYPE type;
  CK_ULONG len;
  unsigned char *value;
} attr_t;

typedef struct {
  uint32_t id;               /* object handle within its slot */
  CK_SESSION_HANDLE session; /* owning session for session objects; 0 for token objects */
  attr_t *attrs;
  size_t n_attrs;
  unsigned char *sealed; /* private keys: AEAD(d || point) under the token's master key */
  size_t sealed_len;
  EVP_PKEY *pkey; /* in-memory cache, never persisted */
} object_t;

const attr_t *object_attr(const object_t *o, CK_ATTRIBUTE_TYPE type);
CK_BBOOL object_bool(const object_t *o, CK_ATTRIBUTE_TYPE type);
CK_ULONG object_ulong(const object_t *o, CK_ATTRIBUTE_TYPE type);
int object_set(object_t *o, CK_ATTRIBUTE_TYPE type, const void *value, CK_ULONG len);
void object_clear(object_t *o);
/* Reads as C_GetAttributeValue defines it, with the family's view of key type and EC point. */
CK_RV object_read(const object_t *o, const family_t *f, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count);
/* 0 when an attribute has a length but no value (pValue NULL): callers answer CKR_ATTRIBUTE_VALUE_INVALID. */
int template_values_present(CK_ATTRIBUTE_PTR tmpl, CK_ULONG count);
/* Call only with a template that passed template_values_present. */
int object_matches(const object_t *o, const family_t *f, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count);
/* Fills public and private key objects from caller templates plus the defaults of this token. */
CK_RV object_keypair_from_templates(object_t *pub, object_t *priv, const family_t *f,
                                    CK_ATTRIBUTE_PTR pub_tmpl, CK_ULONG pub_count,
                                    CK_ATTRIBUTE_PTR priv_tmpl, CK_ULONG priv_count);
CK_RV object_update(object_t *o, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count);

/* ---- store.c -------------------------------------------------------------------------- */

typedef struct {
  int initialized;
  unsigned char token_id[16]; /* random per C_InitToken: binds wraps and sealed keys to one life */
  unsigned char label[32];
  uint32_t so_failures, user_failures;
  int user_pin_set;
  pin_wrap_t so_wrap, user_wrap;
  uint32_t next_object_id;
  object_t *objects;
  size_t n_objects;
} token_image_t;

typedef struct {
  dev_t dev;
  ino_t ino;
  struct timespec mtime;
  off_t size;
  int exists;
} file_version_t;

void image_free(token_image_t *img);
/* Each replaces *img and *ver on success. CKR_DEVICE_ERROR on I/O failure or a corrupt file. */
CK_RV store_load(const char *path, token_image_t *img, file_version_t *ver);
CK_RV store_save(const char *path, const token_image_t *img, file_version_t *ver);
int store_version(const char *path, file_version_t *ver);
int store_same_version(const file_version_t *a, const file_version_t *b);
/* flock on path + ".lock": LOCK_SH or LOCK_EX. Returns fd or -1. */
int store_lock(const char *path, int how);
void store_unlock(int fd);

/* ---- token.c -------------------------------------------------------------------------- */

#define NOT_LOGGED_IN ((CK_USER_TYPE)-1)
#define SESSION_OBJECT_BASE 0x80000000U /* session object handles; token objects count from 1 */

typedef struct {
  CK_SLOT_ID id;
  char path[4096];
  token_image_t img;
  file_version_t ver;
  CK_USER_TYPE login;
  unsigned char master[MASTER_KEY_LEN]; /* valid while logged in */
  object_t *session_objects;
  size_t n_session_objects;
  uint32_t next_session_object_id;
} slot_t;

/* All callers hold the module lock. */
CK_RV slot_open(slot_t *s, CK_SLOT_ID id, const char *dir);
void slot_close(slot_t *s);
/* Picks up changes another process made to the store; logs out when the token was re-initialised. */
CK_RV slot_refresh(slot_t *s);
void slot_logout(slot_t *s);
CK_FLAGS slot_token_flags(const slot_t *s);

CK_RV token_init(slot_t *s, const unsigned char *so_pin, size_t so_len, const unsigned char label[32]);
CK_RV token_login(slot_t *s, CK_USER_TYPE who, const unsigned char *pin, size_t len);
CK_RV token_init_pin(slot_t *s, const unsigned char *pin, size_t len);
CK_RV token_set_pin(slot_t *s, const unsigned char *old_pin, size_t old_len, const unsigned char *new_pin,
                    size_t new_len);

object_t *token_object(slot_t *s, CK_OBJECT_HANDLE h);
/* Adds generated key objects; fills ids and seals the private key's (d, point) under the master key. */
CK_RV token_add_keypair(slot_t *s, object_t *pub, object_t *priv, const unsigned char d[SM2_PRIV_LEN],
                        CK_SESSION_HANDLE session, CK_OBJECT_HANDLE *pub_h, CK_OBJECT_HANDLE *priv_h);
CK_RV token_destroy_object(slot_t *s, CK_OBJECT_HANDLE h);
CK_RV token_update_object(slot_t *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count);
void token_drop_session_objects(slot_t *s, CK_SESSION_HANDLE session, int private_only);
/* The object's key for signing (private, needs login) or verifying (public); cached. */
CK_RV token_object_key(slot_t *s, object_t *o, EVP_PKEY **key);

#endif
