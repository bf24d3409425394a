-- Version 3: a shop's benches. Each case carries the bench (a computer or workstation) it was
-- worked on, so one history can serve several benches and ports are told apart per bench.
ALTER TABLE cases ADD COLUMN bench TEXT;
CREATE INDEX cases_bench ON cases (bench);
CREATE INDEX steps_step ON steps (step);
