-- resolve_key_index  every register key the resolver matches on (pipeline/resolve/keys.ts: names,
--                    cores, brand prefixes, one-character masks, pinyin, phones, websites,
--                    addresses, legal representatives, districts, profiles), with the number of
--                    enterprises holding it. Kept between runs: a run rebuilds only the keys of
--                    the enterprises with register rows newer than resolve_key_marks, and the
--                    holders of the keys they had or have; a full run or new normalisation rules
--                    rebuild it all. A pure function of the register (and the rules), so it may
--                    run ahead of entity_links: the next run's key fingerprints still find what changed.
-- resolve_key_marks  the rules (config_hash) and the last ingest batch of registrations and
--                    registration_changes the index reflects.
CREATE TABLE resolve_key_index (
  uscc       VARCHAR NOT NULL,
  kind       VARCHAR NOT NULL,
  key        VARCHAR NOT NULL,
  valid_from DATE,
  valid_to   DATE,
  ref        VARCHAR,
  holders    BIGINT NOT NULL
);

CREATE TABLE resolve_key_marks (
  config_hash VARCHAR NOT NULL,
  last_batch  BIGINT NOT NULL
);
