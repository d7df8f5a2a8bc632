"""Validation time of a 30-field form with conditions: Docket vs jsonschema vs jsonschema-rs.

Builds a 30-field definition (8 ``visibleWhen`` conditions, one of them chained, 6
``requiredWhenVisible``), checks it with ``validate_definition``, compiles it with
``compile_schema`` and generates ~1000 varied submissions, about half made invalid by 1-3
mutations. Then times, per submission:

  a   runtime.checking.check_submission (Docket's server path: drop empties, strip hidden
      values, cached validator, problems with pointers and codes)
  a'  Docket's cached validator alone (``value_validator``), ``iter_errors``
  b   jsonschema Draft202012Validator built once, ``iter_errors`` (b2: ``is_valid``)
  c   jsonschema_rs validator built once, ``is_valid`` (c2: ``iter_errors``)
  d   jsonschema.validate() per call (rebuilds and meta-checks each time; on a subset)

and checks that a, b and c agree on validity for every sample. Formats are asserted in b
(jsonschema's checker) and c (``validate_formats=True``), as Docket asserts them.
Exit status 0 always (times are informative); ``--profile`` adds a cProfile of (a).

    .venv/bin/python bench/validation.py [--quick] [--samples 1000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
from jsonschema import Draft202012Validator

sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
from builder.conditions import strip_hidden, visible_keys
from builder.fields.values import value_validator
from builder.forms.definition import compile_schema, definition_hash, validate_definition
from runtime.checking import check_submission

Sample = tuple[dict[str, Any], list[str]]  # data, mutations applied


def when(key: str, *values: str) -> dict[str, Any]:
    """A condition: ``key`` is one of ``values`` (and present)."""
    test = {"const": values[0]} if len(values) == 1 else {"enum": list(values)}
    return {"properties": {key: test}, "required": [key]}


def opts(*values: str) -> list[dict[str, Any]]:
    """Options with English labels."""
    return [{"value": v, "label": {"en": v.title(), "zh-CN": v}} for v in values]


def definition() -> dict[str, Any]:
    """The 30-field form: a service request mixing every common field type."""
    def shown(key: str, *values: str, required: bool = True) -> dict[str, Any]:
        extra = {"requiredWhenVisible": True} if required else {}
        return {"visibleWhen": when(key, *values), **extra}

    spec: list[tuple[str, str, dict[str, Any]]] = [
        ("category", "select", {"required": True,
                                "options": opts("refund", "exchange", "repair", "question")}),
        ("order_id", "text", {"validate": {"pattern": "^OD[0-9]{8}$"},
                              **shown("category", "refund", "exchange")}),
        ("amount", "number", {"validate": {"min": 0.01, "max": 100000},
                              **shown("category", "refund")}),
        ("currency", "radio", {"options": opts("CNY", "USD", "EUR")}),
        ("reason", "select", {"options": opts("damaged", "late", "wrong", "other"),
                              **shown("category", "refund")}),
        ("reason_other", "textarea", shown("reason", "other")),  # chained: reason may hide
        ("product", "text", {"required": True, "validate": {"maxLength": 120}}),
        ("serial", "text", {"validate": {"pattern": "^[A-Z0-9]{6,12}$"},
                            **shown("category", "repair")}),
        ("purchase_date", "date", {"required": True}), ("warranty", "checkbox", {}),
        ("pickup_at", "datetime", shown("category", "repair", required=False)),
        ("urgency", "rating", {"max": 5}),
        ("tags", "multiselect", {"options": opts("vip", "repeat", "press", "legal", "bulk"),
                                 "validate": {"maxItems": 3}}),
        ("description", "textarea", {"required": True,
                                     "validate": {"minLength": 10, "maxLength": 2000}}),
        ("email", "email", {"required": True}), ("phone", "phone", {}), ("website", "url", {}),
        ("contact_pref", "radio", {"required": True, "options": opts("email", "phone")}),
        ("callback_at", "datetime", shown("contact_pref", "phone")),
        ("quantity", "number", {"validate": {"min": 1, "max": 99, "integer": True}}),
        ("first_name", "text", {"required": True}), ("last_name", "text", {"required": True}),
        ("company", "text", {}), ("address", "textarea", {}), ("newsletter", "checkbox", {}),
        ("country", "select", {"options": opts("CN", "US", "DE", "FR", "JP")}),
        ("postcode", "text", {"validate": {"pattern": "^[0-9]{5,6}$"}}),
        ("terms", "checkbox", {"required": True}),
        ("satisfaction", "rating", {"max": 10, **shown("category", "question", required=False)}),
        ("notes", "textarea", {"validate": {"maxLength": 500}}),
    ]
    fields = [{"id": key, "key": key, "type": kind, "label": {"en": key.replace("_", " ")},
               **extra} for key, kind, extra in spec]
    return {"formatVersion": 1, "key": "bench30", "title": {"en": "Bench form"},
            "fields": fields, "layout": [{"type": "section", "id": "main",
                                          "title": {"en": "All"},
                                          "children": [f["id"] for f in fields]}]}


def valid_data(form: dict[str, Any], rnd: random.Random) -> dict[str, Any]:
    """A valid submission: required fields always, optional ones mostly, hidden ones never."""
    day = f"2025-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
    values: dict[str, Any] = {
        "category": rnd.choice(["refund", "exchange", "repair", "question"]),
        "order_id": f"OD{rnd.randint(0, 10**8 - 1):08d}", "amount": round(rnd.uniform(1, 5000), 2),
        "currency": rnd.choice(["CNY", "USD", "EUR"]),
        "reason": rnd.choice(["damaged", "late", "wrong", "other"]),
        "reason_other": "The parcel arrived open and half empty.", "product": "Kettle K-200",
        "serial": f"SN{rnd.randint(10**5, 10**7)}", "purchase_date": day,
        "warranty": rnd.random() < 0.5, "pickup_at": f"{day}T{rnd.randint(8, 18):02d}:00",
        "urgency": rnd.randint(1, 5), "tags": rnd.sample(["vip", "repeat", "press"], 2),
        "description": "It stopped working after two days " * rnd.randint(1, 20),
        "email": f"user{rnd.randint(1, 10**6)}@example.com", "phone": "+86 138 0000 1234",
        "website": "https://example.com/shop", "contact_pref": rnd.choice(["email", "phone"]),
        "callback_at": f"{day}T14:30", "quantity": rnd.randint(1, 99), "first_name": "Li",
        "last_name": "Wei", "company": "ACME Ltd", "country": rnd.choice(["CN", "US", "DE"]),
        "address": "1 Long Road\nShanghai", "postcode": "200000", "newsletter": False,
        "terms": True, "satisfaction": rnd.randint(1, 10), "notes": "Call after 5pm.",
    }
    required = {f["key"] for f in form["fields"] if f.get("required")}
    data = {k: v for k, v in values.items() if k in required or rnd.random() < 0.75
            or k in ("order_id", "amount", "reason", "reason_other", "serial", "callback_at")}
    shown = visible_keys(form, data)
    return {k: v for k, v in data.items() if k in shown}


#: Mutations that make data invalid; setters only touch keys that are present (visible).
MUTATIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "drop required": lambda d: d.pop(random.choice(["product", "email", "terms", "category"])),
    "drop requiredWhenVisible": lambda d: [d.pop(k, None) for k in ("order_id", "serial")],
    "unknown key": lambda d: d.update(sumary="typo"),
    "amount as text": lambda d: "amount" in d and d.update(amount="12,50"),
    "amount too low": lambda d: "amount" in d and d.update(amount=0),
    "bad order id": lambda d: "order_id" in d and d.update(order_id="123"),
    "bad category": lambda d: d.update(category="complaint"),
    "bad email": lambda d: d.update(email="not-an-email"),
    "short description": lambda d: d.update(description="bad"),
    "terms not ticked": lambda d: d.update(terms=False),
    "quantity fraction": lambda d: "quantity" in d and d.update(quantity=2.5),
    "too many tags": lambda d: "tags" in d and d.update(tags=["vip", "repeat", "press", "legal"]),
    "duplicate tags": lambda d: "tags" in d and d.update(tags=["vip", "vip"]),
    "bad date": lambda d: d.update(purchase_date="2025-02-30"),
    "bad datetime": lambda d: "callback_at" in d and d.update(callback_at="tomorrow 3pm"),
    "rating zero": lambda d: "urgency" in d and d.update(urgency=0),
    "bad url": lambda d: "website" in d and d.update(website="ftp://example.com"),
}


def samples(form: dict[str, Any], count: int, seed: int = 7) -> list[Sample]:
    """``count`` submissions; about half get 1-3 mutations."""
    rnd = random.Random(seed)
    random.seed(seed)
    result: list[Sample] = []
    for _ in range(count):
        data = valid_data(form, rnd)
        names = rnd.sample(sorted(MUTATIONS), rnd.randint(1, 3)) if rnd.random() < 0.5 else []
        for name in names:
            MUTATIONS[name](data)
        result.append((data, names))
    return result


def per_call_us(check: Callable[[dict[str, Any]], object], data: list[dict[str, Any]],
                repeat: int = 1) -> float:
    """Best-of-``repeat`` microseconds per call of ``check`` over ``data``."""
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        for item in data:
            check(item)
        best = min(best, time.perf_counter() - began)
    return 1e6 * best / max(1, len(data))


def validate_per_call(schema: dict[str, Any]) -> Callable[[dict[str, Any]], object]:
    """jsonschema.validate() as a naive caller would use it (raises when invalid)."""
    def check(item: dict[str, Any]) -> bool:
        try:
            jsonschema.validate(item, schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        except jsonschema.ValidationError:
            return False
        return True
    return check


def main() -> int:
    """Build, generate, verify agreement, time, print."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples and repeats")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5, help="best of N passes")
    parser.add_argument("--profile", action="store_true", help="cProfile of check_submission")
    args = parser.parse_args()
    if args.quick:
        args.samples, args.repeat = 200, 2
    form = definition()
    if problems := validate_definition(form):
        sys.exit(f"the benchmark form is not valid: {[p.as_dict() for p in problems][:5]}")
    schema = compile_schema(form)
    key = definition_hash(form)  # the server passes the published version's hash
    rs = jsonschema_rs.validator_for(schema, validate_formats=True)
    py = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    docket_validator = value_validator(schema)
    items = samples(form, args.samples)

    disagree = []
    for data, names in items:
        a = not check_submission(form, schema, data, key)[1]
        votes = {"a": a, "b": py.is_valid(data), "b-iter": not any(py.iter_errors(data)),
                 "c": rs.is_valid(data), "c-iter": not any(True for _ in rs.iter_errors(data))}
        if len(set(votes.values())) > 1:
            disagree.append((names, votes))
    valid = [d for d, _ in items if rs.is_valid(d)]
    invalid = [d for d, _ in items if not rs.is_valid(d)]

    rows: list[tuple[str, Callable[[dict[str, Any]], object], list[dict[str, Any]] | None]] = [
        ("a  docket check_submission", lambda d: check_submission(form, schema, d, key), None),
        ("a' docket validator iter_errors", lambda d: list(docket_validator.iter_errors(d)), None),
        ("   a: strip_hidden(definition, d)", lambda d: strip_hidden(form, d), None),
        ("b  jsonschema reused iter_errors", lambda d: list(py.iter_errors(d)), None),
        ("b2 jsonschema reused is_valid", py.is_valid, None),
        ("c  jsonschema-rs is_valid", rs.is_valid, None),
        ("c2 jsonschema-rs iter_errors", lambda d: list(rs.iter_errors(d)), None),
        ("d  jsonschema.validate per call", validate_per_call(schema),
         [d for d, _ in items[: max(20, args.samples // 10)]]),
    ]
    print(f"form: {len(form['fields'])} fields, "
          f"{sum('visibleWhen' in f for f in form['fields'])} visibleWhen, "
          f"{sum(bool(f.get('requiredWhenVisible')) for f in form['fields'])} "
          f"requiredWhenVisible; compiled schema {len(str(schema))} chars")
    print(f"samples: {len(items)} ({len(valid)} valid, {len(invalid)} invalid), best of "
          f"{args.repeat}; jsonschema {version('jsonschema')}, "
          f"jsonschema-rs {version('jsonschema-rs')}")
    inf = float("inf")
    best = {name: [inf, inf] for name, _, subset in rows if subset is None}
    for _ in range(args.repeat):  # rounds interleave the methods, so drift hits all alike
        for name, check, subset in rows:
            if subset is None:
                times = [per_call_us(check, valid, 1), per_call_us(check, invalid, 1)]
                best[name] = [min(x) for x in zip(best[name], times, strict=True)]
    results = []  # name, us/all, us/valid, us/invalid, note
    for name, check, subset in rows:
        if subset is not None:  # too slow for every sample: one pass over a subset
            results.append((name, per_call_us(check, subset, 1), None, None,
                            f"  ({len(subset)} samples)"))
            continue
        us_valid, us_invalid = best[name]
        every = (us_valid * len(valid) + us_invalid * len(invalid)) / len(items)
        results.append((name, every, us_valid, us_invalid, ""))
    base = next(r[1] for r in results if r[0].startswith("c "))
    print(f"\n{'method':<34}{'us/all':>9}{'us/valid':>10}{'us/invalid':>11}{'x rs':>8}")
    for name, every, us_valid, us_invalid, note in results:
        split = f"{us_valid:>10.1f}{us_invalid:>11.1f}" if us_valid is not None else " " * 21
        print(f"{name:<34}{every:>9.1f}{split}{every / base:>8.1f}{note}")
    print(f"\nagreement on validity (a, b, b-iter, c, c-iter): "
          f"{len(items) - len(disagree)}/{len(items)} samples agree")
    for names, votes in disagree[:8]:
        print(f"  DISAGREE mutations={names} votes={votes}")

    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(lambda: [check_submission(form, schema, d, key) for d, _ in items])
        out = io.StringIO()
        mine = r"main/(builder|runtime|core)/|json/(__init__|encoder)|validators.py:349"
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(mine, 14)
        print("\ncProfile of (a), cumulative; Docket code, json and jsonschema iter_errors:")
        print("\n".join(out.getvalue().splitlines()[4:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
