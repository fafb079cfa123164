"""Running the emulator as a service: TLS, persistence, structured logs, metrics and the healthcheck.

Nothing here changes what a provider answers; `setup_ops` attaches it all to an application.
"""
