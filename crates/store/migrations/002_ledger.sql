-- Version 2: the typed case ledger. The board and the hubs in the path join the port; the code
-- and the model become evidence with a source like every other fact; sources get the ledger's
-- words. Version 1 wrote "start" for whatever was known when a session began: most often the
-- person's own command line, so it becomes "person".
ALTER TABLE cases ADD COLUMN board TEXT;
ALTER TABLE cases ADD COLUMN hubs INTEGER;

UPDATE evidence SET source = 'person' WHERE source = 'start';
UPDATE evidence SET source = 'watch' WHERE source = 'usb-watch';

INSERT INTO evidence (case_id, seq, at, kind, name, value, source)
SELECT id, (SELECT coalesce(max(e.seq), 0) + 1 FROM evidence e WHERE e.case_id = cases.id),
       created_at, 'model', 'model', product_type, 'person'
FROM cases WHERE product_type IS NOT NULL;

INSERT INTO evidence (case_id, seq, at, kind, name, value, source)
SELECT id, (SELECT coalesce(max(e.seq), 0) + 1 FROM evidence e WHERE e.case_id = cases.id),
       created_at, 'code', 'code', CAST(code AS TEXT), 'person'
FROM cases WHERE code IS NOT NULL;

CREATE INDEX cases_port ON cases (port);
