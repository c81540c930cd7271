"""The regular expressions that names, ids and addresses are checked with, each with the
words a refusal says instead: a person reading "should match pattern '^\\+[1-9][0-9 ().-]
{6,24}$'" has to decode it, one reading "should be an E.164 phone number such as
+14155550123" does not.

Every pattern a model, a route or a connector's input spec checks is defined here, so none
is left without words (tests/models/test_patterns.py walks them all)."""

from pydantic_core import ErrorDetails

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$"
EVENT_TYPE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$"
FIELD_PATH_PATTERN = r"^[A-Za-z0-9_\-]{1,64}(\.[A-Za-z0-9_\-]{1,64}){0,7}$"
VARIABLE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
CLOCK_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$"
# ISO 8601 durations (PT1H, P1DT12H, P2W), the only text a duration may be: ASCII digits,
# at least one part, and a T only before a time part (pydantic alone also reads "1:00:00").
ISO_DURATION_PATTERN = (
    r"^P(?!$)([0-9]+Y)?([0-9]+M)?([0-9]+W)?([0-9]+D)?"
    r"(T(?=[0-9])([0-9]+H)?([0-9]+M)?([0-9]+(\.[0-9]+)?S)?)?$"
)
# E.164 as people write it: "+" and the country code, then digits with optional separators.
PHONE_PATTERN = r"^\+[1-9][0-9 ().-]{6,24}$"
URL_PATTERN = r"^https?://[^\s/?#]+[^\s]*$"
# A port out of TCP's range (0, or past 65535, leading zeros allowed) ending the authority:
# httpx takes ``http://host:99999/`` and only the connection fails, at every attempt.
_BAD_PORT = (
    r":(0+|0*([1-9][0-9]{5,}|6553[6-9]|655[4-9][0-9]|65[6-9][0-9]{2}|6[6-9][0-9]{3}"
    r"|[7-9][0-9]{4}))([/?#]|$)"
)
# A URL still to be rendered: only its scheme and a port written out are known at save time.
URL_SCHEME_PATTERN = "^[hH][tT][tT][pP][sS]?://(?![^/?#]*" + _BAD_PORT + ")"
HTTPS_PATTERN = "^https://"
# Workflow tags, lowercase so that a key limited to "billing" cannot miss one tagged "Billing".
TAG_PATTERN = r"^[a-z0-9][a-z0-9_.:\-]{0,39}$"
# Secret names, written as environment variables are.
UPPER_NAME_PATTERN = r"^[A-Z][A-Z0-9_]{0,99}$"
# Names and ids in providers' APIs.
CLASS_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
ALPHANUMERIC_ID_PATTERN = r"^[A-Za-z0-9]{1,64}$"
DIGITS_ID_PATTERN = r"^[0-9]{1,32}$"
API_VERSION_PATTERN = r"^v[0-9]{1,3}\.[0-9]{1,3}$"
PROJECT_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"

WORDS = {
    ID_PATTERN: "1 to 128 letters, digits, '_', '.' or '-', starting with a letter or digit",
    EVENT_TYPE_PATTERN: "1 to 128 letters, digits, '_', '.', ':' or '-', starting with a "
    "letter or digit",
    FIELD_PATH_PATTERN: "a dotted path of 1 to 8 names of letters, digits, '_' or '-', such "
    "as user.email",
    VARIABLE_PATTERN: "a name of 1 to 128 letters, digits or '_', not starting with a digit",
    CLOCK_PATTERN: "a time of day as HH:MM or HH:MM:SS, such as 21:00",
    ISO_DURATION_PATTERN: "an ISO 8601 duration such as PT1H or P1DT12H",
    PHONE_PATTERN: "an E.164 phone number such as +14155550123",
    URL_PATTERN: "an http:// or https:// URL with a host, such as https://api.example.com",
    URL_SCHEME_PATTERN: "an http:// or https:// URL with a port from 1 to 65535, or none "
    "for the scheme's default",
    HTTPS_PATTERN: "an https:// URL",
    TAG_PATTERN: "1 to 40 lowercase letters, digits, '_', '.', ':' or '-', starting with a "
    "letter or digit",
    UPPER_NAME_PATTERN: "1 to 100 capital letters, digits and underscores, starting with a letter",
    CLASS_NAME_PATTERN: "a name of 1 to 64 letters, digits or '_', not starting with a digit",
    ALPHANUMERIC_ID_PATTERN: "1 to 64 letters or digits",
    DIGITS_ID_PATTERN: "1 to 32 digits",
    API_VERSION_PATTERN: "a version such as v21.0",
    PROJECT_ID_PATTERN: "1 to 63 lowercase letters, digits or '-', starting with a letter or digit",
}


# Pydantic's refusals of a value that is not an object: their words name a Python type
# ("a valid dictionary") or a model's class ("... or instance of EventIn"), which the
# caller never saw, and not what was sent instead ("user": "u1" is text).
NOT_AN_OBJECT = frozenset({"model_type", "model_attributes_type", "dict_type"})
JSON_KINDS = {list: "a list", str: "text", bytes: "text", bool: "true or false", type(None): "null"}


def message(error: ErrorDetails) -> str:
    """Pydantic's message for ``error``, with a pattern it names said in words, a value
    that is not an object said in JSON's words, and a validator's own words without the
    "Value error, " pydantic puts before them."""
    if error["type"] in NOT_AN_OBJECT:
        if "input" not in error:  # left out by the caller: the kind is not known
            return "should be a JSON object"
        kind = JSON_KINDS.get(type(error["input"]), "a number")
        return f"should be a JSON object, not {kind}"
    if error["type"] == "string_pattern_mismatch":
        words = WORDS.get(str(error.get("ctx", {}).get("pattern")))
        if words is not None:
            return f"should be {words}"
    if error["type"] == "value_error":
        return error["msg"].removeprefix("Value error, ")
    return error["msg"]
