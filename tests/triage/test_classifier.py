"""The model bundle's own evaluation of its linear heads gives scikit-learn's answers."""

from __future__ import annotations

import numpy as np

from caseloop.triage.classifier import ModelBundle, probabilities
from caseloop.triage.text import NormalisedText, Segmenter, normalise

TEXTS = [
    "洗衣机漏水严重，地板都湿了，要求上门维修",
    "快遞三天沒有送到，客服電話打不通，非常氣憤！",
    "你们的客服态度很好，表扬一下",
    "垃圾公司骗子，再不处理我就去12315投诉",
    "",
]


def normalised() -> list[NormalisedText]:
    segmenter = Segmenter()
    return [normalise(text, segmenter) for text in TEXTS]


def test_every_head_gives_predict_probas_probabilities(shipped_model: ModelBundle) -> None:
    texts = normalised()
    x = shipped_model.features.transform(texts)
    heads = {**shipped_model.heads}
    if shipped_model.abuse_head is not None and shipped_model.abuse_features is not None:
        heads["abuse"] = shipped_model.abuse_head
    assert any(len(head.classes_) == 2 for head in heads.values())  # both formulas are exercised
    assert any(len(head.classes_) > 2 for head in heads.values())

    for task, head in heads.items():
        features = x
        if task == "abuse":
            features = shipped_model.abuse_features.transform(texts)  # type: ignore[union-attr]
        np.testing.assert_allclose(probabilities(head, features), head.predict_proba(features), rtol=1e-6,
                                   atol=1e-9, err_msg=task)


def test_predict_many_agrees_with_the_heads_own_predict(shipped_model: ModelBundle) -> None:
    texts = normalised()
    for task, head in shipped_model.heads.items():
        expected = [str(label) for label in head.predict(shipped_model.features.transform(texts))]
        assert shipped_model.predict_many(texts, task) == expected
