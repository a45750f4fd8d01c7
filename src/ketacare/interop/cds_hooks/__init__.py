"""CDS Hooks 2.0 service: discovery, the patient-view treatment-recommendation service and the
feedback endpoint. See ``views`` for the endpoints, ``cards`` for card building and ``auth``
for the EHR's JWT check."""
