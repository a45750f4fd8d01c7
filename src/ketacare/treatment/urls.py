from django.urls import path

from ketacare.treatment import views

app_name = "treatment"

urlpatterns = [
    path("board/", views.board, name="board"),
    path("sessions/<int:session_id>/", views.session_sheet, name="session"),
    path("sessions/<int:session_id>/check-in/", views.check_in, name="check_in"),
    path("sessions/<int:session_id>/vitals/", views.record_vitals, name="vitals"),
    path("sessions/<int:session_id>/vitals/repeat/", views.repeat_vitals, name="repeat_vitals"),
    path(
        "sessions/<int:session_id>/vitals/<int:reading_id>/undo/",
        views.undo_vitals,
        name="undo_vitals",
    ),
    path("sessions/<int:session_id>/clear/", views.clear, name="clear"),
    path("sessions/<int:session_id>/dose/", views.administer, name="administer"),
    path("sessions/<int:session_id>/dose-preview/", views.dose_preview, name="dose_preview"),
    path("sessions/<int:session_id>/moaas/", views.record_moaas, name="moaas"),
    path("sessions/<int:session_id>/cadss/", views.record_cadss, name="cadss"),
    path(
        "sessions/<int:session_id>/adverse-events/",
        views.record_adverse_event,
        name="adverse_event",
    ),
    path("sessions/<int:session_id>/discharge/", views.discharge, name="discharge"),
    path("sessions/<int:session_id>/cancel/", views.cancel, name="cancel"),
    path("sessions/<int:session_id>/override/", views.override, name="override"),
    path("sessions/<int:session_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("sessions/<int:session_id>/rems-form/", views.rems_form, name="rems_form"),
    path("sessions/<int:session_id>/rems-form.pdf", views.rems_form_pdf, name="rems_form_pdf"),
    path(
        "sessions/<int:session_id>/controlled-substance-record.pdf",
        views.controlled_record_pdf,
        name="controlled_record_pdf",
    ),
    path(
        "board/controlled-substance-records.pdf",
        views.controlled_day_pdf,
        name="controlled_day_pdf",
    ),
    path("patients/<int:patient_id>/courses/new/", views.course_new, name="course_new"),
    path("patients/<int:patient_id>/courses/preview/", views.course_preview, name="course_preview"),
]
