"""Messages a person can act on, in their language, for the problem codes of core.errors.

Runtime and builder describe a problem with a code and parameters; here the code becomes a
sentence in the request's language. Codes without an entry keep the English message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import current_language
from builder.forms.texts import localized
from core.errors import DocketError, InvalidSubmission, Problem

MESSAGES = {
    "required": _l("This field is required."),
    "type": _l("This value has the wrong type."),
    "minLength": _l("Enter at least %(limit)s characters."),
    "maxLength": _l("Enter at most %(limit)s characters."),
    "pattern": _l("This value does not have the expected format."),
    "format.email": _l("Enter a valid email address."),
    "format.uri": _l("Enter a full web address starting with http:// or https://."),
    "format.date": _l("Enter a date as YYYY-MM-DD."),
    "format.datetime": _l("Enter a date and time."),
    "format.phone": _l("Enter a phone number (digits, spaces, +, - and brackets)."),
    "enum": _l("Choose one of the offered options."),
    "minimum": _l("Enter a number of at least %(limit)s."),
    "maximum": _l("Enter a number of at most %(limit)s."),
    "exclusiveMinimum": _l("Enter a number greater than %(limit)s."),
    "exclusiveMaximum": _l("Enter a number less than %(limit)s."),
    "integer": _l("Enter a whole number."),
    "number": _l("Enter a number."),
    "minItems": _l("Choose at least %(limit)s."),
    "maxItems": _l("Choose at most %(limit)s."),
    "mustAccept": _l("You must tick this box to continue."),
    "unknownField": _l("This form has no such field."),
    "file.missing": _l("This file was not uploaded, or not by you."),
    "file.tooLarge": _l("This file is larger than %(limit)s MB."),
    "file.type": _l("Files of this type are not accepted here."),
    "user.unknown": _l("No such user."),
    "invalid": _l("This value is not valid."),
    "titleMissing": _l("Give this step a title."),
    "messageMissing": _l("Write the message to send."),
}


def problem_message(problem: Problem) -> str:
    """The problem's message in the current language (its own text when it carries one)."""
    if custom := problem.params.get("customMessage"):
        return localized(custom, current_language())
    template = MESSAGES.get(problem.code)
    if template is None:
        return problem.message
    if "%(" not in str(template):
        return str(template)
    try:
        return str(template) % problem.params
    except (KeyError, TypeError, ValueError):
        # A problem without the numbers its template needs (a definition's structure check
        # says "minItems" with its own text): its own message, never a 500.
        return problem.message


def error_message(exc: DocketError, wording: Mapping[str, Any] | None = None) -> str:
    """What went wrong, as sentences a person can act on: every problem of refused input
    (in a page's own ``wording`` for the codes it knows), else the error's detail or title."""
    if isinstance(exc, InvalidSubmission) and exc.problems:
        wording = wording or {}
        return " ".join(str(wording[p.code]) % p.params if p.code in wording
                        else problem_message(p) for p in exc.problems)
    return exc.detail or _(exc.title)
