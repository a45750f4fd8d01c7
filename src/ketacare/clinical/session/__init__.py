"""The dosing session: state machine, vital signs, pre-dose gates, monitoring, discharge, REMS.

Modules
- ``states``: scheduled -> checked_in -> cleared -> dosing -> observation -> discharged, plus
  cancelled and aborted; ``transition`` refuses illegal moves.
- ``vitals``: ``Vitals`` (plausibility at the door), ``VitalsThresholds``, ``assess_vitals``.
- ``checks``: ``check_clear``, ``check_predose``, ``check_device_interval``.
- ``monitoring``: ``vitals_due``, ``assess_sedation``, ``assess_dissociation``, adverse events.
- ``discharge``: ``assess_discharge_readiness``.
- ``corrections``: ``check_vitals_undo``: taking back a mistyped reading within a minute
  (a superseding correction; the original stays).
- ``rems``: SPRAVATO REMS Patient Monitoring Form data set and its 7-day deadline.
- ``policy``: ``SessionPolicy`` (cited defaults; required clinic settings where no source).

Sources are in ``references``; every cited number is listed in docs/clinical-sources.md
("Session monitoring and discharge"). Drug/route/setting are this package's own small enums
(``types``) so it does not depend on ``clinical.dosing``.
"""
