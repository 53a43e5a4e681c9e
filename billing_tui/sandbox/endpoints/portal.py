"""Customer-portal endpoints: ``POST /v1/billing_portal/sessions`` (with flows) and
``POST /v1/billing_portal/configurations/{id}`` (feature switches)."""

from __future__ import annotations

import secrets
from typing import Any

from billing_tui.sandbox import resources
from billing_tui.sandbox.context import Context
from billing_tui.sandbox.endpoints.common import ENDED, PRORATION_BEHAVIORS, metadata_update
from billing_tui.sandbox.endpoints.reads import lookup
from billing_tui.sandbox.query import dig, ref
from billing_tui.sandbox.state import JSON
from billing_tui.sandbox.wire import (
    ApiError,
    as_bool,
    as_dict,
    as_enum,
    as_list,
    as_str,
    bad_param,
    check_known,
    missing_param,
    no_such,
    unknown_param,
)

FLOW_FEATURES = {
    "payment_method_update": "payment_method_update",
    "subscription_cancel": "subscription_cancel",
    "subscription_update": "subscription_update",
    "subscription_update_confirm": "subscription_update",
    "subscription_pause": "subscription_pause",
    "customer_update": "customer_update",
}
FLOW_SUBSCRIPTION = (
    "subscription_cancel",
    "subscription_update",
    "subscription_update_confirm",
    "subscription_pause",
)


def _portal_flow(ctx: Context, value: Any, customer: JSON, config: JSON) -> JSON:
    flow = as_dict(value, "flow_data")
    check_known(flow, {"type", "after_completion", *FLOW_FEATURES}, under="flow_data")
    if "type" not in flow:
        raise missing_param("flow_data[type]")
    kind = as_enum(flow["type"], "flow_data[type]", tuple(FLOW_FEATURES))
    feature = FLOW_FEATURES[kind]
    if not dig(config, f"features.{feature}.enabled"):
        raise ApiError(
            400,
            f"You can't use a {kind} flow because the {feature} feature is disabled in the "
            f"portal configuration {config['id']}. Enable features.{feature} on the "
            "configuration, or pass a configuration that has it enabled.",
            param="flow_data[type]",
        )
    out: JSON = {
        "after_completion": {
            "hosted_confirmation": None,
            "redirect": None,
            "type": "portal_homepage",
        },
        "customer_update": None,
        "subscription_cancel": None,
        "subscription_pause": None,
        "subscription_update": None,
        "subscription_update_confirm": None,
        "type": kind,
    }
    if kind in FLOW_SUBSCRIPTION:
        sub_params = as_dict(flow.get(kind, {}), f"flow_data[{kind}]")
        if "subscription" not in sub_params:
            raise missing_param(f"flow_data[{kind}][subscription]")
        sub_id = as_str(sub_params["subscription"], f"flow_data[{kind}][subscription]")
        sub = ctx.state.get("subscription", sub_id)
        if sub is None or ref(sub.get("customer")) != customer["id"]:
            raise no_such(
                "subscription", sub_id, param=f"flow_data[{kind}][subscription]", status=400
            )
        if sub.get("status") in ENDED:
            raise ApiError(
                400,
                f"The subscription {sub_id} is canceled; a {kind} flow needs a live subscription.",
                param=f"flow_data[{kind}][subscription]",
            )
        detail: JSON = {"subscription": sub_id}
        if kind == "subscription_cancel":
            detail["retention"] = None
        if kind == "subscription_update_confirm":
            items = []
            for i, entry in enumerate(as_list(sub_params.get("items", []), "items")):
                entry = as_dict(entry, f"flow_data[{kind}][items][{i}]")
                items.append(
                    {
                        "id": entry.get("id"),
                        "price": entry.get("price"),
                        "quantity": int(entry["quantity"]) if "quantity" in entry else None,
                    }
                )
            if not items:
                raise missing_param(f"flow_data[{kind}][items]")
            detail["items"] = items
            detail["discounts"] = None
        if kind in out:
            out[kind] = detail
    after = as_dict(flow.get("after_completion", {}), "flow_data[after_completion]")
    if after:
        after_type = as_enum(
            after.get("type", ""),
            "flow_data[after_completion][type]",
            ("hosted_confirmation", "portal_homepage", "redirect"),
        )
        result: JSON = {"hosted_confirmation": None, "redirect": None, "type": after_type}
        if after_type == "redirect":
            redirect = as_dict(after.get("redirect", {}), "flow_data[after_completion][redirect]")
            if "return_url" not in redirect:
                raise missing_param("flow_data[after_completion][redirect][return_url]")
            result["redirect"] = {
                "return_url": as_str(
                    redirect["return_url"], "flow_data[after_completion][redirect][return_url]"
                )
            }
        if after_type == "hosted_confirmation":
            hosted = as_dict(
                after.get("hosted_confirmation", {}),
                "flow_data[after_completion][hosted_confirmation]",
            )
            result["hosted_confirmation"] = {"custom_message": hosted.get("custom_message")}
        out["after_completion"] = result
    return out


SESSION_PARAMS = {
    "customer",
    "return_url",
    "configuration",
    "flow_data",
    "locale",
    "on_behalf_of",
    "expand",
}


def create_portal_session(ctx: Context) -> JSON:
    params = ctx.params
    check_known(params, SESSION_PARAMS)
    if "customer" not in params:
        raise missing_param("customer")
    customer_id = as_str(params["customer"], "customer")
    customer = ctx.state.get("customer", customer_id)
    if customer is None or customer.get("deleted"):
        raise no_such("customer", customer_id, param="customer", status=400)
    config = _session_configuration(ctx)
    return_url = params.get("return_url") or config.get("default_return_url")
    if return_url is not None:
        return_url = as_str(return_url, "return_url")
        if not return_url.startswith(("http://", "https://")):
            raise bad_param("return_url", "Not a valid URL", "url_invalid")
    flow = (
        _portal_flow(ctx, params["flow_data"], customer, config) if "flow_data" in params else None
    )
    session_id = ctx.state.new_id("billing_portal.session")
    secret = secrets.token_urlsafe(18).replace("-", "x").replace("_", "y")
    prefix = "" if ctx.principal.livemode else "test_"
    session = resources.portal_session(
        ctx.state,
        id=session_id,
        customer=customer_id,
        configuration=config["id"],
        url=f"https://billing.stripe.com/p/session/{prefix}{secret}",
        return_url=return_url,
        flow=flow,
        locale=params.get("locale"),
        created=ctx.now(),
    )
    return ctx.render(session)


def _session_configuration(ctx: Context) -> JSON:
    """The ``configuration`` parameter (active) or the account's active default one."""
    configs = ctx.state.objects.get("billing_portal.configuration", {})
    if "configuration" in ctx.params:
        config_id = as_str(ctx.params["configuration"], "configuration")
        config = configs.get(config_id)
        if config is None:
            raise no_such("configuration", config_id, param="configuration", status=400)
        if not config.get("active"):
            raise ApiError(
                400,
                f"The configuration {config_id} is inactive; activate it or pass another "
                "configuration.",
                param="configuration",
            )
        return config
    config = next((c for c in configs.values() if c.get("is_default") and c.get("active")), None)
    if config is None:
        mode = "live" if ctx.principal.livemode else "test"
        dashboard = "https://dashboard.stripe.com/" + ("" if mode == "live" else "test/")
        raise ApiError(
            400,
            f"You can't create a portal session in {mode} mode until you save your "
            f"customer portal settings in {mode} mode at "
            f"{dashboard}settings/billing/portal.",
        )
    return config


_FEATURE_FIELDS: dict[str, dict[str, str]] = {
    "customer_update": {"enabled": "bool", "allowed_updates": "list"},
    "invoice_history": {"enabled": "bool"},
    "payment_method_update": {"enabled": "bool", "payment_method_configuration": "str"},
    "subscription_cancel": {
        "enabled": "bool",
        "mode": "str",
        "proration_behavior": "str",
        "cancellation_reason": "dict",
    },
    "subscription_pause": {"enabled": "bool"},
    "subscription_update": {
        "enabled": "bool",
        "default_allowed_updates": "list",
        "proration_behavior": "str",
        "products": "list",
        "schedule_at_period_end": "dict",
        "trial_update_behavior": "str",
        "billing_cycle_anchor": "str",
    },
}
_ENUMS = {
    "subscription_cancel.mode": ("at_period_end", "immediately"),
    "subscription_cancel.proration_behavior": PRORATION_BEHAVIORS,
    "subscription_update.proration_behavior": PRORATION_BEHAVIORS,
}


def _typed(value: Any, kind: str, param: str) -> Any:
    if kind == "bool":
        return as_bool(value, param)
    if kind == "list":
        return as_list(value, param)
    if kind == "dict":
        converted: JSON = {}
        for key, item in as_dict(value, param).items():
            if key == "enabled":
                converted[key] = as_bool(item, f"{param}[{key}]")
            elif isinstance(item, list) or key in ("options", "conditions"):
                converted[key] = as_list(item, f"{param}[{key}]")
            else:
                converted[key] = item
        return converted
    return as_str(value, param, allow_empty=True) or None


CONFIGURATION_PARAMS = {
    "features",
    "active",
    "default_return_url",
    "metadata",
    "business_profile",
    "login_page",
    "name",
    "expand",
}


def update_portal_configuration(ctx: Context, config_id: str) -> JSON:
    params = ctx.params
    check_known(params, CONFIGURATION_PARAMS)
    config = lookup(ctx, "billing_portal/configurations", config_id)
    updates = _feature_updates(params.get("features", {}))
    active = as_bool(params["active"], "active") if "active" in params else None
    if active is False and config.get("is_default"):
        raise bad_param("active", "You can't deactivate the default portal configuration.")
    for feature, field, typed in updates:
        section = config.setdefault("features", {}).setdefault(feature, {})
        if (feature, field) == ("subscription_update", "products"):
            typed = [_portal_product(p, n) for n, p in enumerate(typed)]
        if isinstance(typed, dict) and isinstance(section.get(field), dict):
            section[field].update(typed)
        else:
            section[field] = typed
    if active is not None:
        config["active"] = active
    for name, apply in _CONFIGURATION_SETTERS.items():
        if name in params:
            apply(config, params[name])
    config["updated"] = ctx.now()
    return ctx.render(config)


def _portal_product(value: Any, n: int) -> JSON:
    param = f"features[subscription_update][products][{n}]"
    entry = as_dict(value, param)
    if "product" not in entry:
        raise missing_param(f"{param}[product]")
    return resources.update_product(entry)


def _feature_updates(value: Any) -> list[tuple[str, str, Any]]:
    """``features[<feature>][<field>]`` parameters, typed and checked: (feature, field, value)."""
    updates: list[tuple[str, str, Any]] = []
    for feature, values in as_dict(value, "features").items():
        if feature not in _FEATURE_FIELDS:
            raise unknown_param(f"features[{feature}]")
        for field, raw in as_dict(values, f"features[{feature}]").items():
            param = f"features[{feature}][{field}]"
            kind = _FEATURE_FIELDS[feature].get(field)
            if kind is None:
                raise unknown_param(param)
            typed = _typed(raw, kind, param)
            allowed = _ENUMS.get(f"{feature}.{field}")
            if allowed is not None:
                typed = as_enum(typed, param, allowed)
            updates.append((feature, field, typed))
    return updates


def _set_default_return_url(config: JSON, value: Any) -> None:
    config["default_return_url"] = as_str(value, "default_return_url", allow_empty=True) or None


def _set_metadata(config: JSON, value: Any) -> None:
    config["metadata"] = metadata_update(config.get("metadata"), value)


def _set_name(config: JSON, value: Any) -> None:
    config["name"] = as_str(value, "name", allow_empty=True) or None


def _set_business_profile(config: JSON, value: Any) -> None:
    profile = as_dict(value, "business_profile")
    config.setdefault("business_profile", {}).update({k: (v or None) for k, v in profile.items()})


def _set_login_page(config: JSON, value: Any) -> None:
    login = as_dict(value, "login_page")
    if "enabled" in login:
        enabled = as_bool(login["enabled"], "login_page[enabled]")
        config["login_page"] = {
            "enabled": enabled,
            "url": f"https://billing.stripe.com/p/login/test_{config['id'][-10:]}"
            if enabled
            else None,
        }


#: The configuration's top-level parameters besides ``features`` and ``active``, in the order
#: they are applied.
_CONFIGURATION_SETTERS = {
    "default_return_url": _set_default_return_url,
    "metadata": _set_metadata,
    "name": _set_name,
    "business_profile": _set_business_profile,
    "login_page": _set_login_page,
}
