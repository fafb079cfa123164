"""The Alibaba Cloud gateway: one handler for every product on `/`.

protocol (decode, authenticate, route) -> Call -> policy decision -> product action -> envelope.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from emulator.core.backend import Backend
from emulator.core.errors import EmulatorError
from emulator.core.outcomes import Call
from emulator.core.persistence import StoreFailing
from emulator.ops.outcome import note
from emulator.protocols.aliyun import envelope
from emulator.protocols.aliyun.auth import Authenticator
from emulator.protocols.aliyun.errors import GATEWAY_ERRORS, gateway_error, missing
from emulator.protocols.aliyun.product import ActionContext, ActionSpec, AliyunProduct
from emulator.protocols.aliyun.request import AliyunRequest, read_aliyun_request
from emulator.protocols.faults import apply_fault, pause
from emulator.protocols.hangup import CLIENT_CLOSED, ClientClosedRequest, nobody_to_answer

log = logging.getLogger("sms_emulator.requests")

#: Common parameters of the RPC protocol; everything else is an API parameter.
COMMON_PARAMS = frozenset({
    "Action", "Version", "Format", "Timestamp", "SignatureMethod", "SignatureVersion", "SignatureNonce",
    "SignatureType", "AccessKeyId", "Signature", "SecurityToken", "RegionId", "OwnerId",
    "ResourceOwnerAccount", "ResourceOwnerId",
})
DEFAULT_HOST = "dysmsapi.aliyuncs.com"


class AliyunGateway:
    def __init__(self, backend: Backend, products: list[AliyunProduct]) -> None:
        self.backend = backend
        self.products = products
        self.auth = Authenticator(backend)
        self._routes: dict[str, tuple[AliyunProduct, ActionSpec | None]] = {}
        for product in products:
            for name, spec in product.actions.items():
                self._routes[name] = (product, spec)
            if product.setup is not None:
                product.setup(backend)
        for product in products:    # real actions nobody models: routed to their product, to be refused there
            for name in product.unmodelled():
                self._routes.setdefault(name, (product, None))
        self._by_label = {product.host.split(".")[0]: product for product in products}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        backend = self.backend
        request_id = backend.ids.uuid_upper()
        trace_id = backend.ids.hex(32)
        product: AliyunProduct | None = None
        action = "?"
        phones: tuple[str, ...] = ()
        try:
            req = await read_aliyun_request(request)
            action, version = self._action_and_version(req)
            product, spec = self._route(action, version, req.host)
            principal = self.auth.authenticate(req)   # a real API is signed like any other, modelled or not
            if spec is None:
                raise gateway_error("Emulator.ActionNotModelled",
                                    f"{action} is a real API of {product.host} (version {product.version}) that "
                                    f"the emulator does not model; docs/coverage.md lists what it models.")
            account = principal.account
            now = backend.clock.now()
            if account.qps is not None and not backend.qps.allow(account.name, account.qps, now):
                raise gateway_error("Throttling.User")
            params = {k: v for k, v in req.params.items() if k not in COMMON_PARAMS}
            spec.check(params, product.too_long)
            phones = spec.phones(params) if spec.phones else ()
            if spec.lookup is not None:
                phones = (*phones, *spec.lookup(backend, account.name, params))
            call = Call(provider=product.code, action=action, params=params, account=account.name,
                        credential=principal.access_key_id, phones=phones,
                        signs=spec.signs(params) if spec.signs else (),
                        template=params.get(spec.template_param) if spec.template_param else None,
                        received_at=now)
            decision = backend.policy.decide(call)
            if decision.latency:
                await pause(request, decision.latency)
            if decision.fault:
                note(request, product.code, action, phones, f"fault:{decision.fault}", decision.rule, request_id)
                return await apply_fault(request, decision.fault)
            if decision.error:
                # Validated at load: every code a scenario names is in the product's table or the gateway's.
                chosen = product.errors.resolve(decision.error) or GATEWAY_ERRORS.get(decision.error)
                raise EmulatorError(chosen.code, decision.message or chosen.message, status=chosen.status)
            ctx = ActionContext(backend, product, call, account, principal, request_id, params,
                                limit_overrides=decision.limits)
            fields = spec.handler(ctx)
            await backend.committed()       # acknowledged means kept: StoreFailing answers ServiceUnavailable
            note(request, product.code, action, phones, "OK", fields.get("BizId"), request_id)
            return envelope.respond(envelope.success_body(fields, request_id), request_id, trace_id)
        except StoreFailing as failure:
            log.error("%s not acknowledged (RequestId %s): the state database cannot be written: %s",
                      action, request_id, failure)
            self._note(request, product, action, phones, "ServiceUnavailable", "store failing", request_id)
            return self._error(gateway_error("ServiceUnavailable"), product, request_id, trace_id)
        except EmulatorError as error:
            self._note(request, product, action, phones, error.code, error.message, request_id)
            return self._error(error, product, request_id, trace_id)
        except ClientClosedRequest:
            self._note(request, product, action, phones, CLIENT_CLOSED, None, request_id)
            return nobody_to_answer()
        except Exception:  # a bug of ours must still answer in the provider's shape, and be visible
            log.exception("internal error while handling %s (RequestId %s)", action, request_id)
            self._note(request, product, action, phones, "InternalError", None, request_id)
            return self._error(gateway_error("InternalError"), product, request_id, trace_id)

    # ---------------------------------------------------------------------------------------------

    @staticmethod
    def _action_and_version(req: AliyunRequest) -> tuple[str, str]:
        if req.acs3_authorization:
            action = req.header("x-acs-action") or req.params.get("Action")
            version = req.header("x-acs-version") or req.params.get("Version")
        else:
            action = req.params.get("Action") or req.header("x-acs-action")
            version = req.params.get("Version") or req.header("x-acs-version")
        if not action:
            raise missing("Action")
        if not version:
            raise missing("Version")
        return action, version

    def _route(self, action: str, version: str, host: str) -> tuple[AliyunProduct, ActionSpec | None]:
        """The product and action a call names; no action (None) for a real API the emulator does not model.

        Names are routed alone (tests and most users call every product on one endpoint), except when the
        Host names a product that has the action without modelling it: dypnsapi's own QuerySendDetails is
        not dysmsapi's, and answering it with dysmsapi's would mislead."""
        named = self._by_label.get(host.split(".")[0].lower())
        if named is not None and action in named.catalog and action not in named.actions:
            route: tuple[AliyunProduct, ActionSpec | None] | None = (named, None)
        else:
            route = self._routes.get(action)
        if route is None:
            raise gateway_error("InvalidAction.NotFound",
                                f"Specified api is not found, please check your url and method. "
                                f"(Action {action[:64]!r} is not an API of {', '.join(p.host for p in self.products)})")
        product, spec = route
        if version != product.version:
            raise gateway_error("InvalidAction.NotFound",
                                f"Specified api is not found, please check your url and method. "
                                f"({action} exists only in version {product.version}, not {version[:32]!r})")
        return product, spec

    def _error(self, error: EmulatorError, product: AliyunProduct | None, request_id: str,
               trace_id: str) -> web.Response:
        host = product.host if product else DEFAULT_HOST
        name = product.product if product else "Dysmsapi"
        in_product_table = product is not None and error.code in product.errors
        extra: dict[str, Any] | None = product.error_fields if in_product_table and product else None
        body = envelope.error_body(error, request_id, host, name, extra)
        return envelope.respond(body, request_id, trace_id, status=error.status or 200, headers=error.headers)

    @staticmethod
    def _note(request: web.Request, product: AliyunProduct | None, action: str, phones: tuple[str, ...],
              code: str, detail: Any, request_id: str) -> None:
        """For the request log and metrics (emulator.ops); an unrouted action, any string a client sent, is
        not used as a metrics label."""
        if product is None:
            note(request, "aliyun", "unknown", phones, code, f"{action[:64]}: {detail}", request_id)
        else:
            note(request, product.code, action, phones, code, detail, request_id)

