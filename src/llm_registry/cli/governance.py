"""Governance: ``policy ls|test``, ``approvals ls|show``, ``approve ID`` and ``reject ID``.

A change a policy holds for an approval exits with ``EXIT_PENDING`` (3, set in cli/main.py):
nothing changed yet, and ``approvals show ID`` follows the request.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llm_registry.cli.output import emit_items, emit_model, notice, print_table, short_time, table
from llm_registry.cli.session import JsonOption, current_state, open_registry

if TYPE_CHECKING:
    from llm_registry.governance.approvals import Approval

policy_app = typer.Typer(help="The policies in force, and a dry run of one.", no_args_is_help=True)
approvals_app = typer.Typer(help="Approval requests: changes a policy holds until approved.", no_args_is_help=True)

IdArgument = Annotated[str, typer.Argument(metavar="ID", help="The approval request's id.")]


class Operation(StrEnum):
    REGISTER = "register"
    UPDATE_LABELS = "update_labels"
    CHANGE_STATUS = "change_status"
    MOVE_ALIAS = "move_alias"
    DELETE = "delete"


class State(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    FAILED = "failed"


@policy_app.command("ls")
def list_policies(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """List the policies in force (each policy asset's `active` version) and their rules."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        policies = registry.policies()
    if state.json:
        emit_items(policies)
        return
    if not policies:
        notice("no policy is in force (a policy asset is in force through its `active` alias)")
        return
    rows = [
        [policy.ref, rule.name, rule.effect, ",".join(rule.on), _scope(rule.kinds, rule.namespaces), rule.when]
        for policy in policies for rule in policy.rules
    ]
    print_table(table("POLICY", "RULE", "EFFECT", "ON", "SCOPE", "WHEN"), rows)


def _scope(kinds: list[str], namespaces: list[str]) -> str:
    parts = [",".join(kinds) or "*", ",".join(namespaces) or "*"]
    return " in ".join(parts)


@policy_app.command("test")
def try_policy(
    ctx: typer.Context,
    policy: Annotated[str, typer.Argument(metavar="POLICY_REF", help="The policy version to try.")],
    subject: Annotated[
        str, typer.Argument(metavar="MANIFEST|REF", help="A document file (YAML or JSON) or a registered version.")
    ],
    operation: Annotated[
        Operation, typer.Option("--operation", "-o", help="The operation to try the policy for.")
    ] = Operation.REGISTER,
    target: Annotated[
        list[str] | None,
        typer.Option("--target", metavar="KEY=VALUE", help="The operation's target (alias=production, "
                     "status=yanked); repeatable."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Dry-run a policy: each rule's outcome for the operation; nothing changes."""
    from llm_registry.cli.versions import read_manifest_argument

    state = current_state(ctx, json_output)
    tried_subject: str | dict[str, Any] = subject
    if Path(subject).is_file() or subject == "-":
        tried_subject = read_manifest_argument(subject)
    with open_registry(state) as registry:
        tried = registry.test_policy(policy, tried_subject, operation=operation.value, target=_pairs(target or []))
    if state.json:
        emit_model(tried)
        return
    rows = [
        [r.rule, r.effect, "yes" if r.applies else "no", _verdict(r.applies, r.matched, r.error), r.message]
        for r in tried.rules
    ]
    print_table(table("RULE", "EFFECT", "APPLIES", "MATCHED", "MESSAGE"), rows)
    notice(f"{tried.operation} of {tried.subject} under {tried.policy}: {tried.outcome.replace('_', ' ')}")


def _verdict(applies: bool, matched: bool, error: str | None) -> str:
    if not applies:
        return "-"
    if error:
        return f"error: {error}"
    return "yes" if matched else "no"


def _pairs(items: list[str]) -> dict[str, str]:
    from llm_registry.errors import ValidationError

    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValidationError(f"--target takes KEY=VALUE, got {item!r}", code="invalid_parameter",
                                  field="target")
        pairs[key] = value
    return pairs


@approvals_app.command("ls")
def list_approvals(
    ctx: typer.Context,
    approval_state: Annotated[State | None, typer.Option("--state", help="Only requests in this state.")] = None,
    json_output: JsonOption = False,
) -> None:
    """List approval requests, oldest first (without policies:read, only your own)."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        approvals = registry.approvals(state=approval_state.value if approval_state else None)
    if state.json:
        emit_items(approvals)
        return
    rows = [[a.id, a.state, a.operation, a.subject, a.rule, a.requested_by, short_time(a.requested_at)]
            for a in approvals]
    print_table(table("ID", "STATE", "OPERATION", "SUBJECT", "RULE", "REQUESTED BY", "AT"), rows)


@approvals_app.command("show")
def show_approval(ctx: typer.Context, approval_id: IdArgument, json_output: JsonOption = False) -> None:
    """Show one approval request: the change it holds, the rule, the decision."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        approval = registry.approval(approval_id)
    if state.json:
        emit_model(approval)
    else:
        _show(approval)


def _show(approval: Approval) -> None:
    lines = [
        f"id:           {approval.id}",
        f"state:        {approval.state}",
        f"operation:    {approval.operation} {approval.subject}",
        f"rule:         {approval.rule} of {approval.policy}",
        f"message:      {approval.message}",
        f"requested:    {short_time(approval.requested_at)} by {approval.requested_by}",
    ]
    if approval.decided_by:
        lines.append(f"decided:      {short_time(approval.decided_at)} by {approval.decided_by}")
    if approval.comment:
        lines.append(f"comment:      {approval.comment}")
    if approval.failure:
        lines.append(f"failure:      {approval.failure}")
    typer.echo("\n".join(lines))


def approve(
    ctx: typer.Context,
    approval_id: IdArgument,
    comment: Annotated[str | None, typer.Option("--comment", "-m", metavar="TEXT", help="Why.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Approve a pending request: its change is carried out now (needs policies:manage)."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        approval = registry.approve(approval_id, comment=comment)
    if state.json:
        emit_model(approval)
    else:
        notice(f"approved {approval.id}: {approval.operation} {approval.subject} done")


def reject(
    ctx: typer.Context,
    approval_id: IdArgument,
    comment: Annotated[str, typer.Option("--comment", "-m", metavar="TEXT", help="Why (required).")],
    json_output: JsonOption = False,
) -> None:
    """Reject a pending request, saying why: its change never happens."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        approval = registry.reject(approval_id, comment=comment)
    if state.json:
        emit_model(approval)
    else:
        notice(f"rejected {approval.id}: {approval.operation} {approval.subject}")


def register(app: typer.Typer) -> None:
    """Add ``policy``, ``approvals``, ``approve`` and ``reject`` to ``app``."""
    app.add_typer(policy_app, name="policy")
    app.add_typer(approvals_app, name="approvals")
    app.command("approve")(approve)
    app.command("reject")(reject)
