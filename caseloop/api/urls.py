from functools import partial

from django.urls import URLPattern, URLResolver, path
from ninja.openapi.views import openapi_view

from caseloop.api.v1 import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("v1/", api.urls),
    # The browsable documentation of v1 (Swagger UI served from the ninja package, no CDN).
    path("docs", partial(openapi_view, api=api), name="api-docs"),
]
