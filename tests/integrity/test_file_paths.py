"""The paths of ``content.files``, checked at registration: relative POSIX paths inside the
version's folder, each refusal ``invalid_manifest`` naming ``content.files[i].path``; nothing is
registered."""

from __future__ import annotations

from typing import Any

import pytest

from llm_registry.embedded import EmbeddedRegistry
from llm_registry.errors import ValidationError

DIGEST = "sha256:" + "ab" * 32


def document(*paths: str, **entry: Any) -> dict[str, Any]:
    return {"kind": "dataset", "name": "acme/corpus", "version": "1.0.0",
            "content": {"files": [{"path": p, "digest": DIGEST, "size": 3, **entry} for p in paths]}}


@pytest.mark.parametrize(("paths", "bad"), [
    (["../escape.bin"], 0),
    (["ok.txt", "a/../../escape"], 1),
    (["/etc/passwd"], 0),
    (["a//b"], 0),
    (["a/b/"], 0),
    (["a\\b"], 0),
    (["./a"], 0),
    (["a/./b"], 0),
    (["..", "x"], 0),
    (["nul\x00byte"], 0),
    (["line\nbreak"], 0),
    (["a.txt", "b.txt", "a.txt"], 2),
    (["README.md", "readme.md"], 1),
    (["caf\u00e9.txt", "cafe\u0301.txt"], 1),
    (["weights", "weights/part-1"], 1),
    (["weights/part-1", "weights"], 0),
])
def test_a_bad_path_is_refused_naming_it(embedded_registry: EmbeddedRegistry, paths: list[str], bad: int) -> None:
    with pytest.raises(ValidationError) as info:
        embedded_registry.register(document(*paths))
    assert (info.value.code, info.value.field) == ("invalid_manifest", f"content.files[{bad}].path")
    assert embedded_registry.assets().items == []


def test_good_paths_and_media_types_are_kept(embedded_registry: EmbeddedRegistry) -> None:
    registered = embedded_registry.register(document("config.json", "weights/model-00001.safetensors", "é/ü.bin",
                                                     media_type="application/octet-stream"))
    assert registered.content is not None
    assert registered.content.files is not None
    assert [f.path for f in registered.content.files] == ["config.json", "weights/model-00001.safetensors", "é/ü.bin"]
    assert {f.media_type for f in registered.content.files} == {"application/octet-stream"}
    # The version digest is the digest of the canonical file list (path, digest, size).
    plain = embedded_registry.register({**document("config.json", "weights/model-00001.safetensors", "é/ü.bin"),
                                        "name": "acme/plain"})
    assert plain.digest == registered.digest
