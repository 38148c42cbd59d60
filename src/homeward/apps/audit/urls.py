from django.urls import path

from homeward.apps.audit import views

urlpatterns = [
    path("audit/", views.audit_log, name="audit-log"),
    path("audit/export.xlsx", views.audit_log_export, name="audit-export"),
]
