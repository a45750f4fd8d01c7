from ketacare.accounts.permissions import Permission, has_permission


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav": {
            "patients": has_permission(user, Permission.VIEW_PATIENT),
            "portal": has_permission(user, Permission.USE_PORTAL),
            "audit": has_permission(user, Permission.VIEW_AUDIT),
        }
    }
