"""Candidate scoring: tight crops of real MNIST digits, refusals, the winner rule, the trace and predict_many."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from digit_classifier import predictor as predictor_module
from digit_classifier.predictor import Predictor, choose_candidate
from digit_classifier.preprocessing import ImageError, candidate_rows, trace_candidates
from tests.support import images as f

#: MNIST test digits used here: a seeded sample from the first 5000.
SAMPLE = np.random.default_rng(0).choice(5000, 300, replace=False)


@pytest.fixture(scope="module")
def predictor(quick_model_path):
    return Predictor.from_file(quick_model_path)


def _png(pixels: np.ndarray, scale: int = 4) -> bytes:
    """(h, w) uint8 ink-bright pixels -> PNG, dark ink on white, scaled ``scale`` x (bilinear)."""
    img = Image.fromarray(255 - pixels, "L")
    img = img.resize((pixels.shape[1] * scale, pixels.shape[0] * scale), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _crop(image28: np.ndarray, margin: int) -> np.ndarray:
    """The digit cut to its ink box plus ``margin`` px (0: ink touches all four edges)."""
    rows, cols = np.flatnonzero(image28.any(axis=1)), np.flatnonzero(image28.any(axis=0))
    box = image28[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    return np.pad(box, margin)


@pytest.fixture(scope="module")
def crops(mnist_test_set):
    """(tight PNGs, 2-px-margin PNGs, labels) of the ``SAMPLE`` digits."""
    images, labels = mnist_test_set.test_images[SAMPLE], mnist_test_set.test_labels[SAMPLE]
    return ([_png(_crop(x, 0)) for x in images], [_png(_crop(x, 2)) for x in images],
            labels.astype(int))


def _accuracy(outcomes, labels) -> float:
    return float(np.mean([getattr(o, "digit", None) == y for o, y in zip(outcomes, labels)]))


def test_tight_crops_are_never_refused_and_read_as_well_as_with_a_margin(predictor, crops):
    tight, margin, labels = crops
    tight_out, margin_out = predictor.predict_many(tight), predictor.predict_many(margin)
    refused = [i for i, o in enumerate(tight_out) if isinstance(o, ImageError)]
    assert refused == []
    assert _accuracy(tight_out, labels) >= _accuracy(margin_out, labels) - 0.01
    assert _accuracy(tight_out, labels) >= 0.95


def _blank() -> np.ndarray:
    return np.full((120, 90), 255, np.uint8)


def _uniform() -> np.ndarray:
    return np.full((120, 90), 128, np.uint8)


def _noise() -> np.ndarray:
    return np.random.default_rng(1).integers(0, 256, (120, 90)).astype(np.uint8)


def _paper_noise() -> np.ndarray:
    return np.clip(np.random.default_rng(2).normal(215, 15, (200, 160)), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("make", [_blank, _uniform, _noise, _paper_noise])
def test_images_without_ink_are_refused_with_no_ink(predictor, make):
    buf = io.BytesIO()
    Image.fromarray(make(), "L").save(buf, "PNG")
    with pytest.raises(ImageError) as info:
        predictor.predict(buf.getvalue())
    assert info.value.code == "no_ink"


def test_the_more_confident_candidate_wins_and_a_contest_is_not_confident():
    p = np.full((2, 10), 0.01, np.float32)
    p[0, 1], p[0, 7], p[1, 1] = 0.5, 0.41, 0.91  # the rules read a hesitant 1, the plain crop a sure 1
    assert choose_candidate(["rules", "plain"], p, 0.7) == (1, True)
    p[0, 1], p[0, 7] = 0.41, 0.5                  # the rules now read a 7 at 0.5: a contest
    assert choose_candidate(["rules", "plain"], p, 0.7) == (1, False)
    assert choose_candidate(["rules", "plain"], p[::-1], 0.7)[0] == 0
    assert choose_candidate(["rules", "plain"], p, 0.95) == (1, False)  # under the threshold


def test_on_a_tie_the_plain_crop_wins():
    p = np.zeros((2, 10), np.float32)
    p[0, 1] = p[1, 4] = 1.0  # saturated: the rules read a 1 (a 4 cut by "ruled lines"), the plain crop a 4
    assert choose_candidate(["rules", "plain"], p, 0.999) == (1, False)
    assert choose_candidate(["plain"], p[1:], 0.999) == (0, True)


def test_when_the_rules_take_the_wrong_crop_the_plain_crop_wins(predictor, mnist_test_set):
    """Tight crops where the rules' crop reads wrong and the plain crop reads right with
    more confidence (by more than the margin either may be handicapped): the Predictor
    answers with the plain crop. Such crops are rare since the rules no longer take a
    tight crop's strokes for ruled lines (6 of the first 2000 test digits with the quick
    model, some with a "filled" candidate too), so the first 2000 are searched, up to
    three cases with the rules' and the plain crop alone."""
    from digit_classifier.predictor import MARGIN

    found = 0
    for i in range(2000):
        if found == 3:
            break
        data = _png(_crop(mnist_test_set.test_images[i], 0))
        traces = trace_candidates(data, predictor.preprocess_config)
        if [t.candidate for t in traces] != ["rules", "plain"]:  # no "filled" to compete
            continue
        p = predictor.predict_arrays(candidate_rows(traces))
        label = int(mnist_test_set.test_labels[i])
        if p[0].argmax() != label and p[1].argmax() == label and p[1].max() > p[0].max() + MARGIN:
            found += 1
            prediction = predictor.predict(data)
            assert (prediction.candidate, prediction.digit) == ("plain", label)
            np.testing.assert_array_equal(prediction.image28, traces[1].image28)
    assert found >= 1, "no tight crop in the sample where the rules pick the wrong crop"


def test_the_trace_names_the_winning_hypothesis(predictor, crops):
    prediction, trace = predictor.predict_traced(crops[0][0])
    assert trace.candidate == prediction.candidate in {"rules", "plain", "filled"}
    np.testing.assert_array_equal(trace.image28, prediction.image28)
    assert trace.mask.shape == trace.ink.shape == trace.work.shape
    assert prediction.to_json()["candidate"] == prediction.candidate


def test_predict_many_scores_every_candidate_in_one_forward_pass(predictor, crops, monkeypatch):
    sources = crops[0][:6] + [b"not an image"] + crops[1][:6]
    one_by_one = [predictor.predict(s) for s in sources[:6] + sources[7:]]
    calls = []
    real = predictor.predict_arrays
    monkeypatch.setattr(predictor, "predict_arrays", lambda X: calls.append(len(X)) or real(X))
    many = predictor.predict_many(sources)
    assert len(calls) == 1 and calls[0] >= 12  # every candidate of the 12 readable images
    assert isinstance(many[6], ImageError) and many[6].code == "not_an_image"
    for a, b in zip(one_by_one, many[:6] + many[7:]):
        assert (a.digit, a.candidate, a.confident) == (b.digit, b.candidate, b.confident)
        assert a.probability == pytest.approx(b.probability, abs=1e-5)


def test_the_default_threshold_is_the_measured_one():
    assert predictor_module.DEFAULT_CONFIDENCE_THRESHOLD == 0.999 and predictor_module.CONTEST == 0.5


@pytest.mark.parametrize("same_place,winner", [
    (True, 1),    # same place: the rules must beat the plain crop by MARGIN, and do not
    (False, 0),   # the rules left most of the plain box out (a table, a caption): the
])                # plain crop must beat them by MARGIN, and does not
def test_the_margin_goes_against_the_less_likely_reading(same_place, winner):
    from digit_classifier.predictor import MARGIN

    p = np.full((2, 10), 0.0, np.float32)
    p[0, 3], p[0, 5] = 0.9, 0.1                   # rules: a 3 at 0.9
    p[1, 8], p[1, 3] = 0.9 - MARGIN / 2, 0.1 + MARGIN / 2   # plain: an 8, a little less sure
    assert choose_candidate(["rules", "plain"], p, 0.999, same_place)[0] == winner
    p[1, 8], p[1, 3] = 0.9 + 1.5 * MARGIN, 0.1 - 1.5 * MARGIN  # plain surer by more than MARGIN
    assert choose_candidate(["rules", "plain"], p, 0.999, same_place)[0] == 1


def test_a_stained_plain_crop_loses_its_preference():
    """Same place, the rules a little surer: the plain crop wins by the margin, unless
    stray grey (a shadow) makes ``STRAY_SHARE`` of its ink; then the rules win."""
    from digit_classifier.predictor import MARGIN, STRAY_SHARE

    p = np.full((2, 10), 0.0, np.float32)
    p[0, 3], p[0, 5] = 0.95, 0.05                              # rules: a 3
    p[1, 8], p[1, 3] = 0.95 - MARGIN / 2, 0.05 + MARGIN / 2   # plain: an 8, a little less sure
    assert choose_candidate(["rules", "plain"], p, 0.999, True)[0] == 1
    assert choose_candidate(["rules", "plain"], p, 0.999, True, STRAY_SHARE / 2)[0] == 1
    assert choose_candidate(["rules", "plain"], p, 0.999, True, STRAY_SHARE)[0] == 0


def test_beside_a_filled_crop_the_rules_cannot_win_alone():
    """A hatched "6": the rules read an "8" at 0.99, the plain and the filled crop a "6"
    less surely. Two grey views against the thresholded one: the "6" wins. When the
    filled crop sides with the rules, or there is no filled crop, or the grey views are
    only guessing (under ``CONTEST``), the rules win as before."""
    names = ["rules", "plain", "filled"]
    p = np.zeros((3, 10), np.float32)
    p[0, 8], p[0, 6] = 0.99, 0.01          # rules: an 8
    p[1, 6], p[1, 8] = 0.55, 0.45          # plain: a 6
    p[2, 6], p[2, 8] = 0.65, 0.35          # filled: a 6
    assert choose_candidate(names, p, 0.999, True) == (2, False)
    assert choose_candidate(names, p[[0, 2, 1]], 0.999, True) == (1, False)  # order does not matter
    assert choose_candidate(names[:2], p[:2], 0.999, True)[0] == 0
    p[2, 8], p[2, 6] = 0.65, 0.35          # filled: an 8 too
    assert choose_candidate(names, p, 0.999, True)[0] == 0
    p[1], p[2] = 0.1, 0.1                  # plain and filled only guessing: a 0 at 0.1 each
    p[1, 0] = p[2, 0] = 0.1 + 1e-3
    assert choose_candidate(names, p, 0.999, True)[0] == 0


def test_the_trace_says_whether_the_rules_read_the_plain_crops_place():
    """A "1" alone: the rules and the plain crop read the same place. The same "1" with a
    blot in the far corner: the plain box takes in the blot, the rules do not."""
    img = np.full((200, 200), 255, np.uint8)
    img[40:160, 95:105] = 0
    rules, plain = trace_candidates(_encode(img))
    assert plain.same_place and not rules.same_place
    img[185:195, 5:15] = 0
    assert not trace_candidates(_encode(img))[1].same_place


def _encode(img: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("fill,gain", [("outline", 10), ("hatch", 1)])  # measured: +15, +2
def test_the_filled_hypothesis_reads_textured_digits_better(predictor, mnist_test_set, fill, gain):
    """100 real MNIST digits, hollow or hatched: the Predictor (with the "filled" candidate)
    reads at least ``gain`` more of them than the same winner rule over the rules' and
    the plain crop alone, and "filled" wins for some of them."""
    images, labels = mnist_test_set.test_images[SAMPLE[:100]], mnist_test_set.test_labels[SAMPLE[:100]]
    with_filled = without = 0
    winners = []
    for pixels, label in zip(images, labels):
        data = f.ink_png_bytes(f.textured(f.solid_mnist_mask(pixels), fill))
        traces = trace_candidates(data, predictor.preprocess_config)
        p = predictor.predict_arrays(candidate_rows(traces))
        names = [t.candidate for t in traces]
        two, _ = choose_candidate(names[:2], p[:2], 0.999, traces[1].same_place, traces[1].stray_grey)
        without += int(p[two].argmax() == label)
        prediction = predictor.predict(data)
        with_filled += int(prediction.digit == label)
        winners.append(prediction.candidate)
    assert with_filled >= without + gain, (with_filled, without, winners.count("filled"))
    assert "filled" in winners


def test_the_digit_beside_a_pen_wins_only_when_read_surely_and_never_confidently():
    """The rules and the plain crop read the pen as a sure "1"; the digit found beside it
    a "7" at ``BESIDE_MIN`` or more wins, not confident (the pen's readings contest it);
    under ``BESIDE_MIN`` it is out and the others decide as without it. With
    ``pen_beside`` the same winner is never confident."""
    names = ["rules", "plain", "beside"]
    p = np.zeros((3, 10), np.float32)
    p[0, 1] = p[1, 1] = 1.0
    p[2, 7], p[2, 1] = predictor_module.BESIDE_MIN, 1 - predictor_module.BESIDE_MIN
    assert choose_candidate(names, p, 0.999, True) == (2, False)
    assert choose_candidate(names[::-1], p[::-1], 0.999, True) == (0, False)
    p[2, 7], p[2, 1] = 0.85, 0.15
    assert choose_candidate(names, p, 0.999, True) == choose_candidate(names[:2], p[:2], 0.999, True)
    assert choose_candidate(names[:2], p[:2], 0.999, True) == (1, True)
    assert choose_candidate(names[:2], p[:2], 0.999, True, pen_beside=True) == (1, False)


def test_a_pen_with_ink_beside_it_is_never_a_confident_answer(predictor):
    """The rules read a pen lying beside a thin digit (``Trace.pen_beside``): whichever
    candidate wins may be the pen read as a "1", so the answer is not confident. A "1"
    alone is no such pen."""
    rng = np.random.default_rng(0)
    for i in range(5):
        photo = f.pen_photo(i, rng)
        assert trace_candidates(photo)[0].pen_beside
        assert not predictor.predict(photo).confident
    one = np.full((200, 200), 255, np.uint8)
    one[40:160, 95:105] = 0
    assert not trace_candidates(_encode(one))[0].pen_beside
