"""Navigation for the signed-in user: only the pages their role may use, and only pages
that exist (apps add theirs by URL name)."""

from django.urls import NoReverseMatch, reverse

from ketacare.accounts.permissions import Permission, has_permission

NAV_ITEMS = (
    ("Clinic day", "treatment:board", Permission.CHECK_IN),
    ("Patients", "patients:list", Permission.VIEW_PATIENT),
    ("Alerts", "measures:alerts", Permission.ACKNOWLEDGE_ALERT),
    ("Inventory", "controlled_substances:inventory", Permission.MANAGE_INVENTORY),
    ("Protocols", "protocols:library", Permission.MANAGE_PROTOCOLS),
    ("Research", "research:home", Permission.EXPORT_DEIDENTIFIED),
    ("Users", "accounts:users", Permission.MANAGE_USERS),
    ("My portal", "portal:home", Permission.USE_PORTAL),
)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for label, url_name, permission in NAV_ITEMS:
        if not has_permission(user, permission):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "current": request.path.startswith(url)})
    return {"nav_items": items}
