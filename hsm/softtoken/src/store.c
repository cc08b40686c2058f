/*
 * The persistent token image, one file per slot: $TQCA_TOKEN_DIR/slot-<n>.token.
 *
 * Format (all integers big-endian):
 *   "TQST" u32 version=1
 *   u8 initialized, token_id[16], label[32], u32 so_failures, u32 user_failures, u8 user_pin_set
 *   so_wrap, user_wrap: salt[16] u8 log2_n u32 r u32 p nonce[12] ct[32] tag[16]
 *   u32 next_object_id, u32 object_count, then per object:
 *     u32 id, u32 attr_count, per attribute: u32 type, u32 len, value[len]
 *     u32 sealed_len, sealed[sealed_len]  (AES-256-GCM ciphertext: nonce || d || point || tag)
 *
 * Writers hold an exclusive flock on slot-<n>.token.lock, write a temporary file, fsync it,
 * rename it over the old one and fsync the directory, so readers in other processes see either
 * image, never a mix, and a completed change survives a crash.
 * Every rename makes a new inode: (dev, inode, mtime, size) tells a reader the file changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "softtoken.h"

#define MAGIC "TQST"
#define FORMAT_VERSION 1
#define MAX_FILE (16UL * 1024 * 1024)
#define MAX_ATTR_LEN 65536

typedef struct {
  unsigned char *p;
  size_t len, cap;
  int failed;
} writer_t;

static void put(writer_t *w, const void *data, size_t n) {
  if (w->failed || n == 0) return;
  if (w->len + n > w->cap) {
    size_t cap = w->cap ? w->cap : 4096;
    while (cap < w->len + n) cap *= 2;
    unsigned char *p = realloc(w->p, cap);
    if (p == NULL) {
      w->failed = 1;
      return;
    }
    w->p = p;
    w->cap = cap;
  }
  memcpy(w->p + w->len, data, n);
  w->len += n;
}

static void put_u32(writer_t *w, uint32_t v) {
  unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
  put(w, b, 4);
}

static void put_u8(writer_t *w, uint8_t v) { put(w, &v, 1); }

static void put_wrap(writer_t *w, const pin_wrap_t *pw) {
  put(w, pw->salt, SALT_LEN);
  put_u8(w, pw->log2_n);
  put_u32(w, pw->r);
  put_u32(w, pw->p);
  put(w, pw->nonce, GCM_NONCE_LEN);
  put(w, pw->ct, MASTER_KEY_LEN);
  put(w, pw->tag, GCM_TAG_LEN);
}

typedef struct {
  const unsigned char *p;
  size_t len, pos;
  int failed;
} reader_t;

static const unsigned char *take(reader_t *r, size_t n) {
  if (r->failed || n > r->len - r->pos) {
    r->failed = 1;
    return NULL;
  }
  const unsigned char *p = r->p + r->pos;
  r->pos += n;
  return p;
}

static void get(reader_t *r, void *out, size_t n) {
  const unsigned char *p = take(r, n);
  if (p) memcpy(out, p, n);
  else memset(out, 0, n);
}

static uint32_t get_u32(reader_t *r) {
  const unsigned char *b = take(r, 4);
  return b ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3] : 0;
}

static uint8_t get_u8(reader_t *r) {
  const unsigned char *b = take(r, 1);
  return b ? b[0] : 0;
}

static void get_wrap(reader_t *r, pin_wrap_t *pw) {
  get(r, pw->salt, SALT_LEN);
  pw->log2_n = get_u8(r);
  pw->r = get_u32(r);
  pw->p = get_u32(r);
  get(r, pw->nonce, GCM_NONCE_LEN);
  get(r, pw->ct, MASTER_KEY_LEN);
  get(r, pw->tag, GCM_TAG_LEN);
}

void image_free(token_image_t *img) {
  for (size_t i = 0; i < img->n_objects; i++) object_clear(&img->objects[i]);
  free(img->objects);
  wipe(img, sizeof *img);
}

static int encode(const token_image_t *img, writer_t *w) {
  put(w, MAGIC, 4);
  put_u32(w, FORMAT_VERSION);
  put_u8(w, (uint8_t)img->initialized);
  put(w, img->token_id, sizeof img->token_id);
  put(w, img->label, sizeof img->label);
  put_u32(w, img->so_failures);
  put_u32(w, img->user_failures);
  put_u8(w, (uint8_t)img->user_pin_set);
  put_wrap(w, &img->so_wrap);
  put_wrap(w, &img->user_wrap);
  put_u32(w, img->next_object_id);
  put_u32(w, (uint32_t)img->n_objects);
  for (size_t i = 0; i < img->n_objects; i++) {
    const object_t *o = &img->objects[i];
    put_u32(w, o->id);
    put_u32(w, (uint32_t)o->n_attrs);
    for (size_t a = 0; a < o->n_attrs; a++) {
      put_u32(w, (uint32_t)o->attrs[a].type);
      put_u32(w, (uint32_t)o->attrs[a].len);
      put(w, o->attrs[a].value, o->attrs[a].len);
    }
    put_u32(w, (uint32_t)o->sealed_len);
    put(w, o->sealed, o->sealed_len);
  }
  return !w->failed;
}

static int decode(reader_t *r, token_image_t *img) {
  const unsigned char *magic = take(r, 4);
  if (magic == NULL || memcmp(magic, MAGIC, 4) != 0 || get_u32(r) != FORMAT_VERSION) return 0;
  img->initialized = get_u8(r);
  get(r, img->token_id, sizeof img->token_id);
  get(r, img->label, sizeof img->label);
  img->so_failures = get_u32(r);
  img->user_failures = get_u32(r);
  img->user_pin_set = get_u8(r);
  get_wrap(r, &img->so_wrap);
  get_wrap(r, &img->user_wrap);
  img->next_object_id = get_u32(r);
  uint32_t n = get_u32(r);
  if (r->failed || n > (r->len - r->pos) / 12) return 0; /* each object needs at least 12 bytes */
  img->objects = calloc(n ? n : 1, sizeof *img->objects);
  if (img->objects == NULL) return 0;
  for (uint32_t i = 0; i < n && !r->failed; i++) {
    object_t *o = &img->objects[i];
    img->n_objects = i + 1; /* counted before it is filled, so image_free frees a half-read object too */
    o->id = get_u32(r);
    uint32_t n_attrs = get_u32(r);
    if (r->failed || n_attrs > (r->len - r->pos) / 8) return 0;
    for (uint32_t a = 0; a < n_attrs; a++) {
      CK_ATTRIBUTE_TYPE type = get_u32(r);
      uint32_t len = get_u32(r);
      const unsigned char *v = len <= MAX_ATTR_LEN ? take(r, len) : NULL;
      if (v == NULL || !object_set(o, type, v, len)) return 0;
    }
    uint32_t sealed_len = get_u32(r);
    const unsigned char *sealed = sealed_len <= MAX_ATTR_LEN ? take(r, sealed_len) : NULL;
    if (sealed == NULL) return 0;
    if (sealed_len) {
      if ((o->sealed = malloc(sealed_len)) == NULL) return 0;
      memcpy(o->sealed, sealed, sealed_len);
      o->sealed_len = sealed_len;
    }
  }
  return !r->failed && r->pos == r->len;
}

int store_version(const char *path, file_version_t *ver) {
  struct stat st;
  memset(ver, 0, sizeof *ver);
  if (stat(path, &st) != 0) return errno == ENOENT;
  ver->exists = 1;
  ver->dev = st.st_dev;
  ver->ino = st.st_ino;
  ver->mtime = st.st_mtim;
  ver->size = st.st_size;
  return 1;
}

int store_same_version(const file_version_t *a, const file_version_t *b) {
  if (!a->exists || !b->exists) return a->exists == b->exists;
  return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
         a->mtime.tv_nsec == b->mtime.tv_nsec;
}

CK_RV store_load(const char *path, token_image_t *img, file_version_t *ver) {
  token_image_t fresh;
  memset(&fresh, 0, sizeof fresh);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) return CKR_DEVICE_ERROR;
    image_free(img); /* no file: an uninitialised token */
    *img = fresh;
    return store_version(path, ver) ? CKR_OK : CKR_DEVICE_ERROR;
  }
  struct stat st;
  unsigned char *data = NULL;
  CK_RV rv = CKR_DEVICE_ERROR;
  if (fstat(fd, &st) != 0 || st.st_size <= 0 || (size_t)st.st_size > MAX_FILE) goto done;
  if ((data = malloc((size_t)st.st_size)) == NULL) goto done;
  size_t got = 0;
  while (got < (size_t)st.st_size) {
    ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
    if (n <= 0) goto done;
    got += (size_t)n;
  }
  reader_t r = {data, got, 0, 0};
  if (!decode(&r, &fresh)) {
    image_free(&fresh);
    goto done;
  }
  image_free(img);
  *img = fresh;
  memset(ver, 0, sizeof *ver);
  ver->exists = 1;
  ver->dev = st.st_dev;
  ver->ino = st.st_ino;
  ver->mtime = st.st_mtim;
  ver->size = st.st_size;
  rv = CKR_OK;
done:
  if (data) wipe(data, (size_t)st.st_size);
  free(data);
  close(fd);
  return rv;
}

/* The rename is durable only once the directory is synced: a power cut after C_GenerateKeyPair returned
 * must not bring back the image without the key the CA has already recorded. */
static int sync_parent(const char *path) {
  char dir[4096];
  const char *slash = strrchr(path, '/');
  size_t n = slash == NULL ? 1 : slash == path ? 1 : (size_t)(slash - path);
  if (n >= sizeof dir) return 0;
  memcpy(dir, slash == NULL ? "." : path, n);
  dir[n] = '\0';
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return 0;
  int ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

CK_RV store_save(const char *path, const token_image_t *img, file_version_t *ver) {
  writer_t w = {0};
  char tmp[4096];
  CK_RV rv = CKR_DEVICE_ERROR;
  if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp || !encode(img, &w)) goto done;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) goto done;
  size_t off = 0;
  while (off < w.len) {
    ssize_t n = write(fd, w.p + off, w.len - off);
    if (n <= 0) break;
    off += (size_t)n;
  }
  int ok = off == w.len && fsync(fd) == 0;
  ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp, path) != 0) {
    unlink(tmp);
    goto done;
  }
  rv = sync_parent(path) && store_version(path, ver) ? CKR_OK : CKR_DEVICE_ERROR;
done:
  if (w.p) wipe(w.p, w.len);
  free(w.p);
  return rv;
}

int store_lock(const char *path, int how) {
  char lock[4096];
  if (snprintf(lock, sizeof lock, "%s.lock", path) >= (int)sizeof lock) return -1;
  int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  while (flock(fd, how) != 0) {
    if (errno != EINTR) {
      close(fd);
      return -1;
    }
  }
  return fd;
}

void store_unlock(int fd) {
  if (fd >= 0) close(fd); /* closing the descriptor releases the flock */
}
