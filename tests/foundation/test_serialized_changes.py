"""Read-modify-writes of one asset take turns on both backends: concurrent label changes each
become a revision of their own (none lost, none refused), each event's ``before`` the labels
the previous one committed."""

from __future__ import annotations

import itertools
import threading

from llm_registry.embedded import EmbeddedRegistry
from llm_registry.registry import Registry
from llm_registry.settings import Settings
from tests.foundation.conftest import model

WRITERS = 8


def _race(action: list[threading.Thread]) -> None:
    for thread in action:
        thread.start()
    for thread in action:
        thread.join(timeout=60)


def test_concurrent_label_changes_each_make_a_revision(location: str) -> None:
    with Registry.open(location, settings=Settings(postgres_pool_size=WRITERS), actor="tester") as registry:
        assert isinstance(registry, EmbeddedRegistry)
        registry.register(model("acme/labelled"))
        ref = "model:acme/labelled@1.0.0"
        barrier = threading.Barrier(WRITERS)
        errors: list[BaseException] = []

        def add(tag: str) -> None:
            barrier.wait()
            try:
                registry.label(ref, tags=[tag])
            except BaseException as error:  # collected: the test reports every failure
                errors.append(error)

        _race([threading.Thread(target=add, args=(f"t{i}",)) for i in range(WRITERS)])
        assert errors == []
        history = registry.label_history(ref)
        assert [r.revision for r in history] == list(range(1, WRITERS + 2))
        assert sorted(registry.get(ref).labels.tags) == sorted(f"t{i}" for i in range(WRITERS))
        events = registry.events(type=["asset.labels_updated"], limit=100).items
        for previous, event in itertools.pairwise(events):
            assert event.payload["before"] == previous.payload["after"]
