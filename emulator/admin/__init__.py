"""The test-facing surface: inspection API under /_emulator, web inbox, pytest plugin."""
