/*
 * COpenSSL shim — the parts of OpenSSL 3 that Swift cannot import directly:
 * function-like macros, variadic functions and the few places where an OSSL_PARAM
 * array must outlive a single call. Everything is `static inline` and prefixed `yb_`.
 */
#ifndef YIBAO_COPENSSL_SHIM_H
#define YIBAO_COPENSSL_SHIM_H

/* yb_ecdsa_sign_digest uses ECDSA_do_sign, deprecated in OpenSSL 3.0 but supported throughout 3.x. */
#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#endif

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/obj_mac.h>
#include <openssl/opensslv.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* ---- macros ---------------------------------------------------------- */

static inline void yb_openssl_free(void *p) { OPENSSL_free(p); }
static inline unsigned long yb_openssl_version_number(void) { return OPENSSL_VERSION_NUMBER; }
static inline long yb_bio_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }

static inline STACK_OF(X509) *yb_x509_stack_new(void) { return sk_X509_new_null(); }
/* Pushes without taking a reference: the caller keeps `cert` alive while the stack lives. */
static inline int yb_x509_stack_push(STACK_OF(X509) *stack, X509 *cert) { return sk_X509_push(stack, cert); }
static inline void yb_x509_stack_free(STACK_OF(X509) *stack) { sk_X509_free(stack); }
static inline int yb_x509_stack_count(const STACK_OF(X509) *stack) { return sk_X509_num(stack); }
static inline X509 *yb_x509_stack_value(const STACK_OF(X509) *stack, int i) { return sk_X509_value(stack, i); }

/* ---- key generation (EVP_PKEY_Q_keygen is variadic) ------------------- */

static inline EVP_PKEY *yb_keygen_sm2(void) { return EVP_PKEY_Q_keygen(NULL, NULL, "SM2"); }
static inline EVP_PKEY *yb_keygen_ec(const char *curve) { return EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve); }
static inline EVP_PKEY *yb_keygen_rsa(size_t bits) { return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits); }

/* ---- raw elliptic-curve keys ----------------------------------------- */

/*
 * Builds a key pair from a big-endian private scalar. `keytype` is "SM2" or "EC",
 * `group` the OpenSSL group name, `nid` the same group's NID. Returns NULL when the
 * scalar is 0 or not below the group order.
 */
static inline EVP_PKEY *yb_pkey_from_private_scalar(const char *keytype, const char *group, int nid,
                                                    const unsigned char *scalar, size_t scalar_len) {
    EVP_PKEY *pkey = NULL;
    BIGNUM *d = BN_bin2bn(scalar, (int)scalar_len, NULL);
    EC_GROUP *ec_group = EC_GROUP_new_by_curve_name(nid);
    EC_POINT *point = NULL;
    OSSL_PARAM_BLD *builder = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    unsigned char pub[133];
    size_t pub_len = 0;

    if (d == NULL || ec_group == NULL) goto done;
    if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(ec_group)) >= 0) goto done;
    point = EC_POINT_new(ec_group);
    if (point == NULL || !EC_POINT_mul(ec_group, point, d, NULL, NULL, NULL)) goto done;
    pub_len = EC_POINT_point2oct(ec_group, point, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof pub, NULL);
    if (pub_len == 0) goto done;
    builder = OSSL_PARAM_BLD_new();
    if (builder == NULL
        || !OSSL_PARAM_BLD_push_utf8_string(builder, OSSL_PKEY_PARAM_GROUP_NAME, group, 0)
        || !OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_PRIV_KEY, d)
        || !OSSL_PARAM_BLD_push_octet_string(builder, OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len))
        goto done;
    params = OSSL_PARAM_BLD_to_param(builder);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, keytype, NULL);
    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0) goto done;
    if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) <= 0) pkey = NULL;
done:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(builder);
    EC_POINT_free(point);
    EC_GROUP_free(ec_group);
    BN_clear_free(d);
    return pkey;
}

/* Builds a public key from an encoded point (04||X||Y); the point must lie on the curve. */
static inline EVP_PKEY *yb_pkey_from_public_point(const char *keytype, const char *group,
                                                  const unsigned char *point, size_t point_len) {
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, keytype, NULL);
    OSSL_PARAM params[3];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point, point_len);
    params[2] = OSSL_PARAM_construct_end();
    if (ctx != NULL && EVP_PKEY_fromdata_init(ctx) > 0) {
        if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

/* ---- sign and verify ------------------------------------------------- */

/*
 * One-shot digest-sign. `set_id` non-zero passes `id` as the SM2 distinguishing ID
 * (OpenSSL 3.0 otherwise uses an EMPTY ID). The ID is set on the operation's pkey
 * context right after init: on OpenSSL 3.0.19 passing it as a `distid` parameter to
 * EVP_DigestSignInit_ex makes the init fail without an error on the queue. `rsa_pss` non-zero selects RSA-PSS with
 * salt length = digest length. Returns 1 on success; `*sig_len` is the capacity in
 * and the length out.
 */
static inline int yb_digest_sign(EVP_PKEY *pkey, const EVP_MD *digest, int set_id,
                                 const unsigned char *id, size_t id_len, int rsa_pss,
                                 const unsigned char *msg, size_t msg_len,
                                 unsigned char *sig, size_t *sig_len) {
    int ok = 0;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    if (mctx == NULL) return 0;
    if (EVP_DigestSignInit(mctx, &pctx, digest, NULL, pkey) <= 0) goto done;
    if (set_id && EVP_PKEY_CTX_set1_id(pctx, id_len ? id : (const unsigned char *)"", (int)id_len) <= 0) goto done;
    if (rsa_pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0
                    || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0)) goto done;
    if (EVP_DigestSign(mctx, sig, sig_len, msg, msg_len) <= 0) goto done;
    ok = 1;
done:
    EVP_MD_CTX_free(mctx);
    return ok;
}

/* One-shot digest-verify: 1 valid, 0 invalid, negative on an error (see the error queue). */
static inline int yb_digest_verify(EVP_PKEY *pkey, const EVP_MD *digest, int set_id,
                                   const unsigned char *id, size_t id_len, int rsa_pss,
                                   const unsigned char *msg, size_t msg_len,
                                   const unsigned char *sig, size_t sig_len) {
    int rc = -1;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    if (mctx == NULL) return -1;
    if (EVP_DigestVerifyInit(mctx, &pctx, digest, NULL, pkey) <= 0) goto done;
    if (set_id && EVP_PKEY_CTX_set1_id(pctx, id_len ? id : (const unsigned char *)"", (int)id_len) <= 0) goto done;
    if (rsa_pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0
                    || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0)) goto done;
    rc = EVP_DigestVerify(mctx, sig, sig_len, msg, msg_len);
done:
    EVP_MD_CTX_free(mctx);
    return rc;
}

/* ---- ECDSA on a digest, without an EVP context per call ----------------- */

/* The legacy EC_KEY inside an EC EVP_PKEY (cached by OpenSSL, owned by the EVP_PKEY; the first
 * call makes it, under the EVP_PKEY's lock). NULL for other key types. */
static inline const EC_KEY *yb_pkey_ec_key(EVP_PKEY *pkey) { return EVP_PKEY_get0_EC_KEY(pkey); }

/*
 * ECDSA signature of a precomputed digest — what `openssl speed ecdsap256` measures, without the
 * EVP_MD_CTX and EVP_PKEY_CTX that EVP_DigestSign builds per call. Writes r and s big-endian,
 * left-padded to `width` bytes. Returns 1, or 0 on failure (see the error queue).
 */
static inline int yb_ecdsa_sign_digest(const EC_KEY *key, const unsigned char *digest, size_t digest_len,
                                       size_t width, unsigned char *r, unsigned char *s) {
    ECDSA_SIG *sig = ECDSA_do_sign(digest, (int)digest_len, (EC_KEY *)key);
    const BIGNUM *br = NULL, *bs = NULL;
    int ok;
    if (sig == NULL) return 0;
    ECDSA_SIG_get0(sig, &br, &bs);
    ok = BN_bn2binpad(br, r, (int)width) == (int)width && BN_bn2binpad(bs, s, (int)width) == (int)width;
    ECDSA_SIG_free(sig);
    return ok;
}

/* ---- ECDSA / SM2 signature values ------------------------------------ */

/* DER SEQUENCE{r,s} from two big-endian integers. Returns the DER length, 0 on error; *out is OPENSSL_malloc'd. */
static inline int yb_ecdsa_sig_to_der(const unsigned char *r, size_t r_len, const unsigned char *s, size_t s_len,
                                      unsigned char **out) {
    int len = 0;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *br = BN_bin2bn(r, (int)r_len, NULL), *bs = BN_bin2bn(s, (int)s_len, NULL);
    if (sig == NULL || br == NULL || bs == NULL) { BN_free(br); BN_free(bs); ECDSA_SIG_free(sig); return 0; }
    ECDSA_SIG_set0(sig, br, bs);
    *out = NULL;
    len = i2d_ECDSA_SIG(sig, out);
    ECDSA_SIG_free(sig);
    return len < 0 ? 0 : len;
}

/*
 * Splits a DER signature into r and s, each written big-endian and left-padded to
 * `width` bytes. Returns 1 on success, 0 when the DER does not parse, is not the
 * canonical encoding, or a value does not fit.
 */
static inline int yb_ecdsa_sig_from_der(const unsigned char *der, size_t der_len, size_t width,
                                        unsigned char *r_out, unsigned char *s_out) {
    int ok = 0;
    const unsigned char *p = der;
    unsigned char *reencoded = NULL;
    const BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (sig == NULL) return 0;
    if ((size_t)(p - der) != der_len) goto done;
    {
        int len = i2d_ECDSA_SIG(sig, &reencoded);
        if (len < 0 || (size_t)len != der_len || CRYPTO_memcmp(reencoded, der, der_len) != 0) goto done;
    }
    ECDSA_SIG_get0(sig, &r, &s);
    if (BN_bn2binpad(r, r_out, (int)width) < 0 || BN_bn2binpad(s, s_out, (int)width) < 0) goto done;
    ok = 1;
done:
    OPENSSL_free(reencoded);
    ECDSA_SIG_free(sig);
    return ok;
}

/* ---- X.509 ----------------------------------------------------------- */

/* Sets the SM2 distinguishing ID used when this certificate's own signature is verified. */
static inline int yb_x509_set_distinguishing_id(X509 *cert, const unsigned char *id, size_t id_len) {
    ASN1_OCTET_STRING *value = ASN1_OCTET_STRING_new();
    if (value == NULL) return 0;
    if (!ASN1_OCTET_STRING_set(value, id, (int)id_len)) { ASN1_OCTET_STRING_free(value); return 0; }
    X509_set0_distinguishing_id(cert, value);
    return 1;
}

/* RFC 2253 name printing, with UTF-8 kept as is (not escaped as \\XX). */
static inline unsigned long yb_name_flags_rfc2253_utf8(void) { return XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB; }

/* Seconds since the epoch of an ASN1_TIME, through *out. Returns 1 on success. */
static inline int yb_asn1_time_to_epoch(const ASN1_TIME *t, long long *out) {
    struct tm tm;
    if (t == NULL || !ASN1_TIME_to_tm(t, &tm)) return 0;
    *out = (long long)timegm(&tm);
    return 1;
}

/*
 * Finds the first element inside the outer DER SEQUENCE of `der` (for a CRL or a
 * certificate: the to-be-signed part exactly as it was encoded, not re-encoded).
 * Returns 1 and sets *offset / *length (header included) on success.
 */
static inline int yb_der_first_inner_element(const unsigned char *der, size_t der_len, size_t *offset, size_t *length) {
    const unsigned char *p = der;
    long content_len = 0;
    int tag = 0, xclass = 0;
    int rc = ASN1_get_object(&p, &content_len, &tag, &xclass, (long)der_len);
    if ((rc & 0x80) || tag != V_ASN1_SEQUENCE || !(rc & V_ASN1_CONSTRUCTED)) return 0;
    const unsigned char *inner = p;
    long remaining = (long)der_len - (long)(p - der);
    rc = ASN1_get_object(&p, &content_len, &tag, &xclass, remaining);
    if (rc & 0x80) return 0;
    *offset = (size_t)(inner - der);
    *length = (size_t)(p - inner) + (size_t)content_len;
    return *offset + *length <= der_len;
}

/* The CRL reason code of a revoked entry, or -1 when the entry has none. */
static inline int yb_revoked_reason(const X509_REVOKED *entry) {
    int critical = 0;
    ASN1_ENUMERATED *reason = X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, &critical, NULL);
    if (reason == NULL) return -1;
    long value = ASN1_ENUMERATED_get(reason);
    ASN1_ENUMERATED_free(reason);
    return (int)value;
}

/* True when the last error on the queue is PEM's "no start line" (the normal end of a PEM bundle). */
static inline int yb_last_error_is_pem_no_start_line(void) {
    unsigned long e = ERR_peek_last_error();
    return ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

/* Re-encodes an EC point (compressed or not) of the named group as uncompressed 04||X||Y. Returns the length, 0 on error. */
static inline size_t yb_ec_point_uncompressed(const char *group, const unsigned char *in, size_t in_len,
                                              unsigned char *out, size_t out_cap) {
    size_t written = 0;
    EC_GROUP *g = EC_GROUP_new_by_curve_name(OBJ_sn2nid(group) != NID_undef ? OBJ_sn2nid(group) : OBJ_txt2nid(group));
    EC_POINT *point = g ? EC_POINT_new(g) : NULL;
    if (point != NULL && EC_POINT_oct2point(g, point, in, in_len, NULL))
        written = EC_POINT_point2oct(g, point, POINT_CONVERSION_UNCOMPRESSED, out, out_cap, NULL);
    EC_POINT_free(point);
    EC_GROUP_free(g);
    return written;
}

#endif
