"""Stripe's wire format: nested form params, error JSON, value parsing, money text, key masking.

Everything here is pure and HTTP-agnostic; the engine turns :class:`ApiError` into the
``{"error": {...}}`` body and status Stripe would send.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

JSON = dict[str, Any]

#: Currencies whose amounts have no minor unit (Stripe's list).
ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga"}
    | {"pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "krw": "₩", "inr": "₹"}

_KEY_RE = re.compile(r"^[^\[\]]+|\[([^\[\]]*)\]")


class ApiError(Exception):
    """An API error response, raised anywhere inside a request and rendered by the engine.

    ``cacheable`` is False for errors raised while validating parameters: Stripe does not save
    an idempotent result for those, so a retry with corrected parameters may reuse the key.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        cacheable: bool = True,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})
        self.cacheable = cacheable

    def payload(self) -> JSON:
        error: JSON = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        if self.decline_code:
            error["decline_code"] = self.decline_code
        error.update(self.extra)
        return {"error": error}


def bad_param(param: str, message: str, code: str = "parameter_invalid_string") -> ApiError:
    return ApiError(400, message, code=code, param=param, cacheable=False)


def unknown_param(param: str) -> ApiError:
    return ApiError(
        400,
        f"Received unknown parameter: {param}",
        code="parameter_unknown",
        param=param,
        cacheable=False,
    )


def missing_param(param: str) -> ApiError:
    return ApiError(
        400,
        f"Missing required param: {param}.",
        code="parameter_missing",
        param=param,
        cacheable=False,
    )


def no_such(label: str, obj_id: str, *, param: str = "id", status: int = 404) -> ApiError:
    return ApiError(status, f"No such {label}: '{obj_id}'", code="resource_missing", param=param)


# --------------------------------------------------------------------------- form decoding


def decode_form(text: str | None) -> JSON:
    """Decode Stripe's nested form encoding (``a[b][0][c]=v``, ``expand[]=x``) into dicts/lists.

    Maps whose keys are all integers become lists in index order; ``[]`` appends.
    """
    root: JSON = {}
    if not text:
        return root
    for raw_key, value in parse_qsl(text, keep_blank_values=True):
        parts = _split_key(raw_key)
        if parts is None:
            raise bad_param(raw_key, f"Invalid parameter name: {raw_key}")
        node: JSON = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "":
                part = str(_next_index(node))
            if last:
                if isinstance(node.get(part), dict):
                    raise bad_param(raw_key, f"Invalid value for {raw_key}: expected a hash")
                node[part] = value
            else:
                child = node.get(part)
                if child is None:
                    child = {}
                    node[part] = child
                elif not isinstance(child, dict):
                    name = _join(parts[: i + 1])
                    raise bad_param(name, f"Invalid value for {name}: expected a hash")
                node = child
    result = _listify(root)
    assert isinstance(result, dict)
    return result


def _split_key(raw: str) -> list[str] | None:
    parts: list[str] = []
    pos = 0
    for match in _KEY_RE.finditer(raw):
        if match.start() != pos:
            return None
        pos = match.end()
        parts.append(match.group(1) if match.group(0).startswith("[") else match.group(0))
    if pos != len(raw) or not parts:
        return None
    return parts


def _join(parts: list[str]) -> str:
    return parts[0] + "".join(f"[{p}]" for p in parts[1:])


def _next_index(node: JSON) -> int:
    return sum(1 for k in node if k.isdigit())


def _listify(value: Any) -> Any:
    if isinstance(value, dict):
        converted = {k: _listify(v) for k, v in value.items()}
        if converted and all(k.isdigit() for k in converted):
            return [converted[k] for k in sorted(converted, key=int)]
        return converted
    return value


# --------------------------------------------------------------------------- value parsing


def as_int(
    value: Any, param: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value.strip()):
        raise bad_param(param, f"Invalid integer: {value}", "parameter_invalid_integer")
    number = int(value)
    if minimum is not None and number < minimum:
        raise bad_param(
            param,
            f"This value must be greater than or equal to {minimum} (it currently is '{number}').",
            "parameter_invalid_integer",
        )
    if maximum is not None and number > maximum:
        raise bad_param(
            param,
            f"This value must be less than or equal to {maximum} (it currently is '{number}').",
            "parameter_invalid_integer",
        )
    return number


def as_bool(value: Any, param: str) -> bool:
    if value == "true":
        return True
    if value == "false":
        return False
    raise bad_param(param, f"Invalid boolean: {value}", "parameter_invalid_string")


def as_str(value: Any, param: str, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise bad_param(param, f"Invalid string: {param} must be a string, not a hash or array")
    if not allow_empty and value == "":
        raise bad_param(
            param,
            f"You passed an empty string for '{param}'. We assume empty values are an attempt "
            f"to unset a parameter; however '{param}' cannot be unset. You should remove "
            f"'{param}' from your request or supply a non-empty value.",
            "parameter_invalid_empty",
        )
    return value


def as_enum(value: Any, param: str, allowed: tuple[str, ...]) -> str:
    text = as_str(value, param)
    if text not in allowed:
        raise bad_param(
            param,
            f"Invalid {param}: must be one of {', '.join(allowed)}",
            "parameter_invalid_string",
        )
    return text


def as_dict(value: Any, param: str) -> JSON:
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise bad_param(param, f"Invalid object: {param} must be a hash")
    return value


def as_list(value: Any, param: str) -> list[Any]:
    if value == "":
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise bad_param(param, f"Invalid array: {param} must be an array")
    return value


def check_known(
    params: Mapping[str, Any], allowed: set[str] | frozenset[str], *, under: str | None = None
) -> None:
    """Stripe's ``parameter_unknown`` for the first key not in ``allowed``; ``under`` names the
    parameter ``params`` is nested in (``flow_data`` → ``flow_data[<key>]``)."""
    for key in params:
        if key not in allowed:
            raise unknown_param(key if under is None else f"{under}[{key}]")


# --------------------------------------------------------------------------- text


def format_money(amount: int, currency: str) -> str:
    """``$12.34``, ``¥1,200``, ``12.34 CHF``: how Stripe's refund errors print amounts."""
    cur = currency.lower()
    negative = amount < 0
    amount = abs(amount)
    number = f"{amount:,}" if cur in ZERO_DECIMAL else f"{amount // 100:,}.{amount % 100:02d}"
    symbol = _SYMBOLS.get(cur)
    text = f"{symbol}{number}" if symbol else f"{number} {cur.upper()}"
    return f"-{text}" if negative else text


def mask_key(key: str) -> str:
    """``sk_test_****abcd``: the prefix and last four characters only, never the whole key."""
    match = re.match(r"^((?:sk|rk|pk)_(?:test|live)_)", key)
    prefix = match.group(1) if match else ""
    rest = key[len(prefix) :]
    tail = rest[-4:] if len(rest) > 8 else ""
    return f"{prefix}****{tail}"


def clone_obj(obj: JSON) -> JSON:
    return {k: clone(v) for k, v in obj.items()}


def clone(value: Any) -> Any:
    """A fast deep copy of JSON-shaped data."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value
