"""Small builders shared by the AWS modules: resources, variables, outputs, IAM documents."""

from __future__ import annotations

from nexusgen.families.terraform.hcl import BLANK, Attr, Block, Call, Comment, Raw


def body(**attrs: object) -> list:
    return [Attr(name, value) for name, value in attrs.items()]


def resource(kind: str, name: str, /, *items: object, skip: dict[str, str] | None = None, **attrs: object) -> Block:
    """A resource; ``skip`` maps a checkov check id to the reason it does not apply here."""
    notes = [Comment(f"checkov:skip={check}:{reason}") for check, reason in sorted((skip or {}).items())]
    return Block("resource", (kind, name), [*notes, *body(**attrs), *items])


def data(kind: str, name: str, /, *items: object, **attrs: object) -> Block:
    return Block("data", (kind, name), [*body(**attrs), *items])


def block(kind: str, /, *items: object, **attrs: object) -> Block:
    return Block(kind, (), [*body(**attrs), *items])


def variable(name: str, type_: str, description: str, default: object = ..., sensitive: bool = False) -> Block:
    items = body(description=description, type=Raw(type_))
    if default is not ...:
        items.append(Attr("default", default))
    return Block("variable", (name,), items)


def output(name: str, value: str, description: str) -> Block:
    return Block("output", (name,), body(description=description, value=Raw(value)))


def statement(actions: list[str], resources: list | Raw, sid: str | None = None, *conditions: Block, principals: Block | None = None, effect: str = "Allow") -> Block:
    items: list = []
    if sid:
        items.append(Attr("sid", sid))
    items.append(Attr("effect", effect))
    items.append(Attr("actions", sorted(actions)))
    if resources is not None:
        items.append(Attr("resources", resources))
    if principals is not None:
        items.append(principals)
    return Block("statement", (), [*items, *conditions])


def condition(test: str, variable_: str | Raw, values: list) -> Block:
    return block("condition", test=test, variable=variable_, values=values)


def principals(kind: str, identifiers: list) -> Block:
    return block("principals", type=kind, identifiers=identifiers)


def policy_document(name: str, /, *statements: Block) -> Block:
    return data("aws_iam_policy_document", name, *statements)


def assume_role(name: str, service: str) -> Block:
    """A trust policy letting one AWS service assume a role."""
    return policy_document(name, statement(["sts:AssumeRole"], None, None, principals=principals("Service", [service])))


def file(*blocks: Block) -> list:
    return list(blocks)


__all__ = ["BLANK", "Raw", "Attr", "Block", "Call", "Comment"]
