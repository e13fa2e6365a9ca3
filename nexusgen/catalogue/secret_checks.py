"""Secrets written as values: a variable whose name says it holds a secret, or whose value looks like
one (a private key, a token), belongs under ``secrets`` (a reference to the store), never ``config``."""

from __future__ import annotations

import re
from collections.abc import Iterator

from nexusgen.catalogue.findings import Finding
from nexusgen.catalogue.model import ENVIRONMENTS, Catalogue

# Secret-looking variable names. A name is upper-cased, leetspeak digits read as letters (PASSW0RD),
# and split into words at '_' and '-'; a word is secret when it is a short secret word (PASS, PWD),
# contains a long one (DBPASSWORD, CLIENTSECRET), ends in PASS, PWD or TOKEN (MYSQLPASS, APITOKEN, not
# MAX_TOKENS), or is a "<kind> KEY" pair read as one word (API_KEY, SIGNING_KEY; not CACHE_KEY).
_LEET = str.maketrans("0134578@$", "OIEASTBAS")
_SECRET_WORDS = ("PASSWORD", "PASSWD", "PASSWRD", "PASSPHRASE", "SECRET", "CREDENTIAL",
                 "APIKEY", "PRIVATEKEY", "PRIVKEY", "ACCESSKEY", "SECRETKEY", "SIGNINGKEY", "ENCRYPTIONKEY",
                 "MASTERKEY", "AUTHKEY", "CLIENTKEY", "SSHKEY", "HMACKEY", "SESSIONKEY")
_SECRET_SHORT = frozenset(("PASS", "PWD", "PW", "PASWD", "PSWD", "PASSWD", "CREDS", "CRED", "TKN", "TOK", "JWT", "BEARER", "PAT"))
_KEY_KINDS = frozenset(("API", "PRIVATE", "PRIV", "ACCESS", "SECRET", "SIGNING", "ENCRYPTION", "MASTER", "AUTH", "CLIENT",
                        "SSH", "HMAC", "SESSION"))
_SECRET_VALUE = [
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "an AWS access key"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"), "a GitHub token"),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"\bsk_(live|test)_[A-Za-z0-9]{16,}"), "a Stripe key"),
    (re.compile(r"\b[0-9]{8,10}:[A-Za-z0-9_-]{35}\b"), "a Telegram bot token"),
    (re.compile(r"hooks\.slack\.com/services/"), "a Slack webhook URL"),
    (re.compile(r"://[^/\s:@]+:[^/\s@]+@"), "a URL with a password"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\."), "a JSON Web Token"),
]
_HIGH_ENTROPY = re.compile(r"^[A-Za-z0-9+/=_-]{32,}$")


def literal_secrets(cat: Catalogue) -> Iterator[Finding]:
    maps = [(("services", n, "config"), s.config) for n, s in cat.services.items()]
    maps += [(("infrastructure", n, "config"), i.config) for n, i in cat.infrastructure.items()]
    maps += [(("infrastructure", n, "exporter", "config"), i.exporter.config) for n, i in cat.infrastructure.items() if i.exporter]
    maps += [(("environments", e, "services", n, "config"), o.config) for e in ENVIRONMENTS for env in (getattr(cat.environments, e),) for n, o in env.services.items()]
    for base, config in maps:
        for key, value in config.items():
            if value is None:  # an override removing the variable
                continue
            loc = (*base, key)
            what = looks_secret(value)
            if what:
                yield loc, f"looks like {what}; reference it under 'secrets' instead of writing the value"
            elif secret_name(key) and value.strip():
                yield loc, f"{key} looks like a secret; move it to 'secrets' (a reference), not 'config'"


def secret_name(key: str) -> bool:
    """True when a variable name says it holds a secret: DB_PASS, DB_PASSW0RD, PWD, APITOKEN, X_API_KEY."""
    words = [w for w in re.split(r"[_\-\s.]+", key.upper().translate(_LEET)) if w]
    joined = [a + b for a, b in zip(words, words[1:]) if a in _KEY_KINDS and b in ("KEY", "KEYS")]
    for word in words + joined:
        if word in _SECRET_SHORT or any(part in word for part in _SECRET_WORDS):
            return True
        if word.endswith(("PASS", "PWD", "TOKEN")) and word not in _NOT_SECRET:  # not MAX_TOKENS, TOKENIZER
            return True
    return False


_NOT_SECRET = frozenset(("BYPASS", "COMPASS", "SURPASS", "OVERPASS", "UNDERPASS", "TRESPASS", "ENCOMPASS"))


def looks_secret(value: str) -> str | None:
    for pattern, what in _SECRET_VALUE:
        if pattern.search(value):
            return what
    if _HIGH_ENTROPY.fullmatch(value) and len(set(value)) >= 16 and any(c.isdigit() for c in value):
        return "a token or key (a long random string)"
    return None


RULES = [literal_secrets]
