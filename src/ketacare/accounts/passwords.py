"""Password policy after NIST SP 800-63B (June 2017, updated 2020), section 5.1.1.2
"Memorized Secret Verifiers": length over complexity, a list of common and compromised
values, no composition rules and no forced periodic change.

- Length: 800-63B requires at least 8 characters for a chosen secret and asks verifiers to
  permit at least 64. KetaCare asks for 10 (stricter than the minimum: these logins reach
  identified clinical records and a Schedule III drug's ledger) and accepts up to 512 (the
  API's bound), any printable character, spaces and Unicode included.
- Blocklist: "passwords obtained from previous breach corpuses", "dictionary words" and
  "context-specific words, such as the name of the service, the username" must be refused.
  Django's ``CommonPasswordValidator`` carries a list of 20,000 common passwords taken from
  breach corpora; ``UserAttributeSimilarityValidator`` refuses ones too like the username or
  name; ``ContextWordsValidator`` below refuses the service's own name.
- No other composition rules (800-63B: verifiers SHOULD NOT require mixtures of character
  types) and no periodic expiry (SHOULD NOT require periodic change; SHALL force a change on
  evidence of compromise, which a clinic admin does by resetting the password).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

# Words specific to this service that 800-63B section 5.1.1.2 asks verifiers to refuse.
SERVICE_WORDS = ("ketacare", "ketamine", "esketamine", "spravato")


class ContextWordsValidator:
    """Refuse a password that is, or is built around, the service's own name."""

    def validate(self, password: str, user=None) -> None:
        folded = "".join(ch for ch in password.casefold() if ch.isalnum())
        for word in SERVICE_WORDS:
            if word in folded and len(folded) - len(word) < 6:
                raise ValidationError(
                    "This password is too close to the name of the service; choose a longer "
                    "phrase of your own.",
                    code="password_context_word",
                )

    def get_help_text(self) -> str:
        return "Your password cannot be mostly the name of this service."
