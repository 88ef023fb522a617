/*
 * SM2 signatures (GB/T 32918.2) on the curve itself: faster than OpenSSL 3.0's generic
 * elliptic-curve code, bit-compatible with it. The caller hashes (Z and e = SM3(Z‖M)) and
 * supplies the randomness; these functions only compute.
 */
#ifndef YIBAO_SM2_H
#define YIBAO_SM2_H

#include <stddef.h>
#include <stdint.h>

/* A public key with 1…15 times its point cached (projective, Montgomery form). */
typedef struct {
    uint64_t multiples[15][12];
} yb_sm2_public_key;

/* A public key's comb: j·16^i·P for i = 0…63, j = 1…15, affine (60 KiB). With it a
 * verification needs no doublings. */
typedef struct {
    uint64_t rows[64][15][8];
} yb_sm2_public_comb;

/* A private key: d and (1 + d)^-1 mod n, both in Montgomery form. Wipe it when done. */
typedef struct {
    uint64_t d[4];
    uint64_t inverse_one_plus_d[4];
} yb_sm2_private_key;

/* Reads the 64-byte affine point X‖Y (big-endian); 0 when it is not on the curve. */
int yb_sm2_public_key_init(yb_sm2_public_key *key, const uint8_t xy[64]);

/* Builds the comb of an initialised key (about a millisecond). */
void yb_sm2_public_comb_init(yb_sm2_public_comb *comb, const yb_sm2_public_key *key);

/* Reads the 32-byte big-endian scalar d; 0 unless 1 <= d <= n - 2. */
int yb_sm2_private_key_init(yb_sm2_private_key *key, const uint8_t scalar[32]);

/* Zeroes the key in a way the compiler cannot drop. */
void yb_sm2_private_key_wipe(yb_sm2_private_key *key);

/* Zeroes count bytes in a way the compiler cannot drop (a scalar's copy, random bytes). */
void yb_sm2_wipe(void *bytes, size_t count);

/*
 * Signs the 32-byte digest e with k drawn from 64 random bytes; writes r‖s (big-endian).
 * Returns 0, writing nothing, in the cases (probability about 2^-255) where the standard
 * asks for another k: call again with fresh random bytes.
 */
int yb_sm2_sign_digest(const yb_sm2_private_key *key, const uint8_t digest[32], const uint8_t random[64], uint8_t signature[64]);

/* 1 when r‖s is a valid signature of the 32-byte digest e under key, else 0. comb is the
 * key's comb or NULL. */
int yb_sm2_verify_digest(const yb_sm2_public_key *key, const yb_sm2_public_comb *comb,
                         const uint8_t digest[32], const uint8_t signature[64]);

#endif
