"""Every KetaCare model is classified: guarded (patient data, saved only by services, never
deleted) or deliberately mutable (configuration and infrastructure). A new model fails this
test until someone decides which it is."""

from django.apps import apps

from ketacare.audit.models import AuditEntry, GuardedModel

MUTABLE = {
    "accounts.Clinic",  # clinic settings, edited by admins (changes audited by services)
    "accounts.User",  # logins; passwords and last_login change in place
    "accounts.ApiToken",  # expiring credentials
    # A second-factor credential: its signature counter and last use change at each sign-in;
    # enrolment, removal and every use audited.
    "accounts.Passkey",
    "accounts.SecurityPolicy",  # a clinic setting (second-factor roles, step-up); changes audited
    # Versioned clinic configuration: a new version clears the old one's `active` flag only.
    "protocols.ProtocolVersion",
    "protocols.ClinicPolicyVersion",
    "careplans.CarePlanPolicy",  # a clinic setting (integration window); changes audited
    # Clinic ledger policy (inventory interval, waste witness); changed by its service, audited.
    "controlled_substances.LedgerSettings",
    # Clinic recommendation settings (ECT/rTMS referral, self-pay options); changes audited.
    "interop.RecommendationSettings",
    # SMART authorization plumbing beside the OAuth toolkit's own tokens: a launch is marked
    # used, a context moves from its code to its tokens; issue and use are audited.
    "smart.SmartLaunch",
    "smart.SmartContext",
    "smart.SmartAppLaunchUrl",  # app registration, by an admin
    "interop.CdsJwtSeen",  # CDS Hooks jti replay cache: kept until the JWT's exp, then purged
    # SMART Backend Services: a client's registered keys (by an admin's command, audited) and
    # the client-assertion jti replay cache (kept until exp, then purged).
    "smart.BackendClient",
    "smart.ClientAssertionSeen",
    # A Bulk Data export's progress record (state, counts, files); kick-off, completion,
    # deletion and every download audited.
    "interop.BulkExportJob",
}
APPEND_ONLY_BY_OWN_RULES = {"audit.AuditEntry", "audit.AuditLeaf", "audit.AuditCheckpoint"}


def test_every_ketacare_model_is_guarded_or_explicitly_mutable():
    unclassified = []
    for model in apps.get_models():
        if not model.__module__.startswith("ketacare."):
            continue
        label = model._meta.label
        if issubclass(model, GuardedModel) or label in MUTABLE | APPEND_ONLY_BY_OWN_RULES:
            continue
        unclassified.append(label)
    assert unclassified == []


def test_audit_entries_are_not_guarded_models_but_refuse_changes_themselves():
    assert not issubclass(AuditEntry, GuardedModel)
