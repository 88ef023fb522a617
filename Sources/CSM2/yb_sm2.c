/*
 * SM2 signing and verification (GB/T 32918.2) over the SM2 curve with 64-bit Montgomery
 * arithmetic, a fixed-base comb for the generator, and per public key a small table of
 * multiples plus, when the caller builds one, a comb of its own. Hashing (Z and e) stays with
 * the caller; this file only does the curve and scalar arithmetic, and never allocates.
 *
 * Side channels: everything a private scalar (d, or the per-signature k) touches runs without
 * branches or memory indexes that depend on it: field and scalar arithmetic end with masked
 * selects, the comb reads every entry of a row and keeps one with a mask, and the point
 * formulas are the complete ones of Renes, Costello and Batina (2016) for a = -3, so there is
 * no special case for doubling or infinity. Verification handles public data only and may
 * branch on it.
 */
#include "yb_sm2.h"

#include <pthread.h>
#include <string.h>

typedef unsigned __int128 u128;
typedef uint64_t limbs[4];

/* p, n and Montgomery constants (R = 2^256), little-endian 64-bit limbs. */
static const limbs P = {0xffffffffffffffffULL, 0xffffffff00000000ULL, 0xffffffffffffffffULL, 0xfffffffeffffffffULL};
static const limbs N = {0x53bbf40939d54123ULL, 0x7203df6b21c6052bULL, 0xffffffffffffffffULL, 0xfffffffeffffffffULL};
static const uint64_t P0INV = 0x1ULL;                   /* -p^-1 mod 2^64 */
static const uint64_t N0INV = 0x327f9e8872350975ULL;    /* -n^-1 mod 2^64 */
static const limbs RR_P = {0x0000000200000003ULL, 0x00000002ffffffffULL, 0x0000000100000001ULL, 0x0000000400000002ULL};
static const limbs RR_N = {0x901192af7c114f20ULL, 0x3464504ade6fa2faULL, 0x620fc84c3affe0d4ULL, 0x1eb5e412a22b3d3bULL};
static const limbs ONE_P = {0x0000000000000001ULL, 0x00000000ffffffffULL, 0x0000000000000000ULL, 0x0000000100000000ULL}; /* R mod p */
static const limbs B_M = {0x90d230632bc0dd42ULL, 0x71cf379ae9b537abULL, 0x527981505ea51c3cULL, 0x240fe188ba20e2c8ULL};   /* b·R mod p */
static const limbs GX_M = {0x61328990f418029eULL, 0x3e7981eddca6c050ULL, 0xd6a1ed99ac24c3c3ULL, 0x91167a5ee1c13b05ULL};
static const limbs GY_M = {0xc1354e593c2d0dddULL, 0xc1f5e5788d3295faULL, 0x8d4cfb066e2a48f8ULL, 0x63cd65d481d735bdULL};

/* ---- multi-precision helpers (constant time) ------------------------- */

/* Zeroes n bytes through a volatile pointer, so the compiler cannot drop the stores as dead. */
static void wipe(void *p, size_t n) {
    volatile uint8_t *bytes = (volatile uint8_t *)p;
    while (n--) *bytes++ = 0;
}

/* All ones when x == 0, else 0. */
static inline uint64_t is_zero_mask(uint64_t x) { return ((x | (0 - x)) >> 63) - 1; }

static inline uint64_t limbs_zero_mask(const limbs a) { return is_zero_mask(a[0] | a[1] | a[2] | a[3]); }

static inline void limbs_select(limbs r, uint64_t mask, const limbs a, const limbs b) {
    /* r = mask ? a : b */
    for (int i = 0; i < 4; i++) r[i] = (a[i] & mask) | (b[i] & ~mask);
}

/* r = a - b, returns the borrow (0 or 1). */
static inline uint64_t limbs_sub(limbs r, const limbs a, const limbs b) {
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        u128 d = (u128)a[i] - b[i] - borrow;
        r[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    return borrow;
}

/* r = a mod m for a < 2m (one conditional subtraction). */
static inline void limbs_reduce_once(limbs r, const limbs a, const limbs m) {
    limbs s;
    uint64_t borrow = limbs_sub(s, a, m);
    limbs_select(r, 0 - borrow, a, s);
}

/* Is a < m? Returns 1 or 0 (constant time). */
static inline uint64_t limbs_less(const limbs a, const limbs m) {
    limbs s;
    return limbs_sub(s, a, m);
}

static inline void mod_add(limbs r, const limbs a, const limbs b, const limbs m) {
    limbs t, s;
    uint64_t carry = 0;
    for (int i = 0; i < 4; i++) {
        u128 z = (u128)a[i] + b[i] + carry;
        t[i] = (uint64_t)z;
        carry = (uint64_t)(z >> 64);
    }
    uint64_t borrow = limbs_sub(s, t, m);
    /* keep t when the sum did not overflow and was below m */
    uint64_t keep = (0 - borrow) & ~(0 - carry);
    limbs_select(r, keep, t, s);
}

static inline void mod_sub(limbs r, const limbs a, const limbs b, const limbs m) {
    limbs d;
    uint64_t mask = 0 - limbs_sub(d, a, b);
    uint64_t carry = 0;
    for (int i = 0; i < 4; i++) {
        u128 z = (u128)d[i] + (m[i] & mask) + carry;
        r[i] = (uint64_t)z;
        carry = (uint64_t)(z >> 64);
    }
}

/* r = a·b·R^-1 mod m (CIOS), for a, b < m. */
static inline __attribute__((always_inline)) void mont_mul(limbs r, const limbs a, const limbs b, const limbs m, uint64_t m0inv) {
    uint64_t t[6] = {0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 4; i++) {
        uint64_t c = 0;
        for (int j = 0; j < 4; j++) {
            u128 z = (u128)a[j] * b[i] + t[j] + c;
            t[j] = (uint64_t)z;
            c = (uint64_t)(z >> 64);
        }
        u128 z = (u128)t[4] + c;
        t[4] = (uint64_t)z;
        t[5] = (uint64_t)(z >> 64);
        uint64_t q = t[0] * m0inv;
        z = (u128)q * m[0] + t[0];
        c = (uint64_t)(z >> 64);
        for (int j = 1; j < 4; j++) {
            z = (u128)q * m[j] + t[j] + c;
            t[j - 1] = (uint64_t)z;
            c = (uint64_t)(z >> 64);
        }
        z = (u128)t[4] + c;
        t[3] = (uint64_t)z;
        t[4] = t[5] + (uint64_t)(z >> 64);
    }
    /* t < 2m: subtract m unless that borrows out of the fifth limb */
    limbs s;
    uint64_t borrow = limbs_sub(s, t, m);
    uint64_t below = (uint64_t)(((u128)t[4] - borrow) >> 64) & 1;
    limbs_select(r, 0 - below, t, s);
}

static void bytes_to_limbs(limbs r, const uint8_t b[32]) {
    for (int i = 0; i < 4; i++) {
        uint64_t v = 0;
        for (int j = 0; j < 8; j++) v = (v << 8) | b[(3 - i) * 8 + j];
        r[i] = v;
    }
}

static void limbs_to_bytes(uint8_t b[32], const limbs a) {
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++) b[(3 - i) * 8 + j] = (uint8_t)(a[i] >> (56 - 8 * j));
}

/* ---- the field (Montgomery form) -------------------------------------- */

static inline void fe_mul(limbs r, const limbs a, const limbs b) { mont_mul(r, a, b, P, P0INV); }
static inline void fe_add(limbs r, const limbs a, const limbs b) { mod_add(r, a, b, P); }
static inline void fe_sub(limbs r, const limbs a, const limbs b) { mod_sub(r, a, b, P); }

/* r = a^(m-2)·R mod m for a in Montgomery form: the inverse by Fermat. The exponent is
 * public, so a fixed 4-bit window may branch on it; nothing depends on a. */
static void mont_inverse(limbs r, const limbs a, const limbs m, uint64_t m0inv, const limbs one) {
    limbs e, acc, powers[16];
    limbs two = {2, 0, 0, 0};
    limbs_sub(e, m, two);
    memcpy(powers[0], one, sizeof(limbs));
    memcpy(powers[1], a, sizeof(limbs));
    for (int i = 2; i < 16; i++) mont_mul(powers[i], powers[i - 1], a, m, m0inv);
    memcpy(acc, one, sizeof acc);
    for (int i = 63; i >= 0; i--) {
        for (int j = 0; j < 4; j++) mont_mul(acc, acc, acc, m, m0inv);
        unsigned window = (unsigned)(e[i / 16] >> (4 * (i % 16))) & 15;
        if (window) mont_mul(acc, acc, powers[window], m, m0inv);
    }
    memcpy(r, acc, sizeof acc);
    wipe(powers, sizeof powers); /* a may be secret: (1 + d) */
    wipe(acc, sizeof acc);
}

/* ---- points: homogeneous projective (X:Y:Z), complete formulas --------- */

typedef struct { limbs x, y, z; } point;
typedef struct { limbs x, y; } affine;

static void point_infinity(point *r) {
    memset(r, 0, sizeof *r);
    memcpy(r->y, ONE_P, sizeof r->y);
}

/* The part algorithms 4 and 5 of Renes–Costello–Batina 2016 (a = -3) share: from t0 = X1·X2,
 * t1 = Y1·Y2, zz = Z1·Z2, t3 = X1·Y2 + X2·Y1, t4 = Y1·Z2 + Y2·Z1 and xz = X1·Z2 + X2·Z1 to the sum. */
static void point_add_finish(point *r, limbs t0, limbs t1, const limbs zz, const limbs t3, const limbs t4, const limbs xz) {
    limbs t2, x3, y3, z3;
    fe_mul(z3, B_M, zz);
    fe_sub(x3, xz, z3);
    fe_add(z3, x3, x3);
    fe_add(x3, x3, z3);
    fe_sub(z3, t1, x3);
    fe_add(x3, t1, x3);
    fe_mul(y3, B_M, xz);
    fe_add(t1, zz, zz);
    fe_add(t2, t1, zz);
    fe_sub(y3, y3, t2);
    fe_sub(y3, y3, t0);
    fe_add(t1, y3, y3);
    fe_add(y3, t1, y3);
    fe_add(t1, t0, t0);
    fe_add(t0, t1, t0);
    fe_sub(t0, t0, t2);
    fe_mul(t1, t4, y3);
    fe_mul(t2, t0, y3);
    fe_mul(y3, x3, z3);
    fe_add(y3, y3, t2);
    fe_mul(x3, t3, x3);
    fe_sub(x3, x3, t1);
    fe_mul(z3, t4, z3);
    fe_mul(t1, t3, t0);
    fe_add(z3, z3, t1);
    memcpy(r->x, x3, sizeof x3);
    memcpy(r->y, y3, sizeof y3);
    memcpy(r->z, z3, sizeof z3);
}

/* Algorithm 4 (a = -3): r = p + q for any two points. */
static void point_add(point *r, const point *p, const point *q) {
    limbs t0, t1, t2, t3, t4, xz, u;
    fe_mul(t0, p->x, q->x);
    fe_mul(t1, p->y, q->y);
    fe_mul(t2, p->z, q->z);
    fe_add(t3, p->x, p->y);
    fe_add(t4, q->x, q->y);
    fe_mul(t3, t3, t4);
    fe_add(t4, t0, t1);
    fe_sub(t3, t3, t4);
    fe_add(t4, p->y, p->z);
    fe_add(u, q->y, q->z);
    fe_mul(t4, t4, u);
    fe_add(u, t1, t2);
    fe_sub(t4, t4, u);
    fe_add(xz, p->x, p->z);
    fe_add(u, q->x, q->z);
    fe_mul(xz, xz, u);
    fe_add(u, t0, t2);
    fe_sub(xz, xz, u);
    point_add_finish(r, t0, t1, t2, t3, t4, xz);
}

/* Algorithm 5 (a = -3): r = p + q for an affine q that is not the point at infinity. */
static void point_add_affine(point *r, const point *p, const affine *q) {
    limbs t0, t1, t3, t4, xz;
    fe_mul(t0, p->x, q->x);
    fe_mul(t1, p->y, q->y);
    fe_add(t3, q->x, q->y);
    fe_add(t4, p->x, p->y);
    fe_mul(t3, t3, t4);
    fe_add(t4, t0, t1);
    fe_sub(t3, t3, t4);
    fe_mul(t4, q->y, p->z);
    fe_add(t4, t4, p->y);
    fe_mul(xz, q->x, p->z);
    fe_add(xz, xz, p->x);
    point_add_finish(r, t0, t1, p->z, t3, t4, xz);
}

/* Algorithm 6 (a = -3): r = 2p. */
static void point_double(point *r, const point *p) {
    limbs t0, t1, t2, t3, x3, y3, z3;
    fe_mul(t0, p->x, p->x);
    fe_mul(t1, p->y, p->y);
    fe_mul(t2, p->z, p->z);
    fe_mul(t3, p->x, p->y);
    fe_add(t3, t3, t3);
    fe_mul(z3, p->x, p->z);
    fe_add(z3, z3, z3);
    fe_mul(y3, B_M, t2);
    fe_sub(y3, y3, z3);
    fe_add(x3, y3, y3);
    fe_add(y3, x3, y3);
    fe_sub(x3, t1, y3);
    fe_add(y3, t1, y3);
    fe_mul(y3, x3, y3);
    fe_mul(x3, x3, t3);
    fe_add(t3, t2, t2);
    fe_add(t2, t2, t3);
    fe_mul(z3, B_M, z3);
    fe_sub(z3, z3, t2);
    fe_sub(z3, z3, t0);
    fe_add(t3, z3, z3);
    fe_add(z3, z3, t3);
    fe_add(t3, t0, t0);
    fe_add(t0, t3, t0);
    fe_sub(t0, t0, t2);
    fe_mul(t0, t0, z3);
    fe_add(y3, y3, t0);
    fe_mul(t0, p->y, p->z);
    fe_add(t0, t0, t0);
    fe_mul(z3, t0, z3);
    fe_sub(x3, x3, z3);
    fe_mul(z3, t0, t1);
    fe_add(z3, z3, z3);
    fe_add(z3, z3, z3);
    memcpy(r->x, x3, sizeof x3);
    memcpy(r->y, y3, sizeof y3);
    memcpy(r->z, z3, sizeof z3);
}

/* The affine x of p, out of Montgomery form; returns 0 for the point at infinity. */
static int point_affine_x(limbs x, const point *p) {
    if (limbs_zero_mask(p->z)) return 0;
    limbs zinv, one = {1, 0, 0, 0};
    mont_inverse(zinv, p->z, P, P0INV, ONE_P);
    fe_mul(x, p->x, zinv);
    fe_mul(x, x, one);
    return 1;
}

/* ---- combs: row i holds j·16^i·B for j = 1…15, affine ------------------ */

/* Fills rows with the comb of base (not the point at infinity): 960 additions, and one
 * inversion per row thanks to Montgomery's trick. */
static void comb_build(affine rows[64][15], const point *start) {
    point base = *start, multiples[15];
    limbs prefix[15], inverse, zinv;
    for (int i = 0; i < 64; i++) {
        multiples[0] = base;
        for (int j = 1; j < 15; j++) point_add(&multiples[j], &multiples[j - 1], &base);
        point_add(&base, &multiples[14], &base); /* 16·base, the next row's */
        memcpy(prefix[0], multiples[0].z, sizeof(limbs));
        for (int j = 1; j < 15; j++) fe_mul(prefix[j], prefix[j - 1], multiples[j].z);
        mont_inverse(inverse, prefix[14], P, P0INV, ONE_P);
        for (int j = 14; j >= 0; j--) {
            if (j > 0) {
                fe_mul(zinv, inverse, prefix[j - 1]);
                fe_mul(inverse, inverse, multiples[j].z);
            } else {
                memcpy(zinv, inverse, sizeof(limbs));
            }
            fe_mul(rows[i][j].x, multiples[j].x, zinv);
            fe_mul(rows[i][j].y, multiples[j].y, zinv);
        }
    }
}

static affine generator_comb[64][15];
static pthread_once_t generator_comb_once = PTHREAD_ONCE_INIT;

static void generator_comb_build(void) {
    point g;
    memcpy(g.x, GX_M, sizeof g.x);
    memcpy(g.y, GY_M, sizeof g.y);
    memcpy(g.z, ONE_P, sizeof g.z);
    comb_build(generator_comb, &g);
}

static inline unsigned nibble(const limbs k, int i) { return (unsigned)(k[i / 16] >> (4 * (i % 16))) & 15; }

/* k·G without branches or table indexes that depend on k. */
static void generator_multiply_secret(point *r, const limbs k) {
    point acc, sum;
    affine entry;
    point_infinity(&acc);
    for (int i = 0; i < 64; i++) {
        uint64_t digit = nibble(k, i);
        memset(&entry, 0, sizeof entry);
        for (uint64_t j = 0; j < 15; j++) {
            uint64_t mask = is_zero_mask(digit ^ (j + 1));
            for (int w = 0; w < 4; w++) {
                entry.x[w] |= generator_comb[i][j].x[w] & mask;
                entry.y[w] |= generator_comb[i][j].y[w] & mask;
            }
        }
        point_add_affine(&sum, &acc, &entry);
        uint64_t keep = is_zero_mask(digit);
        limbs_select(acc.x, keep, acc.x, sum.x);
        limbs_select(acc.y, keep, acc.y, sum.y);
        limbs_select(acc.z, keep, acc.z, sum.z);
    }
    *r = acc;
    wipe(&acc, sizeof acc);
    wipe(&sum, sizeof sum);
    wipe(&entry, sizeof entry);
}

/* r += k·B for a public k and the comb of B. */
static void comb_multiply_add_public(point *r, affine rows[64][15], const limbs k) {
    for (int i = 0; i < 64; i++) {
        unsigned digit = nibble(k, i);
        if (digit) point_add_affine(r, r, &rows[i][digit - 1]);
    }
}

/* ---- keys -------------------------------------------------------------- */

int yb_sm2_public_key_init(yb_sm2_public_key *key, const uint8_t xy[64]) {
    limbs x, y, lhs, rhs, t;
    bytes_to_limbs(x, xy);
    bytes_to_limbs(y, xy + 32);
    if (!limbs_less(x, P) || !limbs_less(y, P)) return 0;
    fe_mul(x, x, RR_P);
    fe_mul(y, y, RR_P);
    /* y² = x³ - 3x + b */
    fe_mul(lhs, y, y);
    fe_mul(rhs, x, x);
    fe_mul(rhs, rhs, x);
    fe_add(t, x, x);
    fe_add(t, t, x);
    fe_sub(rhs, rhs, t);
    fe_add(rhs, rhs, B_M);
    if (memcmp(lhs, rhs, sizeof lhs) != 0) return 0;

    point base;
    memcpy(base.x, x, sizeof x);
    memcpy(base.y, y, sizeof y);
    memcpy(base.z, ONE_P, sizeof base.z);
    point multiple = base;
    memcpy(key->multiples[0], &multiple, sizeof multiple);
    for (int j = 1; j < 15; j++) {
        point_add(&multiple, &multiple, &base);
        memcpy(key->multiples[j], &multiple, sizeof multiple);
    }
    return 1;
}

int yb_sm2_private_key_init(yb_sm2_private_key *key, const uint8_t scalar[32]) {
    limbs d, dplus1, n_minus_1, one = {1, 0, 0, 0};
    bytes_to_limbs(d, scalar);
    limbs_sub(n_minus_1, N, one);
    /* 1 <= d <= n-2, so that 1 + d is invertible */
    uint64_t ok = (limbs_zero_mask(d) == 0) & limbs_less(d, n_minus_1);
    if (!ok) { wipe(d, sizeof d); return 0; }
    limbs dm, dp1m, onem;
    mont_mul(dm, d, RR_N, N, N0INV);           /* d·R */
    mod_add(dplus1, d, one, N);
    mont_mul(dp1m, dplus1, RR_N, N, N0INV);    /* (1+d)·R */
    mont_mul(onem, one, RR_N, N, N0INV);        /* R mod n */
    mont_inverse(key->inverse_one_plus_d, dp1m, N, N0INV, onem); /* (1+d)^-1·R */
    memcpy(key->d, dm, sizeof dm);
    wipe(d, sizeof d);
    wipe(dm, sizeof dm);
    wipe(dplus1, sizeof dplus1);
    wipe(dp1m, sizeof dp1m);
    pthread_once(&generator_comb_once, generator_comb_build);
    return 1;
}

void yb_sm2_private_key_wipe(yb_sm2_private_key *key) { wipe(key, sizeof *key); }

void yb_sm2_wipe(void *bytes, size_t count) { wipe(bytes, count); }

/* ---- signing and verification ----------------------------------------- */

int yb_sm2_sign_digest(const yb_sm2_private_key *key, const uint8_t digest[32], const uint8_t random[64], uint8_t signature[64]) {
    limbs hi, lo, k, e, x1, r, rd, t, s;
    int ok = 0;
    pthread_once(&generator_comb_once, generator_comb_build);

    /* k = random mod n from 512 bits (bias below 2^-256); 0 is refused below */
    bytes_to_limbs(hi, random);
    bytes_to_limbs(lo, random + 32);
    limbs_reduce_once(hi, hi, N);
    limbs_reduce_once(lo, lo, N);
    mont_mul(hi, hi, RR_N, N, N0INV); /* hi·R mod n */
    mod_add(k, hi, lo, N);

    point kg;
    generator_multiply_secret(&kg, k);
    if (limbs_zero_mask(k) || !point_affine_x(x1, &kg)) goto done;

    bytes_to_limbs(e, digest);
    limbs_reduce_once(e, e, N);
    limbs_reduce_once(x1, x1, N);
    mod_add(r, e, x1, N);
    /* r = 0 or r + k = n: take another k (public outcome, probability ~2^-255) */
    mod_add(t, r, k, N);
    if (limbs_zero_mask(r) | limbs_zero_mask(t)) goto done;

    mont_mul(rd, r, key->d, N, N0INV);                  /* r·d */
    mod_sub(t, k, rd, N);                               /* k - r·d */
    mont_mul(s, t, key->inverse_one_plus_d, N, N0INV);  /* (1+d)^-1·(k - r·d) */
    if (limbs_zero_mask(s)) goto done;

    limbs_to_bytes(signature, r);
    limbs_to_bytes(signature + 32, s);
    ok = 1;
done:
    wipe(k, sizeof k);
    wipe(hi, sizeof hi);
    wipe(lo, sizeof lo);
    wipe(rd, sizeof rd);
    wipe(t, sizeof t);
    wipe(&kg, sizeof kg);
    return ok;
}

void yb_sm2_public_comb_init(yb_sm2_public_comb *comb, const yb_sm2_public_key *key) {
    comb_build((affine (*)[15])comb->rows, (const point *)key->multiples[0]);
}

int yb_sm2_verify_digest(const yb_sm2_public_key *key, const yb_sm2_public_comb *comb,
                         const uint8_t digest[32], const uint8_t signature[64]) {
    limbs r, s, t, e, x1, expected;
    pthread_once(&generator_comb_once, generator_comb_build);
    bytes_to_limbs(r, signature);
    bytes_to_limbs(s, signature + 32);
    if (limbs_zero_mask(r) || limbs_zero_mask(s) || !limbs_less(r, N) || !limbs_less(s, N)) return 0;
    mod_add(t, r, s, N);
    if (limbs_zero_mask(t)) return 0;

    /* s·G + t·P: combs for G and, when the key has one, for P; else a 4-bit window over the
     * key's cached multiples */
    point sum;
    if (comb != NULL) {
        point_infinity(&sum);
        comb_multiply_add_public(&sum, (affine (*)[15])comb->rows, t);
    } else {
        point_infinity(&sum);
        for (int i = 63; i >= 0; i--) {
            if (i != 63) {
                point_double(&sum, &sum);
                point_double(&sum, &sum);
                point_double(&sum, &sum);
                point_double(&sum, &sum);
            }
            unsigned digit = nibble(t, i);
            if (digit) point_add(&sum, &sum, (const point *)key->multiples[digit - 1]);
        }
    }
    comb_multiply_add_public(&sum, generator_comb, s);
    if (!point_affine_x(x1, &sum)) return 0;

    bytes_to_limbs(e, digest);
    limbs_reduce_once(e, e, N);
    limbs_reduce_once(x1, x1, N);
    mod_add(expected, e, x1, N);
    return memcmp(expected, r, sizeof r) == 0;
}
