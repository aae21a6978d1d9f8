"""SubscriptionTable and deliver (service/edgex/bus/dispatch.py), without any bus around them."""

from __future__ import annotations

import logging
import sys
import threading

import pytest

from service.edgex.bus.dispatch import Subscription, SubscriptionTable, deliver
from service.edgex.envelope import MessageEnvelope
from service.edgex.errors import DecodeError, EnvelopeDecodeError, InvalidTopicPattern


class Recorder:
    """A handler + on_error pair that records calls under a name, in one shared call log."""

    def __init__(self, name: str, log: list[tuple[str, str, object]] | None = None) -> None:
        self.name = name
        self.log: list[tuple[str, str, object]] = [] if log is None else log

    def handler(self, topic: str, envelope: MessageEnvelope) -> None:
        self.log.append((self.name, topic, envelope))

    def on_error(self, topic: str, exc: Exception) -> None:
        self.log.append((f"{self.name}!", topic, exc))


def _never_called(*_args: object) -> None:
    raise AssertionError("must not be called")


def _patterns_matching(table: SubscriptionTable, topic: str) -> list[str]:
    return [sub.pattern for sub in table.matching(topic)]


# -- matching (MQTT wildcard semantics) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "topic", "matches"),
    [
        # '#' is zero or more trailing levels, including the parent level itself
        ("#", "edgex/events/device/s/p/d/src", True),
        ("#", "a", True),
        ("#", "", True),
        ("#", "/a", True),
        ("edgex/events/#", "edgex/events", True),
        ("edgex/events/#", "edgex/events/device", True),
        ("edgex/events/#", "edgex/events/device/s/p/d/src", True),
        ("edgex/events/#", "edgex/event", False),
        ("edgex/events/#", "edgex/eventsX/device", False),
        ("edgex/events/#", "edgex", False),
        ("edgex/events/#", "other/events/device", False),
        # '+' is exactly one level, possibly empty
        ("+", "a", True),
        ("+", "", True),
        ("+", "a/b", False),
        ("edgex/+", "edgex/x", True),
        ("edgex/+", "edgex/", True),
        ("edgex/+", "edgex", False),
        ("edgex/+", "edgex/x/y", False),
        ("+/x", "/x", True),
        ("edgex/+/x", "edgex//x", True),
        ("edgex/events/device/+/+/cam-01/+", "edgex/events/device/s/p/cam-01/Snap", True),
        ("edgex/events/device/+/+/cam-01/+", "edgex/events/device/s/p/cam-02/Snap", False),
        # '+' and '#' together
        ("+/#", "a", True),
        ("+/#", "a/b/c", True),
        ("edgex/+/device/#", "edgex/events/device", True),
        ("edgex/+/device/#", "edgex/events/device/s/p", True),
        ("edgex/+/device/#", "edgex/events/core/s/p", False),
        # literal levels: exact, case-sensitive, whole-level
        ("a/b", "a/b", True),
        ("a/b", "a/b/c", False),
        ("a/b/c", "a/b", False),
        ("a/b", "A/b", False),
        ("a/b", "a/b/", False),
        ("a/b", "/a/b", False),
        # a wildcard character in the received topic is just a character
        ("a/b", "a/+", False),
        ("a/b", "a/#", False),
    ],
)
def test_matching_follows_mqtt_wildcards(pattern: str, topic: str, matches: bool) -> None:
    table = SubscriptionTable()
    table.add([pattern], _never_called, _never_called)
    assert _patterns_matching(table, topic) == ([pattern] if matches else [])


@pytest.mark.parametrize(
    "pattern",
    ["a/#/b", "#/a", "a/b#", "a#", "a/#b", "##", "a/+b", "+a/b", "edgex/ev+nts", "a/++", "+#"],
)
def test_add_rejects_misplaced_wildcards(pattern: str) -> None:
    table = SubscriptionTable()
    with pytest.raises(InvalidTopicPattern):
        table.add([pattern], _never_called, _never_called)
    assert table.patterns() == []


def test_invalid_pattern_is_also_a_value_error() -> None:
    with pytest.raises(ValueError):
        SubscriptionTable().add(["a/#/b"], _never_called, _never_called)


def test_one_invalid_pattern_subscribes_none_of_the_batch() -> None:
    """The docstring: InvalidTopicPattern is raised 'before anything is subscribed'."""
    table = SubscriptionTable()
    table.add(["keep/me"], _never_called, _never_called)
    with pytest.raises(InvalidTopicPattern):
        table.add(["good/one", "bad/#/x", "good/two"], _never_called, _never_called)
    assert table.patterns() == ["keep/me"]
    assert table.matching("good/one") == []


# -- empty table ---------------------------------------------------------------------------------


def test_empty_table() -> None:
    table = SubscriptionTable()
    assert table.patterns() == []
    assert table.all() == []
    assert table.get("#") is None
    assert table.matching("edgex/events/device/s/p/d/src") == []
    assert table.matching("") == []
    assert table.remove(["a/b", "#"]) == []


def test_add_of_no_topics_is_a_no_op() -> None:
    table = SubscriptionTable()
    table.add([], _never_called, _never_called)
    assert table.patterns() == []


# -- subscribe / unsubscribe ---------------------------------------------------------------------


def test_add_stores_pattern_levels_and_callbacks() -> None:
    rec = Recorder("r")
    table = SubscriptionTable()
    table.add(["edgex/events/+/#", "edgex/x"], rec.handler, rec.on_error)

    assert table.patterns() == ["edgex/events/+/#", "edgex/x"]
    sub = table.get("edgex/events/+/#")
    assert sub == Subscription("edgex/events/+/#", ("edgex", "events", "+", "#"), rec.handler, rec.on_error)
    assert [s.pattern for s in table.all()] == ["edgex/events/+/#", "edgex/x"]
    # get() looks the pattern up literally: a topic the pattern matches is not a key
    assert table.get("edgex/events/device/s") is None


def test_patterns_keep_subscription_order_across_calls() -> None:
    table = SubscriptionTable()
    table.add(["c"], _never_called, _never_called)
    table.add(["a", "b"], _never_called, _never_called)
    assert table.patterns() == ["c", "a", "b"]


def test_remove_returns_only_what_was_subscribed() -> None:
    """The bus clients forward remove()'s result to the broker, so it must not invent topics."""
    table = SubscriptionTable()
    table.add(["a/#", "b/+", "c"], _never_called, _never_called)

    assert table.remove(["b/+", "never/subscribed", "c"]) == ["b/+", "c"]
    assert table.patterns() == ["a/#"]
    assert table.get("b/+") is None
    assert table.matching("b/x") == []
    assert _patterns_matching(table, "a/x") == ["a/#"]


def test_remove_is_by_exact_pattern_not_by_match() -> None:
    table = SubscriptionTable()
    table.add(["a/#"], _never_called, _never_called)
    assert table.remove(["a/b", "a/+", "#"]) == []
    assert table.patterns() == ["a/#"]


def test_remove_twice_and_duplicates_in_one_call_report_once() -> None:
    table = SubscriptionTable()
    table.add(["a", "b"], _never_called, _never_called)
    assert table.remove(["a", "a"]) == ["a"]
    assert table.remove(["a"]) == []
    assert table.patterns() == ["b"]


def test_resubscribe_after_remove() -> None:
    log: list[tuple[str, str, object]] = []
    first, second = Recorder("first", log), Recorder("second", log)
    table = SubscriptionTable()
    table.add(["a/+"], first.handler, first.on_error)
    table.remove(["a/+"])
    table.add(["a/+"], second.handler, second.on_error)
    subs = table.matching("a/x")
    assert [s.handler for s in subs] == [second.handler]


# -- same filter twice / overlapping filters ---------------------------------------------------------


def test_same_pattern_again_replaces_the_handler() -> None:
    """The docstring: 'a new handler replaces the old' - one subscription per pattern."""
    log: list[tuple[str, str, object]] = []
    old, new = Recorder("old", log), Recorder("new", log)
    table = SubscriptionTable()
    table.add(["a/#", "z"], old.handler, old.on_error)
    table.add(["a/#"], new.handler, new.on_error)

    assert table.patterns() == ["a/#", "z"]  # still one entry, in its original place
    subs = table.matching("a/b")
    assert len(subs) == 1
    assert subs[0].handler == new.handler
    assert subs[0].on_error == new.on_error

    deliver(subs, "a/b", lambda: MessageEnvelope(correlation_id="c"))
    assert [name for name, _, _ in log] == ["new"]
    # the untouched pattern keeps its old handler
    untouched = table.get("z")
    assert untouched is not None and untouched.handler == old.handler


def test_same_pattern_twice_in_one_call_is_one_subscription() -> None:
    table = SubscriptionTable()
    table.add(["a/b", "a/b"], _never_called, _never_called)
    assert table.patterns() == ["a/b"]
    assert len(table.matching("a/b")) == 1


def test_one_handler_for_several_patterns() -> None:
    rec = Recorder("r")
    table = SubscriptionTable()
    table.add(["a/+", "b/+"], rec.handler, rec.on_error)
    assert [s.handler for s in table.matching("a/1")] == [rec.handler]
    assert [s.handler for s in table.matching("b/1")] == [rec.handler]
    assert table.matching("c/1") == []


def test_overlapping_patterns_all_match_in_subscription_order() -> None:
    table = SubscriptionTable()
    table.add(["edgex/events/device/s/p/d/src"], _never_called, _never_called)
    table.add(["#"], _never_called, _never_called)
    table.add(["edgex/events/#", "edgex/events/device/+/+/d/+"], _never_called, _never_called)
    table.add(["edgex/events/core/#"], _never_called, _never_called)

    assert _patterns_matching(table, "edgex/events/device/s/p/d/src") == [
        "edgex/events/device/s/p/d/src",
        "#",
        "edgex/events/#",
        "edgex/events/device/+/+/d/+",
    ]
    assert _patterns_matching(table, "edgex/events/core/s/p/d/src") == [
        "#",
        "edgex/events/#",
        "edgex/events/core/#",
    ]
    assert _patterns_matching(table, "elsewhere") == ["#"]


def test_removing_one_overlapping_pattern_leaves_the_others() -> None:
    table = SubscriptionTable()
    table.add(["a/#", "a/+", "a/b"], _never_called, _never_called)
    table.remove(["a/+"])
    assert _patterns_matching(table, "a/b") == ["a/#", "a/b"]


# -- snapshots and thread safety -----------------------------------------------------------------


def test_readers_return_snapshots() -> None:
    """matching/all/patterns copy under the lock, so a handler may (un)subscribe while the caller
    iterates - the bus threads rely on it."""
    table = SubscriptionTable()
    table.add(["a/#", "a/b"], _never_called, _never_called)
    matching, every, patterns = table.matching("a/b"), table.all(), table.patterns()

    table.remove(["a/#"])
    table.add(["a/+"], _never_called, _never_called)

    assert [s.pattern for s in matching] == ["a/#", "a/b"]
    assert [s.pattern for s in every] == ["a/#", "a/b"]
    assert patterns == ["a/#", "a/b"]
    assert table.patterns() == ["a/b", "a/+"]


def test_matching_result_can_be_mutated_without_touching_the_table() -> None:
    table = SubscriptionTable()
    table.add(["a"], _never_called, _never_called)
    table.matching("a").clear()
    table.all().clear()
    table.patterns().clear()
    assert table.patterns() == ["a"]


def test_handler_may_change_the_table_during_delivery() -> None:
    """A handler that unsubscribes (e.g. a one-shot reply) neither deadlocks nor skips others."""
    log: list[tuple[str, str, object]] = []
    other = Recorder("other", log)
    table = SubscriptionTable()

    def one_shot(topic: str, envelope: MessageEnvelope) -> None:
        log.append(("one-shot", topic, envelope))
        table.remove(["reply/#"])
        table.add(["later"], _never_called, _never_called)

    table.add(["reply/#"], one_shot, _never_called)
    table.add(["reply/+"], other.handler, other.on_error)

    done = threading.Event()

    def run() -> None:
        deliver(table.matching("reply/1"), "reply/1", MessageEnvelope)
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(2.0), "deliver deadlocked on the table lock"
    assert [name for name, _, _ in log] == ["one-shot", "other"]
    assert table.patterns() == ["reply/+", "later"]


def test_concurrent_add_remove_and_match_stay_consistent() -> None:
    """The class claims to be thread-safe: hammer it from several threads at once."""
    table = SubscriptionTable()
    table.add(["#"], _never_called, _never_called)
    # enough entries that a reader iterating the live dict would see it change size under it
    table.add([f"filler/{i}" for i in range(500)], _never_called, _never_called)
    writers, rounds = 4, 300
    errors: list[BaseException] = []
    stop = threading.Event()
    start = threading.Barrier(writers + 1)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(rounds):
                mine = [f"w{n}/{i}/+", f"w{n}/{i}/#"]
                table.add(mine, _never_called, _never_called)
                assert table.get(mine[0]) is not None
                assert table.remove(mine) == mine
            table.add([f"w{n}/kept"], _never_called, _never_called)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            start.wait()
            while not stop.is_set():
                patterns = [s.pattern for s in table.matching("w0/1/x")]
                assert patterns[0] == "#"
                assert set(patterns) <= {"#", "w0/1/+", "w0/1/#"}
                table.patterns()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(writers)]
    read = threading.Thread(target=reader, daemon=True)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        for t in [*threads, read]:
            t.start()
        for t in threads:
            t.join(timeout=30)
        stop.set()
        read.join(timeout=30)
    finally:
        sys.setswitchinterval(interval)

    assert not errors, errors
    table.remove([f"filler/{i}" for i in range(500)])
    assert sorted(table.patterns()) == sorted(["#", *(f"w{n}/kept" for n in range(writers))])


# -- deliver: dispatch to handlers ----------------------------------------------------------------


def test_deliver_decodes_once_and_calls_every_subscription_in_order() -> None:
    log: list[tuple[str, str, object]] = []
    a, b = Recorder("a", log), Recorder("b", log)
    table = SubscriptionTable()
    table.add(["edgex/#"], a.handler, a.on_error)
    table.add(["edgex/+/x"], b.handler, b.on_error)
    table.add(["other/#"], _never_called, _never_called)

    envelope = MessageEnvelope(correlation_id="corr-1", payload={"k": 1})
    decodes: list[int] = []

    def decode() -> MessageEnvelope:
        decodes.append(1)
        return envelope

    deliver(table.matching("edgex/y/x"), "edgex/y/x", decode)

    assert len(decodes) == 1
    assert log == [("a", "edgex/y/x", envelope), ("b", "edgex/y/x", envelope)]
    assert log[0][2] is log[1][2]  # the same decoded object, not one decode per handler


def test_deliver_passes_the_received_topic_not_the_pattern() -> None:
    rec = Recorder("r")
    table = SubscriptionTable()
    table.add(["edgex/events/device/+/+/+/+"], rec.handler, rec.on_error)
    topic = "edgex/events/device/svc/prof/cam-01/Snap"
    deliver(table.matching(topic), topic, MessageEnvelope)
    assert [(name, t) for name, t, _ in rec.log] == [("r", topic)]


def test_deliver_to_no_subscription_does_not_decode() -> None:
    table = SubscriptionTable()
    table.add(["a/#"], _never_called, _never_called)
    decodes: list[str] = []

    def decode() -> MessageEnvelope:
        decodes.append("decoded")
        return MessageEnvelope()

    deliver(table.matching("b/c"), "b/c", decode)
    assert decodes == []


def test_a_failing_handler_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    log: list[tuple[str, str, object]] = []
    after = Recorder("after", log)

    def boom(_topic: str, _envelope: MessageEnvelope) -> None:
        raise RuntimeError("handler bug")

    table = SubscriptionTable()
    table.add(["a/#"], boom, _never_called)
    table.add(["a/b"], after.handler, after.on_error)

    with caplog.at_level(logging.ERROR, logger="service.edgex.bus.dispatch"):
        deliver(table.matching("a/b"), "a/b", lambda: MessageEnvelope(correlation_id="corr-7"))

    assert [name for name, _, _ in log] == ["after"]  # and not on_error: decoding succeeded
    assert any("a/#" in r.getMessage() and "corr-7" in r.getMessage() for r in caplog.records)


# -- deliver: error handlers on bad input ---------------------------------------------------------


def test_decode_error_goes_to_every_on_error_and_no_handler() -> None:
    log: list[tuple[str, str, object]] = []
    a, b = Recorder("a", log), Recorder("b", log)
    table = SubscriptionTable()
    table.add(["t/#"], a.handler, a.on_error)
    table.add(["t/+"], b.handler, b.on_error)
    error = EnvelopeDecodeError("not an envelope")

    def decode() -> MessageEnvelope:
        raise error

    deliver(table.matching("t/1"), "t/1", decode)
    assert log == [("a!", "t/1", error), ("b!", "t/1", error)]


def test_unexpected_decoder_exception_is_reported_too(caplog: pytest.LogCaptureFixture) -> None:
    rec = Recorder("r")
    table = SubscriptionTable()
    table.add(["t"], rec.handler, rec.on_error)
    bug = KeyError("decoder bug")

    def decode() -> MessageEnvelope:
        raise bug

    with caplog.at_level(logging.ERROR, logger="service.edgex.bus.dispatch"):
        deliver(table.matching("t"), "t", decode)
    assert rec.log == [("r!", "t", bug)]
    assert any(r.levelno == logging.ERROR for r in caplog.records)


def test_decode_error_only_reaches_matching_subscriptions() -> None:
    log: list[tuple[str, str, object]] = []
    hit, miss = Recorder("hit", log), Recorder("miss", log)
    table = SubscriptionTable()
    table.add(["t/+"], hit.handler, hit.on_error)
    table.add(["u/+"], miss.handler, miss.on_error)

    def decode() -> MessageEnvelope:
        raise DecodeError("bad")

    deliver(table.matching("t/1"), "t/1", decode)
    assert [name for name, _, _ in log] == ["hit!"]


def test_a_failing_on_error_does_not_stop_the_others() -> None:
    log: list[tuple[str, str, object]] = []
    after = Recorder("after", log)

    def bad_on_error(_topic: str, _exc: Exception) -> None:
        raise RuntimeError("on_error bug")

    table = SubscriptionTable()
    table.add(["a/#"], _never_called, bad_on_error)
    table.add(["a/b"], after.handler, after.on_error)

    def decode() -> MessageEnvelope:
        raise DecodeError("bad")

    deliver(table.matching("a/b"), "a/b", decode)  # must not raise
    assert [name for name, _, _ in log] == ["after!"]
