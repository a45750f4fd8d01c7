from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "ketacare.interop"
    label = "interop"

    def ready(self) -> None:
        # The CapabilityStatement lists the Bulk Data export operations the views serve.
        from ketacare.interop.fhir import capability
        from ketacare.interop.fhir.bulk import OPERATION_DEFINITION

        system = {"name": "export", "definition": f"{OPERATION_DEFINITION}/export"}
        patient = {"name": "export", "definition": f"{OPERATION_DEFINITION}/patient-export"}
        if system not in capability.OPERATIONS:
            capability.OPERATIONS.append(system)
            capability.TYPE_OPERATIONS.setdefault("Patient", []).append(patient)
