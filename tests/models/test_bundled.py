"""The bundled models on real photos (issue 3, "Done when"); expected boxes from MODELS.md."""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from service.vision.boxes import box_iou
from service.vision.detection import Detection
from service.vision.engine import Engine
from service.vision.framing import square_crop
from service.vision.runner import Runner, RunnerParts, Variant
from service.vision.specs import EngineSettings, SecondStageSpec, bundled_models

EXPECTED = [
    # model, photo, expected boxes (x1,y1,x2,y2), IoU needed
    ("person", "astronaut", [(3, 32, 373, 509)], 0.9),
    ("person", "camera", [(1, 67, 302, 512)], 0.9),
    ("person", "chelsea", [], 0),
    ("person", "coffee", [], 0),
    ("person", "motorcycle", [], 0),
    ("face", "astronaut", [(178, 82, 271, 174)], 0.8),
    ("face", "camera", [(175, 119, 266, 210)], 0.8),
    ("face", "chelsea", [], 0),
    ("face", "coffee", [], 0),
    ("face", "motorcycle", [], 0),
    ("face-centerface", "astronaut", [(181, 58, 269, 177)], 0.8),
    ("face-centerface", "camera", [(202, 118, 257, 196)], 0.8),
    ("face-centerface", "chelsea", [], 0),
    ("face-centerface", "coffee", [], 0),
    ("face-centerface", "motorcycle", [], 0),
]

# Crops for the face-presence classifier: the two faces, the cat's face and the coffee cup.
CROPS = [
    ("astronaut", (178, 82, 271, 174), True),
    ("camera", (175, 119, 266, 210), True),
    ("chelsea", (100, 40, 380, 280), False),
    ("coffee", (175, 20, 410, 280), False),
]


def assert_matches(found: list[Detection], expected: Sequence[Sequence[float]], min_iou: float) -> None:
    assert len(found) == len(expected), found
    if expected:
        ious = box_iou(np.array([d.box for d in found]), np.array(expected))
        assert ious.max(axis=0).min() >= min_iou, (found, ious)


@pytest.mark.parametrize(("model", "photo", "expected", "min_iou"), EXPECTED)
def test_bundled_model_on_photo(
    engine: Engine,
    photos: dict[str, np.ndarray],
    model: str,
    photo: str,
    expected: list[tuple[int, ...]],
    min_iou: float,
) -> None:
    found = engine.infer(model, photos[photo])
    assert_matches(found, expected, min_iou)
    assert all(d.label == ("person" if model == "person" else "face") for d in found)
    assert all(0.5 <= d.score <= 1 for d in found)


def test_person_on_astronaut_scores_high(engine: Engine, photos: dict[str, np.ndarray]) -> None:
    [person] = engine.infer("person", photos["astronaut"])
    assert person.score > 0.8


def test_letterboxed_pair_has_two_people(engine: Engine, photos: dict[str, np.ndarray]) -> None:
    """1024x512 astronaut|camera: letterboxed to 300x300, boxes come back in pair pixels."""
    found = engine.infer("person", photos["pair"])
    expected = [(3, 32, 373, 509), (512 + 1, 67, 512 + 302, 512)]
    assert_matches(found, expected, 0.8)


def test_face_keypoints_fall_inside_the_face(engine: Engine, photos: dict[str, np.ndarray]) -> None:
    for model, count in (("face", 6), ("face-centerface", 5)):
        [face] = engine.infer(model, photos["astronaut"])
        assert len(face.keypoints) == count
        x1, y1, x2, y2 = face.box
        assert all(x1 <= x <= x2 and y1 <= y <= y2 for x, y in face.keypoints[:4])


@pytest.mark.parametrize(("photo", "box", "is_face"), CROPS)
def test_face_landmark_presence(
    engine: Engine, photos: dict[str, np.ndarray], photo: str, box: tuple[int, int, int, int], is_face: bool
) -> None:
    image = photos[photo] if photos[photo].ndim == 3 else np.repeat(photos[photo][..., None], 3, axis=2)
    crop = square_crop(image, box, 1.5, engine.input_size("face-landmark"))
    [result] = engine.infer("face-landmark", crop)
    assert len(result.keypoints) == 468
    if is_face:
        assert result.score > 0.5
    else:
        assert result.score < 0.3


def test_second_stage_filters_by_presence(models_dir: Path, photos: dict[str, np.ndarray]) -> None:
    """With MinScore 0.95 the camera man's face (presence ~0.8 on its crop) is dropped, the
    astronaut's (~1.0) kept; with the default 0.5 both stay (test_bundled_model_on_photo)."""
    models = bundled_models()
    strict_face = models["face"].model_copy(
        update={"SecondStage": SecondStageSpec(Model="face-landmark", MinScore=0.95)}
    )
    models["face"] = strict_face
    with Engine(models, EngineSettings(ModelsDir=models_dir, CacheDir=None)) as strict:
        assert len(strict.infer("face", photos["astronaut"])) == 1
        assert strict.infer("face", photos["camera"]) == []
        assert strict.submit("face", photos["camera"]).result(timeout=60) == []


def test_submit_matches_infer(engine: Engine, photos: dict[str, np.ndarray]) -> None:
    """Several frames in flight at once; each future holds the same result as the sync call."""
    names = ["astronaut", "camera", "chelsea", "pair"] * 3
    for model in ("person", "face", "face-centerface"):
        futures = [engine.submit(model, photos[name]) for name in names]
        for name, future in zip(names, futures, strict=True):
            assert future.result(timeout=60) == engine.infer(model, photos[name])


def _called_back(engine: Engine, model: str, images: list[np.ndarray]) -> list[object]:
    """What submit_with's callback received for each image, in submission order."""
    results: dict[int, object] = {}
    all_done = threading.Event()

    def record(index: int, result: object) -> None:
        results[index] = result
        if len(results) == len(images):
            all_done.set()

    for index, image in enumerate(images):
        engine.submit_with(model, image, lambda result, i=index: record(i, result))
    assert all_done.wait(60)
    return [results[i] for i in range(len(images))]


def test_submit_with_calls_back_with_each_frames_result(
    engine: Engine, photos: dict[str, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The callback form: every frame's callback gets that frame's detections (the face model
    through its second stage on another thread), and a frame that fails gets its error."""
    names = ["astronaut", "camera", "chelsea", "pair"] * 3
    for model in ("person", "face"):
        assert _called_back(engine, model, [photos[n] for n in names]) == [
            engine.infer(model, photos[n]) for n in names
        ]

    runner = engine._get("person").runner
    fill = runner._fill

    def refuse_once(target: np.ndarray, image: np.ndarray) -> None:
        monkeypatch.setattr(runner, "_fill", fill)
        raise ValueError("cannot copy this frame")

    monkeypatch.setattr(runner, "_fill", refuse_once)
    got: queue.Queue[object] = queue.Queue()
    engine.submit_with("person", photos["astronaut"], got.put)
    error = got.get(timeout=60)
    assert isinstance(error, ValueError) and "cannot copy" in str(error)
    engine.submit_with("person", photos["astronaut"], got.put)
    assert got.get(timeout=60) == engine.infer("person", photos["astronaut"])


def test_centerface_is_reshaped_per_resolution(engine: Engine, photos: dict[str, np.ndarray]) -> None:
    """Frames of other sizes (1024x1024, a 1280x720 stream) are fed within the 640 bound, rounded
    to multiples of 32, and the boxes come back in the frame's own pixels."""
    import cv2

    x1, y1, x2, y2 = 181, 58, 269, 177
    big = cv2.resize(photos["astronaut"], (1024, 1024))
    assert engine.input_size("face-centerface") == (640, 640)
    assert_matches(engine.infer("face-centerface", big), [(2 * x1, 2 * y1, 2 * x2, 2 * y2)], 0.75)
    stream = np.zeros((720, 1280, 3), np.uint8)
    stream[0:717, 300:1017] = cv2.resize(photos["astronaut"], (717, 717))
    scale = 717 / 512
    expected = (300 + x1 * scale, y1 * scale, 300 + x2 * scale, y2 * scale)
    assert_matches(engine.infer("face-centerface", stream), [expected], 0.75)


def test_input_sizes(engine: Engine) -> None:
    assert engine.input_size("person") == (300, 300)
    assert engine.input_size("face") == (128, 128)
    assert engine.input_size("face-landmark") == (192, 192)
    assert engine.device("person") == "CPU"


def test_throughput_hint_decodes_like_latency(
    models_dir: Path, engine: Engine, photos: dict[str, np.ndarray]
) -> None:
    """Under THROUGHPUT, BlazeFace decodes in the graph: same faces as the host decoder."""
    settings = EngineSettings(PerformanceHint="THROUGHPUT", ModelsDir=models_dir, CacheDir=None)
    with Engine(bundled_models(), settings) as fast:
        for photo in ("astronaut", "camera", "chelsea", "coffee", "motorcycle"):
            expected = engine.infer("face", photos[photo])
            found = fast.submit("face", photos[photo]).result(timeout=60)
            assert len(found) == len(expected)
            for got, want in zip(found, expected, strict=True):
                assert got.score == pytest.approx(want.score, abs=1e-3)
                assert got.box == pytest.approx(want.box, abs=0.5)
                assert np.allclose(got.keypoints, want.keypoints, atol=0.5)


@pytest.mark.parametrize("model", ["face", "person"])
def test_batched_frames_each_get_their_own_detections(
    models_dir: Path, photos: dict[str, np.ndarray], model: str
) -> None:
    """Batch 2 under THROUGHPUT (face ships with it; person does not, as it is slower there, but
    may be configured so): frames submitted together share requests, and every future still gets
    the detections of its own photo, not its batch neighbour's."""
    settings = EngineSettings(PerformanceHint="THROUGHPUT", ModelsDir=models_dir, CacheDir=None)
    spec = bundled_models()[model].model_copy(update={"SecondStage": None, "Batch": 2})
    photo_names = ["astronaut", "coffee", "camera", "chelsea"] * 40
    one_by_one = EngineSettings(PerformanceHint="LATENCY", ModelsDir=models_dir, CacheDir=None)
    with Engine({model: spec}, one_by_one) as alone:
        expected = {name: alone.infer(model, photos[name]) for name in set(photo_names)}
    assert len(expected["astronaut"]) == 1 and not expected["coffee"]
    with Engine({model: spec}, settings) as fast:
        futures = [(name, fast.submit(model, photos[name])) for name in photo_names]
        for name, future in futures:
            found = np.array([d.box for d in future.result(timeout=60)]).reshape(-1, 4)
            want = np.array([d.box for d in expected[name]]).reshape(-1, 4)
            assert found.shape == want.shape and np.allclose(found, want, atol=0.5), name
        counts = fast.requests_by_batch(model)
    assert sum(size * n for size, n in counts.items()) == len(photo_names)
    assert counts.get(2, 0) > 0, f"no request carried two frames: {counts}"


def test_close_waits_for_every_callback(models_dir: Path, photos: dict[str, np.ndarray]) -> None:
    """close() returns only after each submitted frame's future is resolved."""
    settings = EngineSettings(PerformanceHint="THROUGHPUT", ModelsDir=models_dir, CacheDir=None)
    spec = bundled_models()["face"].model_copy(update={"SecondStage": None})
    engine = Engine({"face": spec}, settings)
    futures = [engine.submit("face", photos["astronaut"]) for _ in range(50)]
    engine.close()
    assert all(future.done() for future in futures)


def test_person_found_in_a_strided_view(engine: Engine, photos: dict[str, np.ndarray]) -> None:
    """The host's BGR -> RGB flip (SSDLite takes u8 RGB) also takes views cv2 cannot: a
    channel-reversed view of an RGB photo is the same BGR image."""
    rgb = np.ascontiguousarray(photos["astronaut"][..., ::-1])
    view = rgb[..., ::-1]
    assert view.strides[-1] < 0
    assert engine.infer("person", view) == engine.infer("person", photos["astronaut"])
    assert len(engine.infer("person", view)) == 1


def _face_runner(models_dir: Path) -> Runner:
    """The face model as a THROUGHPUT runner with 2 slots, built the way the engine builds one."""
    import openvino as ov

    from service.vision.decoders import DecoderInput, OutputInfo, create_decoder
    from service.vision.loader import embed_preprocessing

    spec = bundled_models()["face"].model_copy(update={"SecondStage": None})
    core = ov.Core()
    model = core.read_model(str(models_dir / spec.File))
    outputs = tuple(OutputInfo(frozenset(o.get_names()), tuple(o.get_shape())) for o in model.outputs)
    decoder = create_decoder(spec.Decoder, DecoderInput(spec, outputs, models_dir / spec.File))
    compiled = core.compile_model(embed_preprocessing(model, spec, "NHWC"), "CPU")
    return Runner(RunnerParts(spec, {1: Variant(compiled, decoder)}, 128, 128, 2))


def test_runner_survives_a_failing_callback_and_a_failing_start(
    models_dir: Path, photos: dict[str, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `done` that raises, or a request that cannot start, costs only those frames: every other
    frame still gets its faces and wait_all() returns."""
    runner = _face_runner(models_dir)
    results: list[object] = []
    lock = threading.Lock()

    def record(result: object) -> None:
        with lock:
            results.append(result)

    def explode(result: object) -> None:
        record(result)
        raise RuntimeError("caller bug")

    fill = runner._fill
    calls = {"n": 0}

    def fill_failing_once(target: np.ndarray, image: np.ndarray) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise ValueError("cannot copy this frame")
        fill(target, image)

    monkeypatch.setattr(runner, "_fill", fill_failing_once)
    for index in range(20):
        runner.submit(photos["astronaut"], explode if index == 0 else record)
    runner.wait_all()
    errors = [r for r in results if isinstance(r, BaseException)]
    faces = [r for r in results if not isinstance(r, BaseException)]
    assert len(results) == 20
    assert len(errors) == 1 and "cannot copy" in str(errors[0])
    assert all(len(found) == 1 for found in faces)  # type: ignore[arg-type]


def test_closed_engines_give_their_memory_back(models_dir: Path, photos: dict[str, np.ndarray]) -> None:
    """Each engine used to keep its compiled models after close() (a callback cycle through
    OpenVINO objects), ~50 MB a cycle; now the process size levels off."""
    import psutil

    process = psutil.Process()
    sizes = []
    for hint in ("THROUGHPUT", "LATENCY") * 3:
        settings = EngineSettings(PerformanceHint=hint, ModelsDir=models_dir, CacheDir=None)
        engine = Engine(bundled_models(), settings)
        futures = [engine.submit(name, photos["astronaut"]) for name in ("person", "face") * 20]
        assert all(future.result(timeout=60) for future in futures)
        engine.close()
        del engine, futures
        sizes.append(process.memory_info().rss / 2**20)
    assert sizes[-1] - sizes[1] < 60, f"RSS by cycle (MiB): {[round(s) for s in sizes]}"
