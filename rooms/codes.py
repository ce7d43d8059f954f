"""Join codes, secrets and team names: what a room hands out and what it accepts.

A join code is 8 characters of Crockford's base32 (no I, L, O or U), 40 bits: with
the store's 200 live rooms at most and 5 wrong codes per client per 10 minutes, a
guesser needs about 2^40 / 200 = 5.5e9 tries per hit. People read it off a projector
and type it on a phone, so :func:`normalise_code` forgives case, spaces, dashes and
the look-alikes O (zero) and I, L (one).

Secrets (the facilitator key, the team tokens) are 32 and 24 random bytes; the store
keeps only their SHA-256, so a copy of the database lets nobody act for anyone.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata

from .errors import RoomError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32: 32 symbols without the look-alikes I, L, O and U."""
CODE_LENGTH = 8
CODE_BITS = 40
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_CODE_NOISE = re.compile(r"[\s\-_.]+")

MAX_NAME = 40
"""Characters in a team name (after trimming)."""
MAX_TITLE = 80
"""Characters in a room's title."""
RAW_FACTOR = 4
"""Text longer than this many times its limit is refused before it is normalised: the
browser's box stops at the limit, but a client of its own can send megabytes, and each
character costs the checks below a Unicode lookup (5 MB took a second of the server's
interpreter, which every session of the room shares). Spaces that collapse and marks
that combine leave a real name far inside four times its length."""
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def new_code() -> str:
    """A fresh join code (uppercase, no separator): 40 random bits."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    """The code as the projector shows it: two groups of four, ``ABCD-EFGH``."""
    return f"{code[:4]}-{code[4:]}" if len(code) == CODE_LENGTH else code


def normalise_code(text: str) -> str:
    """What a person typed as a code, in the store's form; RoomError if it cannot be one."""
    code = _CODE_NOISE.sub("", str(text)).upper().translate(_LOOK_ALIKES)
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        raise RoomError(
            f"code: a join code is {CODE_LENGTH} letters and digits, like {shown_code('7K3M9QXR')}"
        )
    return code


def new_secret(nbytes: int = 32) -> str:
    """A URL-safe random secret (the facilitator key, a team token)."""
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    """What the store keeps of a secret or a client key: its SHA-256, in hex."""
    return hashlib.sha256(str(secret).encode("utf-8", "surrogatepass")).hexdigest()


def same_digest(secret: str, stored: str) -> bool:
    """True when ``secret`` hashes to ``stored`` (compared in constant time)."""
    return hmac.compare_digest(digest(secret), str(stored))


def clean_text(text: str, *, field: str, limit: int, required: bool = True) -> str:
    """Plain text for a name or title: NFC, one line, trimmed, at most ``limit`` long.

    Control characters and the bidirectional overrides (which would make a name read
    backwards in everyone's list) are refused, naming ``field``; so is a name of
    invisible characters alone (a zero-width space shows as no name on the projector).
    Anything else is kept as it is and escaped wherever it is shown.
    """
    if not isinstance(text, str):
        raise RoomError(f"{field}: must be text")
    if len(text) > RAW_FACTOR * limit:  # before any per-character work: see RAW_FACTOR
        raise RoomError(f"{field}: at most {limit} characters (this one has {len(text):,})")
    value = " ".join(unicodedata.normalize("NFC", text).split())
    for char in value:
        if char in _BIDI_CONTROLS or unicodedata.category(char) in {"Cc", "Cs", "Co", "Cn"}:
            raise RoomError(f"{field}: U+{ord(char):04X} is not allowed in a name")
    if not _visible(value):  # nothing a screen would show
        if required:
            raise RoomError(f"{field}: cannot be empty")
        value = ""  # an optional title of zero-width spaces is no title: the default shows
    if len(value) > limit:
        raise RoomError(f"{field}: at most {limit} characters (this one has {len(value)})")
    return value


def _visible(text: str) -> str:
    """``text`` without its format characters (Unicode's Cf: zero-width spaces and joiners,
    the soft hyphen, a byte-order mark), which draw nothing, its spaces made single."""
    return " ".join("".join(c for c in text if unicodedata.category(c) != "Cf").split())


def name_key(name: str) -> str:
    """The form two team names are compared in: 'Team A', 'team  a' and 'Team\u200b A'
    (with a zero-width space, which looks the same) are one name."""
    return _visible(unicodedata.normalize("NFKC", name)).casefold()
