"""Chinese first: the interface language is Simplified Chinese unless the person chose another.

Django's LocaleMiddleware would follow the browser's Accept-Language, which shows English to
every agent whose workstation was installed in English. Here the order is: the language the
person picked (cookie), then Traditional Chinese for browsers that ask for zh-TW/zh-HK/zh-Hant,
then the organisation's default (LANGUAGE_CODE, zh-hans).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

_TRADITIONAL_TAGS = ("zh-tw", "zh-hk", "zh-mo", "zh-hant")


def preferred_language(request: HttpRequest) -> str:
    supported = {code for code, _name in settings.LANGUAGES}
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "").lower()
    if chosen in supported:
        return chosen
    accept = request.META.get("HTTP_ACCEPT_LANGUAGE", "").lower()
    first = accept.split(",")[0].split(";")[0].strip()
    if first.startswith(_TRADITIONAL_TAGS):
        return "zh-hant"
    return settings.LANGUAGE_CODE


class ChineseFirstLocaleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = preferred_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        response.headers.setdefault("Vary", "Cookie, Accept-Language")
        return response
