"""Japan Post (日本郵便): ゆうパック, ゆうパケット, レターパック."""

from __future__ import annotations

from .base import Adapter
from .numbers import mod7_valid


class JapanPostAdapter(Adapter):
    code = "japanpost"
    names = {"ja": "日本郵便", "en": "Japan Post"}

    def validate(self, number: str) -> bool:
        return mod7_valid(number)

    def tracking_url(self, number: str) -> str:
        return (
            "https://trackings.post.japanpost.jp/services/srv/search/direct"
            f"?reqCodeNo1={number}&searchKind=S002&locale=ja"
        )

    def redelivery_url(self, number: str) -> str | None:
        return "https://trackings.post.japanpost.jp/services/srv/search/input"
