"""One escaping function per target language a catalogue value is written into (a leaf: no imports).

Every stage may use it, like ``errors``: PromQL is written by the catalogue's alert kinds and the
monitoring family, Kubernetes fields by the k8s family.

Each keeps a value's meaning: after the consumer un-escapes it (PromQL's string lexer, the
kubelet's ``$(VAR)`` expansion), the value is exactly the catalogue's. ``tests/test_escape.py``
round-trips hostile strings through each, against the consumer's own rules.
(YAML goes through the ``tojson`` filter and the one YAML writer; compose doubles ``$`` in
``families/compose``.)
"""

from __future__ import annotations

import functools

# PromQL double-quoted strings use Go's escapes (prometheus/promql/parser/lex.go, lexString and
# lexEscape: \a \b \f \n \r \t \v \\ \" and \xHH, \uHHHH): a quote or backslash can never end the string.
_PROMQL = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\v": "\\v"}


@functools.lru_cache(maxsize=4096)  # label values recur in every rule and test of a service
def promql_string(value: str) -> str:
    """``value`` as a PromQL double-quoted string literal, quotes included."""
    out = []
    for char in value:
        if char in _PROMQL:
            out.append(_PROMQL[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def promql_matchers(labels: dict[str, str], op: str = "=") -> str:
    """``{a="x",b="y"}`` (sorted by name; empty braces for no labels): every value escaped."""
    return "{" + ",".join(f"{name}{op}{promql_string(value)}" for name, value in sorted(labels.items())) + "}"


def kubernetes_literal(value: str) -> str:
    """A string for a container's ``command``, ``args``, ``env[].value`` or an exec probe, kept literal.

    The kubelet expands ``$(NAME)`` there and reads ``$$`` as one ``$``
    (kubernetes third_party/forked/golang/expansion/expand.go, ``Expand``/``tryReadVariableName``).
    Every ``$`` is doubled: ``$(`` becomes ``$$(``, and a ``$`` before ``$`` or a non-ASCII byte
    (which ``Expand`` would consume and mangle) stays itself too.
    """
    return value.replace("$", "$$")
