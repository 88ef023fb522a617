#!/usr/bin/env python3
"""Signs a test CRL with Python's `cryptography` (an implementation independent of ours).

Unlike `openssl ca -gencrl`, which sorts entries by serial, this keeps the entries in the
order given — real CAs often list them by revocation date — so tests can check that a CRL's
signature survives OpenSSL sorting the list in place on lookup.

usage: make_crl.py ISSUER_DIR THIS_UPDATE NEXT_UPDATE [SERIAL_HEX:YYYY-MM-DD:REASON ...]
ISSUER_DIR holds intermediate.key.pem and intermediate.cert.pem (an ECDSA or RSA CA);
REASON is a cryptography ReasonFlags name (key_compromise, superseded, cessation_of_operation …).
Writes the CRL as PEM to standard output.
"""
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization


def utc(day: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(tzinfo=datetime.timezone.utc)


def main() -> None:
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    issuer_dir, this_update, next_update, entries = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    with open(f"{issuer_dir}/intermediate.key.pem", "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    with open(f"{issuer_dir}/intermediate.cert.pem", "rb") as f:
        issuer = x509.load_pem_x509_certificate(f.read())
    builder = (x509.CertificateRevocationListBuilder()
               .issuer_name(issuer.subject)
               .last_update(utc(this_update))
               .next_update(utc(next_update)))
    for entry in entries:
        serial, day, reason = entry.split(":")
        revoked = (x509.RevokedCertificateBuilder()
                   .serial_number(int(serial, 16))
                   .revocation_date(utc(day))
                   .add_extension(x509.CRLReason(x509.ReasonFlags[reason]), critical=False)
                   .build())
        builder = builder.add_revoked_certificate(revoked)
    crl = builder.sign(key, hashes.SHA256())
    sys.stdout.write(crl.public_bytes(serialization.Encoding.PEM).decode())


if __name__ == "__main__":
    main()
