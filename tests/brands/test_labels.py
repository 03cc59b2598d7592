"""Return wording per brand: a boot shop says size or colour, a tea shop does not, and a brand
that says nothing gets the neutral "Exchange"."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from tracking.returns.config import ReturnPolicy
from tracking.returns.display import exchange_label, resolution_label


@pytest.mark.parametrize(
    ("slug", "lang", "resolution", "field"),
    [
        ("northpeak", "ja", "交換（サイズ・カラー）", "交換希望（サイズ・カラー）"),
        ("northpeak", "en", "Exchange (size or colour)", "Exchange for (size or colour)"),
        ("sakura-tea", "ja", "同じ商品・同価格の別の商品と交換", "交換希望の商品"),
        (
            "sakura-tea",
            "en",
            "Exchange for the same or another item of the same price",
            "Exchange for",
        ),
    ],
)
def test_labels_per_brand(app, slug, lang, resolution, field):
    policy = app.extensions["todoku_brands"][slug].returns
    with app.test_request_context(), force_locale(lang):
        assert resolution_label("exchange", policy) == resolution
        assert exchange_label(policy) == field
        assert "サイズ" not in resolution_label("refund", policy)


@pytest.mark.parametrize(
    ("lang", "word", "field"),
    [("ja", "交換", "交換希望の商品"), ("en", "Exchange", "Exchange for")],
)
def test_neutral_defaults(app, lang, word, field):
    with app.test_request_context(), force_locale(lang):
        assert resolution_label("exchange", ReturnPolicy()) == word
        assert exchange_label(ReturnPolicy()) == field
        assert resolution_label("exchange") == word


def test_label_for_an_unoffered_resolution_is_refused():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        ReturnPolicy.model_validate({"resolution_labels": {"swap": {"en": "Swap"}}})
