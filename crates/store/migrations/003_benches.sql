-- Version 3: a shop's benches and what it learns from. Each case carries the bench (a computer
-- or workstation) it was worked on, so one history can serve several benches and ports are
-- told apart per bench.
ALTER TABLE cases ADD COLUMN bench TEXT;
CREATE INDEX cases_bench ON cases (bench);
CREATE INDEX steps_step ON steps (step);
-- How sure the record of an imported or hand-recorded outcome is (high, medium, low); a case
-- worked at the bench leaves it empty, which counts as sure.
ALTER TABLE cases ADD COLUMN confidence TEXT;
