/*
 * Objects are attribute lists. Key type and key-generation mechanism are not stored: they are
 * presented in the selected family's codes, so one token directory serves every family.
 */
#include <stdlib.h>
#include <string.h>
#include "softtoken.h"

const attr_t *object_attr(const object_t *o, CK_ATTRIBUTE_TYPE type) {
  for (size_t i = 0; i < o->n_attrs; i++)
    if (o->attrs[i].type == type) return &o->attrs[i];
  return NULL;
}

CK_BBOOL object_bool(const object_t *o, CK_ATTRIBUTE_TYPE type) {
  const attr_t *a = object_attr(o, type);
  return a != NULL && a->len == sizeof(CK_BBOOL) && a->value[0] ? CK_TRUE : CK_FALSE;
}

CK_ULONG object_ulong(const object_t *o, CK_ATTRIBUTE_TYPE type) {
  const attr_t *a = object_attr(o, type);
  CK_ULONG v = (CK_ULONG)-1;
  if (a != NULL && a->len == sizeof v) memcpy(&v, a->value, sizeof v);
  return v;
}

int object_set(object_t *o, CK_ATTRIBUTE_TYPE type, const void *value, CK_ULONG len) {
  unsigned char *copy = malloc(len ? len : 1);
  if (copy == NULL) return 0;
  if (len) memcpy(copy, value, len);
  for (size_t i = 0; i < o->n_attrs; i++) {
    if (o->attrs[i].type == type) {
      free(o->attrs[i].value);
      o->attrs[i].value = copy;
      o->attrs[i].len = len;
      return 1;
    }
  }
  attr_t *attrs = realloc(o->attrs, (o->n_attrs + 1) * sizeof *attrs);
  if (attrs == NULL) {
    free(copy);
    return 0;
  }
  o->attrs = attrs;
  o->attrs[o->n_attrs++] = (attr_t){type, len, copy};
  return 1;
}

void object_clear(object_t *o) {
  for (size_t i = 0; i < o->n_attrs; i++) free(o->attrs[i].value);
  free(o->attrs);
  if (o->sealed) wipe(o->sealed, o->sealed_len);
  free(o->sealed);
  EVP_PKEY_free(o->pkey);
  memset(o, 0, sizeof *o);
}

typedef enum { VIEW_VALUE, VIEW_SENSITIVE, VIEW_ABSENT } view_t;

/* The attribute as the family presents it; *scratch backs computed CK_ULONG values. */
static view_t object_view(const object_t *o, const family_t *f, CK_ATTRIBUTE_TYPE type, CK_ULONG *scratch,
                          const void **value, CK_ULONG *len) {
  CK_OBJECT_CLASS cls = object_ulong(o, CKA_CLASS);
  if (type == CKA_KEY_TYPE || type == CKA_KEY_GEN_MECHANISM) {
    *scratch = type == CKA_KEY_TYPE ? f->key_type : f->keygen;
    *value = scratch;
    *len = sizeof *scratch;
    return VIEW_VALUE;
  }
  if (cls == CKO_PRIVATE_KEY && type == CKA_VALUE) return VIEW_SENSITIVE;
  if (cls == CKO_PRIVATE_KEY && type == CKA_EC_POINT && !f->private_key_has_ec_point) return VIEW_ABSENT;
  const attr_t *a = object_attr(o, type);
  if (a == NULL) return VIEW_ABSENT;
  *value = a->value;
  *len = a->len;
  return VIEW_VALUE;
}

CK_RV object_read(const object_t *o, const family_t *f, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count) {
  CK_RV rv = CKR_OK;
  for (CK_ULONG i = 0; i < count; i++) {
    CK_ULONG scratch, len = 0;
    const void *value = NULL;
    view_t v = object_view(o, f, tmpl[i].type, &scratch, &value, &len);
    if (v != VIEW_VALUE) {
      tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
      rv = v == VIEW_SENSITIVE ? CKR_ATTRIBUTE_SENSITIVE : CKR_ATTRIBUTE_TYPE_INVALID;
    } else if (tmpl[i].pValue == NULL) {
      tmpl[i].ulValueLen = len;
    } else if (tmpl[i].ulValueLen < len) {
      tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
      rv = CKR_BUFFER_TOO_SMALL;
    } else {
      if (len) memcpy(tmpl[i].pValue, value, len);
      tmpl[i].ulValueLen = len;
    }
  }
  return rv;
}

int template_values_present(CK_ATTRIBUTE_PTR tmpl, CK_ULONG count) {
  for (CK_ULONG i = 0; i < count; i++)
    if (tmpl[i].pValue == NULL && tmpl[i].ulValueLen != 0) return 0;
  return 1;
}

int object_matches(const object_t *o, const family_t *f, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count) {
  for (CK_ULONG i = 0; i < count; i++) {
    CK_ULONG scratch, len = 0;
    const void *value = NULL;
    if (object_view(o, f, tmpl[i].type, &scratch, &value, &len) != VIEW_VALUE || len != tmpl[i].ulValueLen ||
        (len && memcmp(value, tmpl[i].pValue, len) != 0))
      return 0;
  }
  return 1;
}

/* How a caller-supplied attribute is treated when creating a key. */
typedef enum {
  ACCEPT,        /* stored as given */
  BOOL_FALSE,    /* capability we do not offer: only CK_FALSE is accepted */
  BOOL_TRUE,     /* property we enforce: only CK_TRUE is accepted */
  MUST_EQUAL,    /* checked against the value the token would set */
  READ_ONLY,     /* set by the token */
} rule_t;

typedef struct {
  CK_ATTRIBUTE_TYPE type;
  rule_t rule;
  int is_bool;
} attr_rule_t;

#define END_OF_RULES ((CK_ATTRIBUTE_TYPE)-1) /* CKA_CLASS is 0, so 0 cannot end a list */

static const attr_rule_t common_rules[] = {
    {CKA_CLASS, MUST_EQUAL, 0},     {CKA_KEY_TYPE, MUST_EQUAL, 0},    {CKA_TOKEN, ACCEPT, 1},
    {CKA_PRIVATE, ACCEPT, 1},       {CKA_MODIFIABLE, ACCEPT, 1},      {CKA_DESTROYABLE, ACCEPT, 1},
    {CKA_COPYABLE, BOOL_FALSE, 1},  {CKA_LABEL, ACCEPT, 0},           {CKA_ID, ACCEPT, 0},
    {CKA_SUBJECT, ACCEPT, 0},       {CKA_START_DATE, ACCEPT, 0},      {CKA_END_DATE, ACCEPT, 0},
    {CKA_DERIVE, BOOL_FALSE, 1},    {CKA_EC_PARAMS, MUST_EQUAL, 0},   {CKA_LOCAL, READ_ONLY, 1},
    {CKA_KEY_GEN_MECHANISM, READ_ONLY, 0}, {CKA_EC_POINT, READ_ONLY, 0}, {CKA_VALUE, READ_ONLY, 0},
    {END_OF_RULES, ACCEPT, 0},
};

static const attr_rule_t private_rules[] = {
    {CKA_SIGN, ACCEPT, 1},          {CKA_SENSITIVE, BOOL_TRUE, 1},    {CKA_EXTRACTABLE, BOOL_FALSE, 1},
    {CKA_DECRYPT, BOOL_FALSE, 1},   {CKA_UNWRAP, BOOL_FALSE, 1},      {CKA_SIGN_RECOVER, BOOL_FALSE, 1},
    {CKA_ALWAYS_AUTHENTICATE, BOOL_FALSE, 1}, {CKA_WRAP_WITH_TRUSTED, BOOL_FALSE, 1},
    {CKA_ALWAYS_SENSITIVE, READ_ONLY, 1}, {CKA_NEVER_EXTRACTABLE, READ_ONLY, 1},
    {END_OF_RULES, ACCEPT, 0},
};

static const attr_rule_t public_rules[] = {
    {CKA_VERIFY, ACCEPT, 1},        {CKA_ENCRYPT, BOOL_FALSE, 1},     {CKA_WRAP, BOOL_FALSE, 1},
    {CKA_VERIFY_RECOVER, BOOL_FALSE, 1}, {CKA_TRUSTED, BOOL_FALSE, 1},
    {END_OF_RULES, ACCEPT, 0},
};

static const attr_rule_t *find_rule(const attr_rule_t *rules, CK_ATTRIBUTE_TYPE type) {
  for (; rules->type != END_OF_RULES; rules++)
    if (rules->type == type) return rules;
  return NULL;
}

static CK_RV apply_template(object_t *o, const family_t *f, const attr_rule_t *own, CK_ATTRIBUTE_PTR tmpl,
                            CK_ULONG count) {
  for (CK_ULONG i = 0; i < count; i++) {
    const CK_ATTRIBUTE *a = &tmpl[i];
    const attr_rule_t *r = find_rule(own, a->type);
    if (r == NULL) r = find_rule(common_rules, a->type);
    if (r == NULL) return CKR_ATTRIBUTE_TYPE_INVALID;
    if (a->pValue == NULL && a->ulValueLen != 0) return CKR_ATTRIBUTE_VALUE_INVALID;
    if (r->is_bool && (a->ulValueLen != sizeof(CK_BBOOL) || ((CK_BBOOL *)a->pValue)[0] > 1))
      return CKR_ATTRIBUTE_VALUE_INVALID;
    switch (r->rule) {
      case READ_ONLY:
        return CKR_ATTRIBUTE_READ_ONLY;
      case BOOL_FALSE:
      case BOOL_TRUE:
        if (((CK_BBOOL *)a->pValue)[0] != (r->rule == BOOL_TRUE)) return CKR_ATTRIBUTE_VALUE_INVALID;
        break;
      case MUST_EQUAL: {
        CK_ULONG expect = a->type == CKA_CLASS ? object_ulong(o, CKA_CLASS) : f->key_type;
        if (a->type == CKA_EC_PARAMS) {
          if (a->ulValueLen != sizeof SM2_EC_PARAMS || memcmp(a->pValue, SM2_EC_PARAMS, sizeof SM2_EC_PARAMS) != 0)
            return CKR_DOMAIN_PARAMS_INVALID;
        } else if (a->ulValueLen != sizeof(CK_ULONG) || memcmp(a->pValue, &expect, sizeof expect) != 0) {
          return CKR_TEMPLATE_INCONSISTENT;
        }
        break;
      }
      case ACCEPT:
        if (a->ulValueLen > 1024) return CKR_ATTRIBUTE_VALUE_INVALID;
        if (!object_set(o, a->type, a->pValue, a->ulValueLen)) return CKR_HOST_MEMORY;
        break;
    }
  }
  return CKR_OK;
}

static int set_ulong(object_t *o, CK_ATTRIBUTE_TYPE type, CK_ULONG v) { return object_set(o, type, &v, sizeof v); }

static int set_bool(object_t *o, CK_ATTRIBUTE_TYPE type, CK_BBOOL v) { return object_set(o, type, &v, sizeof v); }

/* Defaults first; the template then overrides what it may. */
static int key_defaults(object_t *o, CK_OBJECT_CLASS cls) {
  int priv = cls == CKO_PRIVATE_KEY;
  return set_ulong(o, CKA_CLASS, cls) && set_bool(o, CKA_TOKEN, CK_FALSE) && set_bool(o, CKA_PRIVATE, priv) &&
         set_bool(o, CKA_MODIFIABLE, CK_TRUE) && set_bool(o, CKA_DESTROYABLE, CK_TRUE) &&
         set_bool(o, CKA_COPYABLE, CK_FALSE) && object_set(o, CKA_LABEL, "", 0) && object_set(o, CKA_ID, "", 0) &&
         object_set(o, CKA_SUBJECT, "", 0) && object_set(o, CKA_START_DATE, "", 0) &&
         object_set(o, CKA_END_DATE, "", 0) && set_bool(o, CKA_DERIVE, CK_FALSE) && set_bool(o, CKA_LOCAL, CK_TRUE) &&
         object_set(o, CKA_EC_PARAMS, SM2_EC_PARAMS, sizeof SM2_EC_PARAMS) &&
         (priv ? set_bool(o, CKA_SIGN, CK_TRUE) && set_bool(o, CKA_SENSITIVE, CK_TRUE) &&
                     set_bool(o, CKA_EXTRACTABLE, CK_FALSE) && set_bool(o, CKA_DECRYPT, CK_FALSE) &&
                     set_bool(o, CKA_UNWRAP, CK_FALSE) && set_bool(o, CKA_SIGN_RECOVER, CK_FALSE) &&
                     set_bool(o, CKA_ALWAYS_AUTHENTICATE, CK_FALSE) && set_bool(o, CKA_WRAP_WITH_TRUSTED, CK_FALSE) &&
                     set_bool(o, CKA_ALWAYS_SENSITIVE, CK_TRUE) && set_bool(o, CKA_NEVER_EXTRACTABLE, CK_TRUE)
               : set_bool(o, CKA_VERIFY, CK_TRUE) && set_bool(o, CKA_ENCRYPT, CK_FALSE) &&
                     set_bool(o, CKA_WRAP, CK_FALSE) && set_bool(o, CKA_VERIFY_RECOVER, CK_FALSE) &&
                     set_bool(o, CKA_TRUSTED, CK_FALSE));
}

CK_RV object_keypair_from_templates(object_t *pub, object_t *priv, const family_t *f,
                                    CK_ATTRIBUTE_PTR pub_tmpl, CK_ULONG pub_count,
                                    CK_ATTRIBUTE_PTR priv_tmpl, CK_ULONG priv_count) {
  if (!key_defaults(pub, CKO_PUBLIC_KEY) || !key_defaults(priv, CKO_PRIVATE_KEY)) return CKR_HOST_MEMORY;
  CK_RV rv = apply_template(pub, f, public_rules, pub_tmpl, pub_count);
  if (rv == CKR_OK) rv = apply_template(priv, f, private_rules, priv_tmpl, priv_count);
  return rv;
}

CK_RV object_update(object_t *o, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count) {
  if (!object_bool(o, CKA_MODIFIABLE)) return CKR_ATTRIBUTE_READ_ONLY;
  for (CK_ULONG i = 0; i < count; i++) {
    if (tmpl[i].type != CKA_LABEL && tmpl[i].type != CKA_ID) return CKR_ATTRIBUTE_READ_ONLY;
    if (tmpl[i].ulValueLen > 1024) return CKR_ATTRIBUTE_VALUE_INVALID;
  }
  if (!template_values_present(tmpl, count)) return CKR_ATTRIBUTE_VALUE_INVALID;
  for (CK_ULONG i = 0; i < count; i++)
    if (!object_set(o, tmpl[i].type, tmpl[i].pValue, tmpl[i].ulValueLen)) return CKR_HOST_MEMORY;
  return CKR_OK;
}
