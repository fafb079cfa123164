"""sms-emulator: a local, stateful, scriptable stand-in for SMS provider APIs."""

__version__ = "0.1.0"
