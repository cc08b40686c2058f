/*
 * Vendor code families. OASIS PKCS#11 defines no SM2 codes, so each HSM family uses its own
 * (each family's profile in hsm/profiles names them). The token answers under exactly one family per process,
 * chosen by TQCA_SOFTTOKEN_FAMILY, so that the host layer's vendor profiles are exercised as on
 * the real device. Keys are stored family-neutral: CKA_KEY_TYPE is presented per family.
 */
#include <string.h>
#include "softtoken.h"

/* Our own codes: "TQ" (0x54 0x51) in the vendor range, distinct from every known HSM. */
static const sign_mechanism_t softtoken_sign[] = {
    {0x80545111UL, INPUT_DIGEST, SIG_RAW, 0},
    {0x80545112UL, INPUT_MESSAGE_SM3, SIG_RAW, 0},
    {0, 0, 0, 0},
};

static const sign_mechanism_t luna_sign[] = {
    {0x80000B21UL, INPUT_DIGEST, SIG_RAW, 0},
    {0x80000B22UL, INPUT_MESSAGE_SM3, SIG_RAW, 0},
    {0, 0, 0, 0},
};

/* Sansec: 0x80008104 signs e with DER output, +1 raw; 0x80008100 hashes with the ID given,
 * +1 DER output, 0x80008102 hashes with the fixed default ID. */
static const sign_mechanism_t sansec_sign[] = {
    {0x80008104UL, INPUT_DIGEST, SIG_DER, 0},
    {0x80008105UL, INPUT_DIGEST, SIG_RAW, 0},
    {0x80008100UL, INPUT_MESSAGE_SM3, SIG_RAW, 0},
    {0x80008101UL, INPUT_MESSAGE_SM3, SIG_DER, 0},
    {0x80008102UL, INPUT_MESSAGE_SM3, SIG_RAW, 1},
    {0, 0, 0, 0},
};

/* TASS: DER signatures, and private keys carry CKA_EC_POINT. */
static const sign_mechanism_t tass_sign[] = {
    {0x80008000UL, INPUT_DIGEST, SIG_DER, 0},
    {0x80008100UL, INPUT_MESSAGE_SM3, SIG_DER, 0},
    {0, 0, 0, 0},
};

static const family_t families[] = {
    {"softtoken", 0x80545101UL, 0x80545110UL, softtoken_sign, 0},
    {"luna", 0x80000016UL, 0x80000B20UL, luna_sign, 0},
    {"sansec", 0x80000004UL, 0x80008001UL, sansec_sign, 0},
    {"tass", 0x80000004UL, 0x80008001UL, tass_sign, 1},
};

const family_t *family_by_name(const char *name) {
  if (name == NULL || *name == '\0') return &families[0];
  for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
    if (strcmp(families[i].name, name) == 0) return &families[i];
  return NULL;
}

const sign_mechanism_t *family_sign_mechanism(const family_t *f, CK_MECHANISM_TYPE type) {
  for (const sign_mechanism_t *m = f->sign; m->type != 0; m++)
    if (m->type == type) return m;
  return NULL;
}

CK_ULONG family_mechanism_count(const family_t *f) {
  CK_ULONG n = 1; /* key-pair generation */
  for (const sign_mechanism_t *m = f->sign; m->type != 0; m++) n++;
  return n;
}
