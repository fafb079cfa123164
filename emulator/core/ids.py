"""One seeded random source for every generated value (request ids, BizIds, mids, codes, tokens).

With `--seed N` a run is repeatable: the same sequence of calls yields the same ids and codes. Without a seed
the source is seeded from the OS, so values are unpredictable as in production.
"""

from __future__ import annotations

import random
import string

_CODE_ALPHABETS = {
    1: string.digits,
    2: string.ascii_uppercase,
    3: string.ascii_lowercase,
    4: string.ascii_letters,
    5: string.digits + string.ascii_uppercase,
    6: string.digits + string.ascii_lowercase,
    7: string.digits + string.ascii_letters,
}
_B64 = string.ascii_letters + string.digits + "+/"


class RandomSource:
    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._rng = random.Random(seed)

    def reseed(self) -> None:
        """Back to the start of the sequence (used by reset, so a seeded run repeats after it)."""
        self._rng = random.Random(self.seed)

    @property
    def rng(self) -> random.Random:
        return self._rng

    def uuid_upper(self) -> str:
        """An upper-case, UUID4-shaped id, as Alibaba's RequestId."""
        bits = self._rng.getrandbits(128)
        h = f"{bits:032X}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89AB'[bits & 3]}{h[17:20]}-{h[20:]}"

    def uuid_lower(self) -> str:
        return self.uuid_upper().lower()

    def hex(self, length: int, upper: bool = False) -> str:
        value = f"{self._rng.getrandbits(4 * length):0{length}x}"
        return value.upper() if upper else value

    def digits(self, length: int) -> str:
        return "".join(self._rng.choice(string.digits) for _ in range(length))

    def biz_id(self, suffix: int = 0) -> str:
        """Alibaba's receipt id: 18 digits, a caret and a small number (`900619746936498440^0`)."""
        return f"{self._rng.randrange(10**17, 10**18)}^{suffix}"

    def mid(self) -> str:
        """sms.1oc.cn message id: 16 upper-case hex characters."""
        return self.hex(16, upper=True)

    def verify_code(self, length: int = 4, code_type: int = 1) -> str:
        alphabet = _CODE_ALPHABETS[code_type]
        return "".join(self._rng.choice(alphabet) for _ in range(length))

    def token(self, length: int) -> str:
        """Base64-looking opaque text for STS tokens and secrets."""
        return "".join(self._rng.choice(_B64) for _ in range(length))

    def alnum(self, length: int) -> str:
        return "".join(self._rng.choice(string.ascii_letters + string.digits) for _ in range(length))

    def uniform(self, low: float, high: float) -> float:
        return self._rng.uniform(low, high)

    def random(self) -> float:
        return self._rng.random()
