"""Normalised identity keys: what makes two usernames or e-mails "the same" account.

Unicode lets one visible name be written many ways: "ALICE" and "alice", "ﬀ" and "ff",
"é" as one code point (NFC) or as "e" plus a combining accent (NFD). The key is the name after
NFKC normalisation and case folding (Unicode's NFKC_Casefold, without the default-ignorable
removal), stored in ``users.username_key`` / ``users.email_key`` under unique indexes: the
database, not a check-then-insert in Python, decides that two look-alikes are one account.
"""
import unicodedata

# Column lengths of users.username_key and users.email_key.
USERNAME_KEY_LENGTH = 160
EMAIL_KEY_LENGTH = 320


def identity_key(value: str) -> str:
    """NFKC, case-fold, NFKC again (case folding can undo a normalisation)."""
    value = unicodedata.normalize("NFKC", value.strip())
    return unicodedata.normalize("NFKC", value.casefold())
