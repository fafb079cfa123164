# sms-emulator as a service: `docker build -t sms-emulator .` then
#   docker run -p 8767:8767 sms-emulator                         (HTTP on 8767, state in the /data volume)
#   docker run -p 443:443 -e SMS_EMULATOR_PORT=443 -e SMS_EMULATOR_TLS=1 sms-emulator
# Every flag of `sms-emulator serve` is also an SMS_EMULATOR_* variable (README, "Command line").

# Stage 1: the wheel, built from the source tree (it carries the built-in fixtures and scenarios).
FROM python:3.11-slim AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY emulator/ emulator/
COPY fixtures/ fixtures/
COPY scenarios/ scenarios/
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# Stage 2: the runtime image: the wheel and its dependencies, nothing else.
FROM python:3.11-slim
LABEL org.opencontainers.image.title="sms-emulator" \
      org.opencontainers.image.description="Local emulator of SMS provider APIs (Alibaba dysmsapi/dypnsapi, sms.1oc.cn)" \
      org.opencontainers.image.licenses="MIT"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SMS_EMULATOR_HOST=0.0.0.0 \
    SMS_EMULATOR_PORT=8767 \
    SMS_EMULATOR_TLS_PORT=8443 \
    SMS_EMULATOR_FIXTURES=/fixtures \
    SMS_EMULATOR_DB=/data/emulator.db
COPY --from=wheel /wheels/ /wheels/
RUN pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin emulator \
    && mkdir -p /fixtures /scenarios /data \
    && chown emulator:emulator /fixtures /scenarios /data
USER 10001:10001
WORKDIR /data
# /fixtures: your fixture files (any of the four; missing ones fall back to the built-in defaults).
# /scenarios: scenario files, chosen with SMS_EMULATOR_SCENARIO=/scenarios/NAME.yaml.
# /data: the state database (messages, accounts, codes, the report queue) and the TLS CA.
VOLUME ["/fixtures", "/scenarios", "/data"]
# 8767 plain HTTP, 8443 HTTPS (certificate from the emulator's CA, written to /data/emulator.ca.pem): one process,
# one state. SMS_EMULATOR_TLS_PORT= (empty) turns HTTPS off; SMS_EMULATOR_TLS=1 with it makes 8767 itself HTTPS.
EXPOSE 8767 8443
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 CMD ["sms-emulator", "healthcheck"]
ENTRYPOINT ["sms-emulator"]
CMD ["serve"]
