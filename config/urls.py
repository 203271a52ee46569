from django.contrib import admin
from django.urls import include, path

from caseloop.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("caseloop.api.urls")),
    path("hooks/", include("caseloop.intake.hooks_urls")),
    path("", include("caseloop.portal.urls")),
    path("", include("caseloop.console.urls")),
]
