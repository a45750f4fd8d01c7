"""FHIR R4 mapping (validated with the fhir.resources R4B models; see docs/adr/0003).

``codes``: code systems and codes with their sources. ``outbound``: KetaCare facts to FHIR
resources (and a CDS prefetch for a recommendation input). ``inbound``: an EHR's prefetch to the
recommendation engine's input.
"""
