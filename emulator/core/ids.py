"""One seeded random source for every generated value (request ids, BizIds, mids, codes, tokens).

With `--seed N` a run is repeatable: the same sequence of calls yields the same ids and codes. Without a seed
the source is seeded from the OS, so values are unpredictable as in production.

Seeded must mean repeatable, never colliding with what already exists:

* A reset (`reseed`) repeats the sequence, since it also wipes the messages those ids named; but credentials
  (STS) come from a stream of their own that a reset does not rewind, because a credential handed out before
  the reset may still sit in an application, and must never come back as another account's.
* A restart with `--db` starts a new *epoch*: every stream is seeded from `(seed, epoch)`, so the run after the
  restart is as repeatable as the first (same seed, same database, same ids) but draws from a different
  sequence than every run before it, and BizIds, mids and credentials already in the database are not
  issued again. The epoch is kept in the database (`emulator.core.snapshot`).
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
_ALNUM = string.ascii_letters + string.digits


class RandomSource:
    def __init__(self, seed: int | None = None, epoch: int = 0, stream: str = "") -> None:
        self.seed = seed
        self.epoch = epoch
        self._stream = stream
        self._rng = random.Random(self._stream_seed())
        self._credentials: RandomSource | None = None

    def _stream_seed(self) -> int | str | None:
        if self.seed is None or (self.epoch == 0 and not self._stream):
            return self.seed        # epoch 0's main stream: exactly what `--seed N` always gave
        return f"{self.seed}:{self.epoch}:{self._stream}"

    def reseed(self) -> None:
        """Back to the start of the sequence (used by reset, so a seeded run repeats after it).

        The credentials stream is not rewound: see the module docstring."""
        self._rng = random.Random(self._stream_seed())

    def new_epoch(self, epoch: int) -> None:
        """Draw from the sequences of `epoch` from now on (a restart over a database that saw `epoch - 1`)."""
        self.epoch = epoch
        self.reseed()
        self._credentials = None

    @property
    def credentials(self) -> RandomSource:
        """The stream STS credentials are drawn from: seeded like this one, never rewound by a reset."""
        if self._credentials is None:
            self._credentials = RandomSource(self.seed, self.epoch, stream="credentials")
        return self._credentials

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
        """Base64-looking opaque text for STS tokens and secrets. `choices`, not a `choice` per character: a
        120-character H5 JwtToken took ~40 us that way, a sixth of a GetAuthToken."""
        return "".join(self._rng.choices(_B64, k=length))

    def alnum(self, length: int) -> str:
        return "".join(self._rng.choices(_ALNUM, k=length))

    def uniform(self, low: float, high: float) -> float:
        return self._rng.uniform(low, high)

    def random(self) -> float:
        return self._rng.random()
