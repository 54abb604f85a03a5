"""A compiled mapping described in words, for ``gateway mappings explain`` and the docs."""

from __future__ import annotations

from gateway.mapping.plan import NO_DEFAULT, Plan
from gateway.mapping.steps import Step
from gateway.mapping.transforms import TransformOp
from gateway.mapping.validators import ValidatorOp


def _steps(steps: list[Step]) -> list[str]:
    return [s.describe() for s in steps]


def describe_fields(plan: Plan) -> list[tuple[str, str, str, str, str, str]]:
    """One row per field: name, source, type, steps in order, required/default, PII class."""
    rows = []
    for fp in plan.fields:
        fs = fp.spec
        source = " + ".join(fs.sources) if fs.sources else "—"
        kind = fs.type_name
        if fs.patterns:
            kind += " " + " | ".join(p.text for p in fs.patterns)
        if fs.places is not None:
            kind += f" ({fs.places} places)"
        steps = _steps(fs.transforms)
        if fs.code_map is not None:
            steps.append(f"code_map({len(fs.code_map)} entries)")
        if fs.code_table:
            steps.append(f"code_table({fs.code_table})")
        steps += _steps(fs.validators)
        if fp.derive is not None:
            source_name = plan.fields[fp.derive.source_index].name
            steps.append(
                f"derive {fp.derive.part} from {source_name}, on mismatch {fp.derive.on_mismatch}"
            )
        need = "required" if fs.required else "optional"
        if fp.default is not NO_DEFAULT and fs.default is not None:
            need += f", default {fs.default.text!r}"
        name = f"{fs.name}\n{fs.description}" if fs.description else fs.name
        rows.append((name, source, kind, " → ".join(steps) or "—", need, fp.pii.value))
    return rows


def describe_rules(plan: Plan) -> list[tuple[str, str, str]]:
    """One row per record rule: expression, level, the field its issue is reported on."""
    return [
        (
            rp.rule.text,
            rp.spec.level,
            rp.spec.name or (rp.rule.fields[0] if rp.rule.fields else "(record)"),
        )
        for rp in plan.rules
    ]


def describe_warnings(plan: Plan) -> list[tuple[str, str, str, str, str]]:
    """Every warning the mapping's steps can give: field, step, code, level, meaning."""
    rows = []
    for fp in plan.fields:
        for step in fp.spec.transforms:
            op = step.op
            if isinstance(op, TransformOp) and op.warning is not None:
                rows.append((fp.name, op.name, op.warning[0], "warning", op.warning[1]))
        for step in fp.spec.validators:
            op = step.op
            if isinstance(op, ValidatorOp):
                rows += [(fp.name, op.name, code, level, text) for code, text, level in op.warns]
    return rows
