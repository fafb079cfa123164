"""HTTPS: a certificate for localhost and the providers' real hostnames, signed by a CA made on the spot.

Applications that insist on HTTPS, or that reach the emulator under `dysmsapi.aliyuncs.com` through DNS or a
network alias, need a certificate valid for those names and a CA they can trust. `--tls` makes both at start
(`cryptography`, EC P-256: milliseconds); `--cert/--key` serve a certificate of the user's own instead.

The CA certificate is written to a file (printed at start) and served at `GET /_emulator/ca.pem`. Its key is
kept next to it (mode 0600) and reused at the next start, so clients that trust the CA keep trusting the
emulator across restarts; the file goes next to the `--db` database, to `--ca-out`, or to a fresh temporary
directory. The server certificate is made anew at every start (it names the current host), in memory and a
private temporary file that is deleted once loaded.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from emulator.ops.tls_material import TlsError, TlsMaterial

__all__ = ["TlsError", "TlsMaterial", "prepare_tls"]

#: Names every generated certificate covers (plus the `--host` the emulator listens on, if it is a name).
HOSTNAMES = ("localhost", "dysmsapi.aliyuncs.com", "dypnsapi.aliyuncs.com", "sms.1oc.cn")
ADDRESSES = ("127.0.0.1", "::1")
CA_NAME = "sms-emulator local CA"
CA_YEARS = 10
LEAF_DAYS = 397        # the longest validity browsers and Apple platforms accept for a server certificate




def prepare_tls(host: str, cert: str | None = None, key: str | None = None, ca_out: str | None = None,
                db: str | None = None) -> TlsMaterial:
    if bool(cert) != bool(key):
        raise TlsError("--cert and --key go together (a certificate and its private key, PEM)")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    if cert and key:
        try:
            context.load_cert_chain(cert, key)
            chain = Path(cert).read_bytes()
        except (OSError, ssl.SSLError) as exc:
            raise TlsError(f"cannot load --cert {cert} / --key {key}: {exc}") from None
        return TlsMaterial(context, chain, None)

    ca_path = _ca_path(ca_out, db)
    ca_cert, ca_key = _load_or_make_ca(ca_path)
    leaf_pem, leaf_key_pem = _issue(ca_cert, ca_key, host)
    with tempfile.TemporaryDirectory(prefix="sms-emulator-tls-") as tmp:
        cert_file, key_file = Path(tmp) / "server.pem", Path(tmp) / "server-key.pem"
        cert_file.write_bytes(leaf_pem + ca_cert.public_bytes(serialization.Encoding.PEM))
        _write_private(key_file, leaf_key_pem)
        context.load_cert_chain(cert_file, key_file)
    return TlsMaterial(context, ca_cert.public_bytes(serialization.Encoding.PEM), ca_path)


def _ca_path(ca_out: str | None, db: str | None) -> Path:
    if ca_out:
        return Path(ca_out)
    if db:
        db_path = Path(db)
        return db_path.with_name(f"{db_path.stem}.ca.pem")
    return Path(tempfile.mkdtemp(prefix="sms-emulator-")) / "ca.pem"


def key_path_for(ca_path: Path) -> Path:
    return ca_path.with_name(f"{ca_path.stem}-key.pem")


def _load_or_make_ca(ca_path: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key_path = key_path_for(ca_path)
    if ca_path.exists() and key_path.exists():
        try:
            cert = x509.load_pem_x509_certificate(ca_path.read_bytes())
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            fresh = cert.not_valid_after_utc > _now() + dt.timedelta(days=30)
            if isinstance(key, ec.EllipticCurvePrivateKey) and fresh:
                return cert, key
        except (OSError, ValueError):
            pass        # unreadable or not ours: make a new one
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sms-emulator")])
    now = _now()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365 * CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    try:
        ca_path.parent.mkdir(parents=True, exist_ok=True)
        _write_private(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
        ca_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    except OSError as exc:
        raise TlsError(f"cannot write the CA certificate to {ca_path}: {exc.strerror or exc}") from None
    return cert, key


def _issue(ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, host: str) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in HOSTNAMES]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in ADDRESSES]
    names += _extra_names(host, names)
    now = _now()
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=LEAF_DAYS))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _extra_names(host: str, present: list[x509.GeneralName]) -> list[x509.GeneralName]:
    """The listening host too, unless it is a wildcard address or already covered."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        name: x509.GeneralName = x509.DNSName(host)
    else:
        if address.is_unspecified:
            return []
        name = x509.IPAddress(address)
    return [] if not host or name in present else [name]


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
