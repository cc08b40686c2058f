/*
 * Slots and their tokens. A token's private keys are sealed under a random master key; the
 * master key is stored twice, wrapped under the SO PIN and under the user PIN (scrypt-derived
 * AES-256-GCM keys). A wrong PIN fails the GCM tag, which is the PIN check itself. C_SetPIN
 * re-wraps the master key; the keys themselves never need re-encrypting.
 *
 * Every change runs under an exclusive lock on the store, on a freshly re-read image, and is
 * written atomically, so several processes can share one token directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <openssl/rand.h>
#include "softtoken.h"

static void wrap_aad(const slot_t *s, CK_USER_TYPE who, unsigned char aad[24]) {
  memcpy(aad, who == CKU_SO ? "tqca-so\0" : "tqca-usr", 8);
  memcpy(aad + 8, s->img.token_id, 16);
}

static void object_aad(const slot_t *s, uint32_t id, unsigned char aad[20]) {
  memcpy(aad, s->img.token_id, 16);
  aad[16] = (unsigned char)(id >> 24);
  aad[17] = (unsigned char)(id >> 16);
  aad[18] = (unsigned char)(id >> 8);
  aad[19] = (unsigned char)id;
}

CK_RV slot_open(slot_t *s, CK_SLOT_ID id, const char *dir) {
  memset(s, 0, sizeof *s);
  s->id = id;
  s->login = NOT_LOGGED_IN;
  s->next_session_object_id = SESSION_OBJECT_BASE;
  if (snprintf(s->path, sizeof s->path, "%s/slot-%lu.token", dir, (unsigned long)id) >= (int)sizeof s->path)
    return CKR_TQ_TOKEN_DIR_UNUSABLE;
  slot_refresh(s); /* an unreadable store fails this slot's calls with CKR_DEVICE_ERROR, not the library */
  return CKR_OK;
}

void slot_close(slot_t *s) {
  slot_logout(s);
  token_drop_session_objects(s, 0, 0);
  free(s->session_objects);
  image_free(&s->img);
}

static void drop_key_caches(object_t *objs, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (object_ulong(&objs[i], CKA_CLASS) == CKO_PRIVATE_KEY && objs[i].pkey) {
      EVP_PKEY_free(objs[i].pkey);
      objs[i].pkey = NULL;
    }
}

void slot_logout(slot_t *s) {
  if (s->login == NOT_LOGGED_IN) return;
  s->login = NOT_LOGGED_IN;
  wipe(s->master, sizeof s->master);
  drop_key_caches(s->img.objects, s->img.n_objects);
  token_drop_session_objects(s, 0, 1);
}

/* 1 when the image in memory is the file's (an image without a file must be uninitialised), 0 when
 * it must be re-read, -1 when the store cannot be examined. */
static int image_current(const slot_t *s) {
  file_version_t now;
  if (!store_version(s->path, &now)) return -1;
  return store_same_version(&now, &s->ver) && (now.exists || !s->img.initialized);
}

/* Re-reads the image when the file changed. Caller holds the store lock (shared or exclusive). */
static CK_RV reload_locked(slot_t *s) {
  int current = image_current(s);
  if (current != 0) return current > 0 ? CKR_OK : CKR_DEVICE_ERROR;
  unsigned char before[16];
  memcpy(before, s->img.token_id, sizeof before);
  CK_RV rv = store_load(s->path, &s->img, &s->ver);
  if (rv == CKR_OK && memcmp(before, s->img.token_id, sizeof before) != 0) {
    slot_logout(s); /* re-initialised elsewhere: our master key and session objects belong to the old token */
    token_drop_session_objects(s, 0, 0);
  }
  return rv;
}

CK_RV slot_refresh(slot_t *s) {
  int current = image_current(s); /* the common case needs one stat and no lock */
  if (current != 0) return current > 0 ? CKR_OK : CKR_DEVICE_ERROR;
  int fd = store_lock(s->path, LOCK_SH);
  if (fd < 0) return CKR_DEVICE_ERROR;
  CK_RV rv = reload_locked(s);
  store_unlock(fd);
  return rv;
}

typedef CK_RV (*change_fn)(slot_t *s, void *arg, int *dirty);

/* Runs fn on the current image under the exclusive lock; saves when fn marks it dirty (even on
 * failure: a failed PIN attempt must be counted). A failed save re-reads the file. */
static CK_RV slot_change(slot_t *s, change_fn fn, void *arg) {
  int fd = store_lock(s->path, LOCK_EX);
  if (fd < 0) return CKR_DEVICE_ERROR;
  int dirty = 0;
  CK_RV rv = reload_locked(s);
  if (rv == CKR_OK) rv = fn(s, arg, &dirty);
  if (dirty && store_save(s->path, &s->img, &s->ver) != CKR_OK) {
    memset(&s->ver, 0, sizeof s->ver);
    reload_locked(s);
    rv = CKR_DEVICE_ERROR;
  }
  store_unlock(fd);
  return rv;
}

static uint32_t *failures(slot_t *s, CK_USER_TYPE who) {
  return who == CKU_SO ? &s->img.so_failures : &s->img.user_failures;
}

static CK_FLAGS counter_flags(uint32_t failures, CK_FLAGS low, CK_FLAGS final, CK_FLAGS locked) {
  if (failures >= ST_MAX_PIN_TRIES) return locked;
  if (failures == ST_MAX_PIN_TRIES - 1) return low | final;
  return failures ? low : 0;
}

CK_FLAGS slot_token_flags(const slot_t *s) {
  CK_FLAGS f = CKF_RNG | CKF_LOGIN_REQUIRED | CKF_RESTORE_KEY_NOT_NEEDED;
  if (!s->img.initialized) return f;
  f |= CKF_TOKEN_INITIALIZED;
  if (s->img.user_pin_set) f |= CKF_USER_PIN_INITIALIZED;
  f |= counter_flags(s->img.user_failures, CKF_USER_PIN_COUNT_LOW, CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_LOCKED);
  f |= counter_flags(s->img.so_failures, CKF_SO_PIN_COUNT_LOW, CKF_SO_PIN_FINAL_TRY, CKF_SO_PIN_LOCKED);
  return f;
}

typedef struct {
  CK_USER_TYPE who;
  const unsigned char *pin, *new_pin, *label;
  size_t len, new_len;
  unsigned char master[MASTER_KEY_LEN];
} pin_args_t;

/* Checks a PIN against its wrap and counts the attempt. */
static CK_RV check_pin(slot_t *s, pin_args_t *a, int *dirty) {
  uint32_t *fails = failures(s, a->who);
  if (*fails >= ST_MAX_PIN_TRIES) return CKR_PIN_LOCKED;
  unsigned char aad[24];
  wrap_aad(s, a->who, aad);
  int r = pin_unwrap(a->who == CKU_SO ? &s->img.so_wrap : &s->img.user_wrap, a->pin, a->len, a->master, aad,
                     sizeof aad);
  if (r < 0) return CKR_DEVICE_ERROR;
  if (r == 0) {
    (*fails)++;
    *dirty = 1;
    return CKR_PIN_INCORRECT;
  }
  if (*fails) {
    *fails = 0;
    *dirty = 1;
  }
  return CKR_OK;
}

static CK_RV wrap_master(slot_t *s, CK_USER_TYPE who, const unsigned char *pin, size_t len,
                         const unsigned char master[MASTER_KEY_LEN]) {
  unsigned char aad[24];
  wrap_aad(s, who, aad);
  if (!pin_wrap(who == CKU_SO ? &s->img.so_wrap : &s->img.user_wrap, pin, len, master, aad, sizeof aad))
    return CKR_DEVICE_ERROR;
  *failures(s, who) = 0;
  if (who == CKU_USER) s->img.user_pin_set = 1;
  return CKR_OK;
}

static int pin_len_ok(size_t len) { return len >= ST_MIN_PIN && len <= ST_MAX_PIN; }

static CK_RV do_init(slot_t *s, void *arg, int *dirty) {
  pin_args_t *a = arg;
  if (s->img.initialized) {
    CK_RV rv = check_pin(s, a, dirty);
    if (rv != CKR_OK) return rv;
  }
  token_image_t fresh;
  memset(&fresh, 0, sizeof fresh);
  fresh.initialized = 1;
  fresh.next_object_id = 1;
  memcpy(fresh.label, a->label, sizeof fresh.label);
  if (RAND_bytes(fresh.token_id, sizeof fresh.token_id) <= 0 || RAND_bytes(a->master, MASTER_KEY_LEN) <= 0)
    return CKR_DEVICE_ERROR;
  image_free(&s->img);
  s->img = fresh;
  *dirty = 1;
  return wrap_master(s, CKU_SO, a->pin, a->len, a->master);
}

CK_RV token_init(slot_t *s, const unsigned char *so_pin, size_t so_len, const unsigned char label[32]) {
  if (!pin_len_ok(so_len)) return CKR_PIN_LEN_RANGE;
  pin_args_t a = {.who = CKU_SO, .pin = so_pin, .len = so_len, .label = label};
  CK_RV rv = slot_change(s, do_init, &a);
  wipe(a.master, sizeof a.master);
  return rv;
}

static CK_RV do_login(slot_t *s, void *arg, int *dirty) {
  pin_args_t *a = arg;
  if (!s->img.initialized) return CKR_TOKEN_NOT_RECOGNIZED;
  if (a->who == CKU_USER && !s->img.user_pin_set) return CKR_USER_PIN_NOT_INITIALIZED;
  return check_pin(s, a, dirty);
}

CK_RV token_login(slot_t *s, CK_USER_TYPE who, const unsigned char *pin, size_t len) {
  pin_args_t a = {.who = who, .pin = pin, .len = len};
  CK_RV rv = slot_change(s, do_login, &a);
  if (rv == CKR_OK) {
    memcpy(s->master, a.master, sizeof s->master);
    s->login = who;
  }
  wipe(a.master, sizeof a.master);
  return rv;
}

static CK_RV do_init_pin(slot_t *s, void *arg, int *dirty) {
  pin_args_t *a = arg;
  if (s->login != CKU_SO) return CKR_USER_NOT_LOGGED_IN; /* a refresh may have logged us out */
  *dirty = 1;
  return wrap_master(s, CKU_USER, a->pin, a->len, s->master);
}

CK_RV token_init_pin(slot_t *s, const unsigned char *pin, size_t len) {
  if (!pin_len_ok(len)) return CKR_PIN_LEN_RANGE;
  pin_args_t a = {.who = CKU_USER, .pin = pin, .len = len};
  return slot_change(s, do_init_pin, &a);
}

static CK_RV do_set_pin(slot_t *s, void *arg, int *dirty) {
  pin_args_t *a = arg;
  if (!s->img.initialized) return CKR_TOKEN_NOT_RECOGNIZED;
  if (a->who == CKU_USER && !s->img.user_pin_set) return CKR_USER_PIN_NOT_INITIALIZED;
  CK_RV rv = check_pin(s, a, dirty);
  if (rv != CKR_OK) return rv;
  *dirty = 1;
  return wrap_master(s, a->who, a->new_pin, a->new_len, a->master);
}

CK_RV token_set_pin(slot_t *s, const unsigned char *old_pin, size_t old_len, const unsigned char *new_pin,
                    size_t new_len) {
  if (!pin_len_ok(new_len)) return CKR_PIN_LEN_RANGE;
  pin_args_t a = {.who = s->login == CKU_SO ? CKU_SO : CKU_USER, .pin = old_pin, .len = old_len,
                  .new_pin = new_pin, .new_len = new_len};
  CK_RV rv = slot_change(s, do_set_pin, &a);
  wipe(a.master, sizeof a.master);
  return rv;
}

object_t *token_object(slot_t *s, CK_OBJECT_HANDLE h) {
  object_t *objs = h >= SESSION_OBJECT_BASE ? s->session_objects : s->img.objects;
  size_t n = h >= SESSION_OBJECT_BASE ? s->n_session_objects : s->img.n_objects;
  for (size_t i = 0; i < n; i++)
    if (objs[i].id == h) return &objs[i];
  return NULL;
}

static int append(object_t **objs, size_t *n, object_t *o) {
  object_t *grown = realloc(*objs, (*n + 1) * sizeof *grown);
  if (grown == NULL) return 0;
  *objs = grown;
  grown[(*n)++] = *o;
  memset(o, 0, sizeof *o); /* ownership moved */
  return 1;
}

static void remove_at(object_t *objs, size_t *n, size_t i) {
  object_clear(&objs[i]);
  memmove(&objs[i], &objs[i + 1], (*n - i - 1) * sizeof *objs);
  (*n)--;
}

typedef struct {
  object_t *pub, *priv;
  const unsigned char *d;
  CK_SESSION_HANDLE session;
  CK_OBJECT_HANDLE *pub_h, *priv_h;
} keypair_args_t;

static CK_RV place(slot_t *s, object_t *o, CK_SESSION_HANDLE session, const unsigned char *secret, int *dirty,
                   CK_OBJECT_HANDLE *handle) {
  int on_token = object_bool(o, CKA_TOKEN);
  o->id = on_token ? s->img.next_object_id++ : s->next_session_object_id++;
  *handle = o->id;
  o->session = on_token ? 0 : session;
  if (secret) {
    unsigned char aad[20];
    object_aad(s, o->id, aad);
    o->sealed_len = SEALED_LEN(SM2_PRIV_LEN + SM2_POINT_LEN);
    if ((o->sealed = malloc(o->sealed_len)) == NULL) return CKR_HOST_MEMORY;
    if (!seal(s->master, aad, sizeof aad, secret, SM2_PRIV_LEN + SM2_POINT_LEN, o->sealed)) return CKR_DEVICE_ERROR;
  }
  if (on_token) *dirty = 1;
  return append(on_token ? &s->img.objects : &s->session_objects, on_token ? &s->img.n_objects : &s->n_session_objects,
                o)
             ? CKR_OK
             : CKR_HOST_MEMORY;
}

static CK_RV do_add_keypair(slot_t *s, void *arg, int *dirty) {
  keypair_args_t *a = arg;
  if (s->login != CKU_USER) return CKR_USER_NOT_LOGGED_IN;
  unsigned char secret[SM2_PRIV_LEN + SM2_POINT_LEN];
  const attr_t *point = object_attr(a->pub, CKA_EC_POINT); /* DER OCTET STRING: 04 41 || point */
  memcpy(secret, a->d, SM2_PRIV_LEN);
  memcpy(secret + SM2_PRIV_LEN, point->value + 2, SM2_POINT_LEN);
  size_t n_token = s->img.n_objects, n_session = s->n_session_objects;
  CK_RV rv = place(s, a->priv, a->session, secret, dirty, a->priv_h);
  wipe(secret, sizeof secret);
  if (rv == CKR_OK) rv = place(s, a->pub, a->session, NULL, dirty, a->pub_h);
  if (rv != CKR_OK) { /* both halves or neither */
    while (s->img.n_objects > n_token) remove_at(s->img.objects, &s->img.n_objects, s->img.n_objects - 1);
    while (s->n_session_objects > n_session)
      remove_at(s->session_objects, &s->n_session_objects, s->n_session_objects - 1);
    *dirty = 0;
  }
  return rv;
}

CK_RV token_add_keypair(slot_t *s, object_t *pub, object_t *priv, const unsigned char d[SM2_PRIV_LEN],
                        CK_SESSION_HANDLE session, CK_OBJECT_HANDLE *pub_h, CK_OBJECT_HANDLE *priv_h) {
  keypair_args_t a = {pub, priv, d, session, pub_h, priv_h};
  int persistent = object_bool(pub, CKA_TOKEN) || object_bool(priv, CKA_TOKEN);
  if (persistent) return slot_change(s, do_add_keypair, &a);
  int dirty = 0;
  return do_add_keypair(s, &a, &dirty);
}

static CK_RV do_destroy(slot_t *s, void *arg, int *dirty) {
  CK_OBJECT_HANDLE h = *(CK_OBJECT_HANDLE *)arg;
  for (size_t i = 0; i < s->img.n_objects; i++) {
    if (s->img.objects[i].id == h) {
      remove_at(s->img.objects, &s->img.n_objects, i);
      *dirty = 1;
      return CKR_OK;
    }
  }
  return CKR_OBJECT_HANDLE_INVALID;
}

CK_RV token_destroy_object(slot_t *s, CK_OBJECT_HANDLE h) {
  if (h < SESSION_OBJECT_BASE) return slot_change(s, do_destroy, &h);
  for (size_t i = 0; i < s->n_session_objects; i++) {
    if (s->session_objects[i].id == h) {
      remove_at(s->session_objects, &s->n_session_objects, i);
      return CKR_OK;
    }
  }
  return CKR_OBJECT_HANDLE_INVALID;
}

typedef struct {
  CK_OBJECT_HANDLE h;
  CK_ATTRIBUTE_PTR tmpl;
  CK_ULONG count;
} update_args_t;

static CK_RV do_update(slot_t *s, void *arg, int *dirty) {
  update_args_t *a = arg;
  object_t *o = token_object(s, a->h);
  if (o == NULL) return CKR_OBJECT_HANDLE_INVALID;
  CK_RV rv = object_update(o, a->tmpl, a->count);
  *dirty = rv == CKR_OK && o->session == 0;
  return rv;
}

CK_RV token_update_object(slot_t *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count) {
  update_args_t a = {h, tmpl, count};
  if (h < SESSION_OBJECT_BASE) return slot_change(s, do_update, &a);
  int dirty = 0;
  return do_update(s, &a, &dirty);
}

void token_drop_session_objects(slot_t *s, CK_SESSION_HANDLE session, int private_only) {
  for (size_t i = s->n_session_objects; i-- > 0;) {
    object_t *o = &s->session_objects[i];
    if ((session == 0 || o->session == session) && (!private_only || object_bool(o, CKA_PRIVATE)))
      remove_at(s->session_objects, &s->n_session_objects, i);
  }
}

CK_RV token_object_key(slot_t *s, object_t *o, EVP_PKEY **key) {
  if (o->pkey == NULL) {
    if (object_ulong(o, CKA_CLASS) == CKO_PRIVATE_KEY) {
      unsigned char secret[SM2_PRIV_LEN + SM2_POINT_LEN], aad[20];
      if (s->login != CKU_USER) return CKR_USER_NOT_LOGGED_IN;
      object_aad(s, o->id, aad);
      if (o->sealed_len != SEALED_LEN(sizeof secret) || !unseal(s->master, aad, sizeof aad, o->sealed, o->sealed_len, secret)) {
        wipe(secret, sizeof secret); /* a failed tag check still leaves the decrypted bytes here */
        return CKR_DEVICE_ERROR;     /* tampered or foreign store */
      }
      o->pkey = sm2_private_key(secret, secret + SM2_PRIV_LEN);
      wipe(secret, sizeof secret);
    } else {
      const attr_t *p = object_attr(o, CKA_EC_POINT);
      if (p == NULL || p->len != 2 + SM2_POINT_LEN || p->value[0] != 0x04 || p->value[1] != SM2_POINT_LEN)
        return CKR_KEY_TYPE_INCONSISTENT;
      o->pkey = sm2_public_key(p->value + 2);
    }
    if (o->pkey == NULL) return CKR_DEVICE_ERROR;
  }
  if (!EVP_PKEY_up_ref(o->pkey)) return CKR_HOST_MEMORY;
  *key = o->pkey;
  return CKR_OK;
}
