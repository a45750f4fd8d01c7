-- KetaCare's application role on PostgreSQL (README, Production). Run as the role that owns
-- the database and its tables (the one `ketacare migrate` runs as), after every migration;
-- running it again changes nothing. The server connects as ketacare_app: it reads and writes
-- the clinical tables (Django's sessions and tokens need DELETE; clinical records are never
-- deleted by the code) and may only SELECT and INSERT the audit log, which also covers the
-- sequencer (`ketacare audit seal` appends leaves and checkpoints). Not owning the tables,
-- it cannot drop them or switch their triggers off either.
GRANT USAGE ON SCHEMA public TO ketacare_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ketacare_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ketacare_app;
REVOKE UPDATE, DELETE, TRUNCATE
    ON audit_auditentry, audit_auditleaf, audit_auditcheckpoint FROM ketacare_app;
