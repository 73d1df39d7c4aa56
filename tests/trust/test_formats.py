"""The formats, without a registry: DSSE's pre-authentication encoding, keys of each algorithm,
envelopes and bundles read with the field at fault named, and any JSON refused cleanly."""

from __future__ import annotations

import base64
import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llm_registry.errors import ValidationError
from llm_registry.integrity.trust import dsse
from llm_registry.integrity.trust.keys import load_private_key, load_public_key
from llm_registry.integrity.trust.provenance import read_provenance
from llm_registry.integrity.trust.statements import parse_statement
from tests.trust.conftest import KeyPair


def test_pae_is_dsse_v1() -> None:
    # The example of the DSSE protocol document.
    assert dsse.pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world")


@pytest.mark.parametrize(("name", "algorithm"), [("ed25519", "ed25519"), ("p256", "ecdsa-p256"),
                                                 ("p384", "ecdsa-p384")])
def test_each_algorithm_signs_and_verifies(keys: dict[str, KeyPair], name: str, algorithm: str) -> None:
    private = load_private_key(keys[name].private.read_bytes())
    public = load_public_key(keys[name].public_pem)
    assert private.public == public
    assert public.algorithm == algorithm
    envelope = dsse.sign(b'{"x": 1}', private)
    assert envelope.verifies_with(public)
    assert not dsse.Envelope(b'{"x": 2}', envelope.payload_type, envelope.signature, "").verifies_with(public)
    assert dsse.read_envelope(envelope.to_json()) == envelope
    bundle = dsse.read_envelope(envelope.to_bundle(public))
    assert (bundle.hint, bundle.container, bundle.payload) == (public.hint, "sigstore-bundle", b'{"x": 1}')


def good() -> dict[str, Any]:
    return {"payload": base64.b64encode(b"{}").decode(), "payloadType": dsse.IN_TOTO_PAYLOAD_TYPE,
            "signatures": [{"keyid": "", "sig": base64.b64encode(b"sig").decode()}]}


@pytest.mark.parametrize(("change", "field"), [
    ({"payload": None}, "payload"),
    ({"payload": "a"}, "payload"),
    ({"payloadType": "text/plain"}, "payloadType"),
    ({"signatures": []}, "signatures"),
    ({"signatures": [{"sig": "%%"}]}, "signatures[0].sig"),
    ({"signatures": [{"sig": "c2ln", "keyid": 7}]}, "signatures[0].keyid"),
    ({"signatures": [{"sig": "c2ln", "cert": "x"}]}, "signatures[0].cert"),
    ({"extra": 1}, "extra"),
])
def test_a_malformed_envelope_names_its_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        dsse.read_envelope({**good(), **change})
    assert (info.value.code, info.value.field) == ("invalid_envelope", field)


def test_a_bundle_is_read_by_its_media_type() -> None:
    with pytest.raises(ValidationError) as info:
        dsse.read_envelope({"mediaType": "application/vnd.dev.sigstore.bundle.v0.9+json", "dsseEnvelope": good()})
    assert info.value.field == "mediaType"
    with pytest.raises(ValidationError) as inner:
        dsse.read_envelope({"mediaType": dsse.BUNDLE_MEDIA_TYPES[0], "dsseEnvelope": {**good(), "payload": 3}})
    assert inner.value.field == "dsseEnvelope.payload"


def test_url_safe_base64_is_read_too() -> None:
    payload = b"\xfb\xff" * 3
    envelope = dsse.read_envelope({**good(), "payload": base64.urlsafe_b64encode(payload).decode().rstrip("=")})
    assert envelope.payload == payload


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                               max_size=4), max_leaves=12)
KEYS = st.sampled_from(["payload", "payloadType", "signatures", "dsseEnvelope", "mediaType", "_type", "subject",
                        "predicateType", "predicate", "verificationMaterial"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, JSON, max_size=6))
def test_any_json_is_read_or_refused_with_a_validation_error(data: dict[str, Any]) -> None:
    for read in (dsse.read_envelope, read_provenance, lambda d: parse_statement(d, field="")):
        with contextlib.suppress(ValidationError):
            read(data)
