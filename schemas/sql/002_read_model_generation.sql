-- Read model, version 2: which build of the read model this schema holds.
-- One row, a random id set when the schema is created. A rebuild
-- (projection-service rebuild) fills a fresh schema, with a fresh generation,
-- and renames it into place; every writer checks the generation with its
-- stored offsets at the start of each batch, so a writer that was following
-- the previous tables notices the switch and re-reads its positions.
CREATE TABLE read_model_generation (
  single      boolean     PRIMARY KEY DEFAULT true CHECK (single),
  generation  uuid        NOT NULL DEFAULT gen_random_uuid(),
  created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO read_model_generation DEFAULT VALUES;
