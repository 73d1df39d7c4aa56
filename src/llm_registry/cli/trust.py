"""Trust: ``sign``, ``verify REF`` (beside ``verify --lock``), ``signers add|ls|revoke``,
``signatures ls|add`` and ``provenance attach|ls``."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import orjson
import typer

from llm_registry.cli.output import emit_items, emit_model, notice, print_table, short_digest, short_time, table
from llm_registry.cli.server import PasswordStdin, read_password
from llm_registry.cli.session import JsonOption, current_state, open_registry
from llm_registry.integrity.trust.models import CheckStatus, VerificationReport

EXIT_FAILED = 1

RefArgument = Annotated[str, typer.Argument(metavar="REF", help="kind:namespace/name[@selector]")]
FileArgument = Annotated[Path, typer.Argument(metavar="FILE", help="A JSON file.")]

signers_app = typer.Typer(help="Trusted signers: the keys whose signatures count.", no_args_is_help=True)
signatures_app = typer.Typer(help="Signatures of a version.", no_args_is_help=True)
provenance_app = typer.Typer(help="Provenance attached to a version.", no_args_is_help=True)


class SignatureFormat(StrEnum):
    REGISTRY = "registry"
    MODEL_SIGNING = "model-signing"


def sign(
    ctx: typer.Context,
    ref: RefArgument,
    key: Annotated[Path, typer.Option("--key", metavar="KEY.pem", help="The private key (PEM), kept here.")],
    signature_format: Annotated[
        SignatureFormat, typer.Option("--format", help="registry (files and version digest as subjects) or "
                                      "model-signing (OpenSSF model signing v1.0, over the files).")
    ] = SignatureFormat.REGISTRY,
    bundle: Annotated[
        Path | None, typer.Option("--bundle", metavar="FILE", help="Also write the signature as a Sigstore bundle "
                                  "(what `model_signing verify key --signature FILE` reads).")
    ] = None,
    password_stdin: PasswordStdin = False,
    json_output: JsonOption = False,
) -> None:
    """Sign a version with a local key and attach the signature (the key must be a trusted signer's)."""
    from llm_registry.integrity.trust.dsse import read_envelope
    from llm_registry.integrity.trust.signing import signing_key

    state = current_state(ctx, json_output)
    loaded = signing_key(key, password=read_password(True) if password_stdin else None)
    with open_registry(state) as registry:
        signature = registry.sign(ref, loaded, format=signature_format.value)
    if bundle is not None:
        written = read_envelope(signature.envelope).to_bundle(loaded.public)
        bundle.write_bytes(orjson.dumps(written, option=orjson.OPT_INDENT_2))
    if state.json:
        emit_model(signature)
    else:
        notice(f"signed {signature.ref} as {signature.signer} ({signature.fingerprint}, {signature.format})"
               + (f"; bundle written to {bundle}" if bundle else ""))


def verify_version(ctx: typer.Context, ref: str, files: Path | None, json_output: bool) -> None:
    """``verify REF [--files DIR]``: one line per check; exits 1 when one failed."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        report = registry.verify(ref, files=files)
    if state.json:
        emit_model(report)
    else:
        show_report(report)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


def show_report(report: VerificationReport) -> None:
    for check in report.checks:
        notice(f"{check.status.value:<7} {check.check} {check.subject}: {check.message}")
    failed = sum(1 for c in report.checks if c.status is CheckStatus.FAILED)
    notice(f"{report.ref} verified" if report.ok else f"{report.ref}: {failed} check(s) failed")


def _read_pem(path: Path) -> bytes:
    if str(path) == "-":
        return sys.stdin.buffer.read()
    try:
        return path.expanduser().read_bytes()
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc.strerror}", param_hint="--public-key") from None


@signers_app.command("add")
def add_signer(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The signer's name.")],
    public_key: Annotated[
        Path, typer.Option("--public-key", metavar="PEM", help="The public key, a PEM file (- reads stdin).")
    ],
    json_output: JsonOption = False,
) -> None:
    """Trust a public key (Ed25519, or ECDSA P-256/384/521) under a name."""
    state = current_state(ctx, json_output)
    pem = _read_pem(public_key)
    with open_registry(state) as registry:
        signer = registry.add_signer(name, pem)
    if state.json:
        emit_model(signer)
    else:
        notice(f"trusting {signer.name}: {signer.algorithm} {signer.fingerprint}")


@signers_app.command("ls")
def list_signers(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """List the signers, revoked ones too."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        signers = registry.signers()
    if state.json:
        emit_items(signers)
        return
    rows = [[s.name, s.algorithm, s.fingerprint, "revoked " + short_time(s.revoked_at) if s.revoked_at else "trusted",
             short_time(s.created_at), s.created_by] for s in signers]
    print_table(table("NAME", "ALGORITHM", "FINGERPRINT", "STATE", "ADDED", "BY"), rows)


@signers_app.command("revoke")
def revoke_signer(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="The signer's name.")], json_output: JsonOption = False
) -> None:
    """Revoke a signer: its signatures stop counting at once (they are kept)."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        signer = registry.revoke_signer(name)
    if state.json:
        emit_model(signer)
    else:
        notice(f"revoked {signer.name} at {short_time(signer.revoked_at)}")


@signatures_app.command("ls")
def list_signatures(ctx: typer.Context, ref: RefArgument, json_output: JsonOption = False) -> None:
    """List the signatures of a version."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        signatures = registry.signatures(ref)
    if state.json:
        emit_items(signatures)
        return
    rows = [[s.id, s.signer, short_digest(s.fingerprint), s.format,
             "signer revoked" if s.signer_revoked_at else "", short_time(s.created_at), s.created_by]
            for s in signatures]
    print_table(table("ID", "SIGNER", "KEY", "FORMAT", "NOTE", "ADDED", "BY"), rows)


@signatures_app.command("add")
def add_signature(ctx: typer.Context, ref: RefArgument, file: FileArgument, json_output: JsonOption = False) -> None:
    """Attach a signature made elsewhere: a DSSE envelope or a Sigstore bundle (such as model_signing writes)."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        signature = registry.add_signature(ref, file)
    if state.json:
        emit_model(signature)
    else:
        notice(f"attached a {signature.format} signature by {signature.signer} to {signature.ref}")


@provenance_app.command("attach")
def attach_provenance(
    ctx: typer.Context, ref: RefArgument, file: FileArgument, json_output: JsonOption = False
) -> None:
    """Attach an in-toto/SLSA provenance statement (or a DSSE envelope around one) to a version."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        record = registry.attach_provenance(ref, file)
    if state.json:
        emit_model(record)
        return
    notice(f"attached provenance {record.id} ({record.predicate_type}) to {record.ref}")
    for material in record.check.materials:
        if material.status != "ok":
            notice(f"warning: {material.ref}: {material.status}: {material.message}")


@provenance_app.command("ls")
def list_provenance(ctx: typer.Context, ref: RefArgument, json_output: JsonOption = False) -> None:
    """List the provenance attached to a version, each with its check."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        records = registry.provenance(ref)
    if state.json:
        emit_items(records)
        return
    rows = [[r.id, r.predicate_type, r.builder or "", r.signer or "", "ok" if r.check.ok else "problems",
             short_time(r.created_at)] for r in records]
    print_table(table("ID", "PREDICATE", "BUILDER", "SIGNER", "CHECK", "ADDED"), rows)


def register(app: typer.Typer) -> None:
    """Add ``sign``, ``signers``, ``signatures`` and ``provenance`` to ``app`` (``verify`` is discovery's)."""
    app.command("sign")(sign)
    app.add_typer(signers_app, name="signers")
    app.add_typer(signatures_app, name="signatures")
    app.add_typer(provenance_app, name="provenance")
