"""SMART App Launch 2.x: KetaCare as the authorization server of its FHIR API (issue 12.3)."""
