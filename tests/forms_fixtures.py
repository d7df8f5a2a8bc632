"""A small form used across API and service tests (independent of the demo forms)."""

from __future__ import annotations

import copy
from typing import Any

REFUND_ONLY = {"properties": {"category": {"const": "refund"}}, "required": ["category"]}

_SIMPLE: dict[str, Any] = {
    "formatVersion": 1,
    "key": "simple",
    "title": {"en": "Simple request", "zh-CN": "简单请求"},
    "subjectField": "summary",
    "fields": [
        {"id": "f1", "key": "category", "type": "select", "required": True,
         "label": {"en": "Category", "zh-CN": "类别"},
         "options": [{"value": "refund", "label": {"en": "Refund", "zh-CN": "退款"}},
                     {"value": "question", "label": {"en": "Question", "zh-CN": "咨询"}}]},
        {"id": "f2", "key": "order_id", "type": "text", "label": {"en": "Order number"},
         "validate": {"pattern": "^OD[0-9]{8}$"}, "visibleWhen": REFUND_ONLY,
         "requiredWhenVisible": True},
        {"id": "f3", "key": "amount", "type": "number", "label": {"en": "Amount"},
         "validate": {"min": 0.01}, "visibleWhen": REFUND_ONLY, "requiredWhenVisible": True},
        {"id": "f4", "key": "summary", "type": "text", "label": {"en": "Summary"},
         "required": True},
        {"id": "f5", "key": "photo", "type": "file", "label": {"en": "Photo"},
         "validate": {"maxFiles": 2, "accept": ["image/*"]}},
    ],
    "layout": [{"type": "section", "id": "s1", "title": {"en": "Details"},
                "children": ["f1", "f2", "f3", "f4", "f5"]}],
}

#: The smallest valid PNG (1x1), for upload tests.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def simple_form(**changes: Any) -> dict[str, Any]:
    """A deep copy of the simple form with top-level keys replaced."""
    return {**copy.deepcopy(_SIMPLE), **changes}
