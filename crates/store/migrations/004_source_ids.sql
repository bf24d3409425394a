-- Version 4: an imported case keeps the id it had in the file it came from, so importing the
-- same file twice adds nothing. Cases worked at the bench have none.
ALTER TABLE cases ADD COLUMN source_id TEXT;
CREATE UNIQUE INDEX cases_source_id ON cases (source_id);
