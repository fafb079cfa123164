"""When to sweep state that expires (STS credentials, verification-code scopes) out of memory.

A sweep scans everything, so it runs only once the population has doubled since the last one (and never below
`FLOOR` entries): amortised O(1) per entry added, and memory bounded by twice what is still alive (or kept
after expiry), however long the emulator runs. Each swept key goes through a per-key `_drop` method of its
owner, which `emulator.core.tracker` hooks to delete its row from the `--db` database too.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Below this many entries nothing is swept: small worlds are never scanned.
FLOOR = 1024
#: How long an expired entry is kept (virtual seconds), so it is still reported as expired rather than
#: unknown for a day (an STS token's `InvalidSecurityToken.Expired`, a code's "expired" check answer).
KEPT_AFTER_EXPIRY = 86400.0


@dataclass
class SweepPolicy:
    next_at: int = FLOOR

    def due(self, size: int) -> bool:
        return size >= self.next_at

    def swept(self, size: int) -> None:
        """Called after a sweep left `size` entries."""
        self.next_at = max(FLOOR, 2 * size)
