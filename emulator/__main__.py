"""`python -m emulator` behaves exactly like the `sms-emulator` console script."""

from emulator.cli import main

raise SystemExit(main())
