"""Fuzz: >= 10,000 random, truncated and mutated inputs (most derived from the real captures);
every decoder must either succeed or raise DecodeError, never anything else."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterator
from typing import Any

import cbor2
import pytest

from service.edgex.dtos import decode_event_payload
from service.edgex.envelope import (
    EnvelopeForm,
    decode_envelope,
    encode_envelope,
    event_from_envelope,
    payload_value,
)
from service.edgex.errors import DecodeError
from service.edgex.system_events import system_event_from_json
from service.edgex.topics import parse_event_topic

SEED = 20261125


def _seeds(captures: dict[str, Any]) -> list[bytes]:
    """The captures as JSON, plus their whole-CBOR-envelope and inner-CBOR variants."""
    out = [c.data for c in captures.values()]
    for cap in captures.values():
        env = decode_envelope(cap.data)
        out.append(encode_envelope(env, EnvelopeForm.CBOR))
        if isinstance(env.payload, bytes) and env.media_type == "application/cbor":
            out.append(env.payload)
    return out


def _mutations(seeds: list[bytes], rng: random.Random) -> Iterator[bytes]:
    for seed in seeds:  # truncations at ~40 points of every seed
        for cut in sorted({rng.randrange(len(seed)) for _ in range(40)}):
            yield seed[:cut]
    for _ in range(4000):  # byte flips, insertions and deletions
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 8)):
            pos = rng.randrange(len(data))
            op = rng.random()
            if op < 0.6:
                data[pos] = rng.randrange(256)
            elif op < 0.8:
                data.insert(pos, rng.choice(b'{}[]":,0123456789\\abtfn\xa0\xbf\xff\x1b\xd8\x1c'))
            else:
                del data[pos]
        yield bytes(data)
    for _ in range(3000):  # random bytes, half of them starting like a CBOR map
        noise = bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))
        yield (bytes([0xA0 + rng.randrange(32)]) + noise) if rng.random() < 0.5 else noise


def _json_mutations(captures: dict[str, Any], rng: random.Random) -> Iterator[bytes]:
    """Structurally valid JSON envelopes whose fields hold values of the wrong type."""
    junk: list[Any] = [None, 0, -1, 2**70, 1.5, True, "", "x", "AAAA", [], [1], {}, {"a": None}]
    for _ in range(2500):
        cap = rng.choice(list(captures.values()))
        doc = json.loads(cap.data)
        target = doc
        if isinstance(doc.get("payload"), dict) and rng.random() < 0.7:
            target = doc["payload"]
            if isinstance(target.get("event"), dict) and rng.random() < 0.7:
                target = target["event"]
                if target.get("readings") and rng.random() < 0.7:
                    target = target["readings"][0]
        key = rng.choice([*target.keys(), "valueType", "binaryValue", "objectValue"])
        target[key] = rng.choice(junk)
        if rng.random() < 0.2:
            doc["payload"] = base64.b64encode(json.dumps(doc["payload"]).encode()).decode()
        yield json.dumps(doc).encode()


def _decode_all(data: bytes) -> None:
    for content_type in ("application/cbor", "application/json"):
        try:
            decode_event_payload(data, content_type)
        except DecodeError:
            pass
    try:
        env = decode_envelope(data, "edgex/events/device/s/p/d/src")
    except DecodeError:
        return
    for step in (event_from_envelope, payload_value, lambda e: system_event_from_json(payload_value(e))):
        try:
            step(env)
        except DecodeError:
            pass


def test_decoders_raise_only_decode_error(captures: dict[str, Any]) -> None:
    rng = random.Random(SEED)
    count = 0
    for data in [*_mutations(_seeds(captures), rng), *_json_mutations(captures, rng)]:
        _decode_all(data)  # any exception other than DecodeError fails the test here
        count += 1
    assert count >= 10_000


def test_topic_parser_raises_only_topic_errors(captures: dict[str, Any]) -> None:
    rng = random.Random(SEED)
    topics = [c.topic for c in captures.values()]
    for _ in range(3000):
        topic = list(rng.choice(topics))
        for _ in range(rng.randint(1, 4)):
            topic.insert(rng.randrange(len(topic) + 1), rng.choice("%/#+ aZ9\u00e9\x00"))
        try:
            parse_event_topic("".join(topic))
        except DecodeError:
            pass


@pytest.mark.parametrize(
    "data",
    [
        bytes.fromhex("a1677061796c6f6164d81c81d81d00"),  # payload: shared self-reference
        cbor2.dumps({"payload": {1, 2}}),
        cbor2.dumps({"errorCode": 1e400}),
        bytes.fromhex("a1") + b"\x7b" + b"\xff" * 8,  # text of absurd length, truncated
    ],
    ids=["cyclic", "set", "infinite-float", "truncated-text"],
)
def test_cyclic_and_exotic_cbor_is_a_decode_error(data: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_envelope(data)
