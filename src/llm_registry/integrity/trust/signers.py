"""Trusted signers: public keys registered by name (``signers:manage``), listed by anyone who
reads, revoked but never deleted. A revoked signer's signatures stop counting at once."""

from __future__ import annotations

import re

from llm_registry.assets.context import AssetContext
from llm_registry.domain import patterns
from llm_registry.domain.access import Actor
from llm_registry.domain.ids import new_id
from llm_registry.errors import ConflictError, NotFoundError, ValidationError
from llm_registry.events.models import EventType
from llm_registry.integrity.trust.interfaces import SignerRow, TrustReader, TrustStore
from llm_registry.integrity.trust.models import Signer

MANAGE = "signers:manage"
_NAME = re.compile(patterns.SIGNER)


def signer_of(row: SignerRow) -> Signer:
    return Signer(
        name=row.name, algorithm=row.algorithm, fingerprint=row.fingerprint, public_key=row.public_key,
        created_at=row.created_at, created_by=row.created_by, revoked_at=row.revoked_at, revoked_by=row.revoked_by,
    )


def validate_signer_name(name: object, field: str = "name") -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValidationError(
            f"invalid signer name {name!r}: lowercase letters, digits and . _ -, at most 64, starting with a "
            "letter or digit", code="invalid_name", field=field,
        )
    return name


def get_signer_row(tx: TrustReader, name: str) -> SignerRow:
    """The signer's row; raises NotFoundError (``signer_not_found``)."""
    row = tx.find_signer(validate_signer_name(name))
    if row is None:
        raise NotFoundError(f"no signer {name!r}", code="signer_not_found", field="name")
    return row


class SignerService:
    def __init__(self, store: TrustStore, context: AssetContext) -> None:
        self.store = store
        self.context = context

    def _require(self, actor: Actor) -> None:
        if self.context.authorizer is not None:
            self.context.authorizer.require(actor, MANAGE)

    def add_signer(self, name: str, public_key: str | bytes, *, actor: Actor) -> tuple[Signer, bool]:
        """Trust ``public_key`` (PEM; Ed25519 or ECDSA P-256/384/521) as ``name``: (the signer,
        whether it was added now). Adding the same name and key again changes nothing; raises
        ConflictError (``signer_exists``) when the name or the key is another signer's (a revoked
        signer's too), ValidationError (``invalid_key``, ``invalid_name``), ForbiddenError."""
        self._require(actor)
        validate_signer_name(name)
        from llm_registry.integrity.trust.keys import load_public_key

        key = load_public_key(public_key)
        now = self.context.now()
        with self.store.write() as tx:
            named = tx.find_signer(name)
            if named is not None:
                if named.fingerprint == key.fingerprint and named.revoked_at is None:
                    return signer_of(named), False
                state = "a revoked signer" if named.revoked_at else "another key"
                raise ConflictError(f"the name {name!r} is taken by {state}", code="signer_exists", field="name")
            holder = tx.find_signer_by_fingerprint(key.fingerprint)
            if holder is not None:
                raise ConflictError(
                    f"this key ({key.fingerprint}) is signer {holder.name!r} already", code="signer_exists",
                    field="public_key",
                )
            row = SignerRow(new_id(), name, key.fingerprint, key.algorithm, key.pem, now, actor.name)
            tx.insert_signer(row)
            tx.append_event(
                type=EventType.SIGNER_ADDED, subject=f"signer:{name}", asset=None, actor=actor.name, at=now,
                payload={"after": {"name": name, "algorithm": key.algorithm, "fingerprint": key.fingerprint}},
            )
        return signer_of(row), True

    def get_signer(self, name: str) -> Signer:
        """One signer; raises NotFoundError (``signer_not_found``)."""
        with self.store.read() as tx:
            return signer_of(get_signer_row(tx, name))

    def list_signers(self) -> list[Signer]:
        """Every signer, revoked ones too, by name."""
        with self.store.read() as tx:
            return [signer_of(row) for row in tx.list_signers()]

    def revoke_signer(self, name: str, *, actor: Actor) -> Signer:
        """Stop trusting a signer: its signatures stop counting (each one's version gets a
        ``signature.revoked`` event). Revoking again changes nothing; raises NotFoundError."""
        self._require(actor)
        now = self.context.now()
        with self.store.write() as tx:
            row = get_signer_row(tx, name)
            if row.revoked_at is not None:
                return signer_of(row)
            tx.revoke_signer(row.id, now, actor.name)
            tx.append_event(
                type=EventType.SIGNER_REVOKED, subject=f"signer:{name}", asset=None, actor=actor.name, at=now,
                payload={"before": {"name": name, "fingerprint": row.fingerprint}, "after": None},
            )
            for signed in tx.list_signed_versions(row.id):
                asset = f"{signed.kind}:{signed.namespace}/{signed.name}"
                tx.append_event(
                    type=EventType.SIGNATURE_REVOKED, subject=f"{asset}@{signed.version}", asset=asset,
                    actor=actor.name, at=now,
                    payload={"signature": signed.signature_id, "signer": name, "fingerprint": row.fingerprint},
                )
            revoked = tx.find_signer(name)
        assert revoked is not None
        return signer_of(revoked)
